from . import adapter, pos_config, pos_order, pos_session, product_template, res_config_settings  # noqa: F401
