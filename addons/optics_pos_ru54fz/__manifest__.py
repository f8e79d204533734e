# ruff: noqa: B018  (an Odoo manifest is one dict expression, read with ast.literal_eval)
{
    "name": "OpticsERP: POS fiscalization (54-FZ)",
    "version": "17.0.1.0.0",
    "summary": "Fiscalize Point of Sale orders through the KKT adapter: receipts, refunds, shifts, fiscal data",
    "category": "Sales/Point of Sale",
    "depends": ["point_of_sale"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "cron/ir_cron.xml",
        "views/pos_order_views.xml",
        "views/product_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "optics_pos_ru54fz/static/src/app/*.js",
            "optics_pos_ru54fz/static/src/app/*.xml",
        ],
        "web.assets_tests": [
            "optics_pos_ru54fz/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
    "license": "LGPL-3",
}
