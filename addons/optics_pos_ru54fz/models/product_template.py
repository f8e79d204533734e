"""What a product stands for on a receipt (tag 1214): goods paid in full, or money taken before the goods.

A product of an advance kind (1 full prepayment, 2 partial prepayment, 3 advance) sold on an order is a
prepayment item at the calculated VAT rate; the same product taken back on the order that hands the goods over
(a negative line) is the advance counted (tag 1215) on that final receipt. So any addon that takes advances
(the optics shop's made-to-order glasses, a cashier selling an "Advance" product) needs nothing more of this one.
"""

from odoo import fields, models

PAYMENT_METHOD_SIGNS = [
    ("4", "Full payment (goods handed over)"),
    ("1", "Full prepayment (100%)"),
    ("2", "Partial prepayment"),
    ("3", "Advance (goods not yet known)"),
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    kkt_payment_method_sign = fields.Selection(
        PAYMENT_METHOD_SIGNS, "Receipt payment method", default="4", required=True,
        help="Tag 1214 on the fiscal receipt. A product of an advance kind taken back on a later order (a "
             "negative line) is counted there as the advance (tag 1215).")
