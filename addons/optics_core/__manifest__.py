# ruff: noqa: B018  (an Odoo manifest is one dict expression, read with ast.literal_eval)
{
    "name": "OpticsERP: optics shop",
    "version": "17.0.1.0.0",
    "summary": "Prescriptions, lens and frame products, made-to-order glasses paid in advance at the counter",
    "category": "Sales/Point of Sale",
    "depends": ["point_of_sale", "product"],
    "data": [
        "security/ir.model.access.csv",
        "data/optics_data.xml",
        "views/prescription_views.xml",
        "views/product_views.xml",
        "wizard/glasses_payment_views.xml",
        "views/glasses_order_views.xml",
        "views/menus.xml",
    ],
    "installable": True,
    "application": False,
    "license": "LGPL-3",
}
