# ruff: noqa: B018  (an Odoo manifest is one dict expression, read with ast.literal_eval)
{
    "name": "OpticsERP: made-to-order glasses on fiscal receipts",
    "version": "17.0.1.0.0",
    "summary": "Installed with optics_core and optics_pos_ru54fz: the advance is a partial prepayment (1214 = 2), "
               "the pickup counts it (1215), each receipt sent as soon as it is paid",
    "category": "Sales/Point of Sale",
    "depends": ["optics_core", "optics_pos_ru54fz"],
    "data": ["data/advance_product.xml"],
    "auto_install": True,
    "installable": True,
    "application": False,
    "license": "LGPL-3",
}
