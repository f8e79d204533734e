"""A glasses order's POS orders are fiscalized as soon as they are paid, as the till's own orders are."""

from odoo import models


class GlassesOrder(models.Model):
    _inherit = "optics.glasses.order"

    def _after_pos_payment(self, pos_order):
        """Sent now; an adapter away leaves the order "to send" for the cron, the payment stands."""
        super()._after_pos_payment(pos_order)
        if pos_order.kkt_state == "to_send":
            pos_order.action_fiscalize()
