from . import adapter, pos_config, pos_order, pos_session, res_config_settings  # noqa: F401
