"""The cashier's dialog for a glasses order's payment: the advance (amount chosen) or the rest at pickup."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

ADVANCE_SHARE = 0.5  # proposed; the cashier may change it


class GlassesPayment(models.TransientModel):
    _name = "optics.glasses.payment"
    _description = "Payment of made-to-order glasses"

    order_id = fields.Many2one("optics.glasses.order", required=True, ondelete="cascade")
    kind = fields.Selection([("advance", "Advance"), ("final", "Pickup")], required=True)
    session_id = fields.Many2one("pos.session", "Session", required=True, domain="[('state', '=', 'opened')]",
                                 default=lambda self: self._default_session())
    payment_method_id = fields.Many2one("pos.payment.method", "Payment method", required=True,
                                        domain="[('id', 'in', allowed_method_ids)]")
    allowed_method_ids = fields.Many2many(related="session_id.config_id.payment_method_ids")
    currency_id = fields.Many2one(related="order_id.currency_id")
    amount = fields.Monetary(compute="_compute_amount", store=True, readonly=False)

    @api.model
    def _default_session(self):
        return self.env["pos.session"].search([("state", "=", "opened"), ("user_id", "=", self.env.uid)], limit=1)

    @api.depends("order_id", "kind")
    def _compute_amount(self):
        for wizard in self:
            order = wizard.order_id
            wizard.amount = (order.currency_id.round(order.amount_total * ADVANCE_SHARE) if wizard.kind == "advance"
                             else order.amount_due)

    def action_confirm(self):
        self.ensure_one()
        if self.kind == "advance":
            pos_order = self.order_id.take_advance(self.session_id, self.payment_method_id, self.amount)
        else:
            if self.currency_id.compare_amounts(self.amount, self.order_id.amount_due) != 0:
                raise UserError(_("At pickup the amount due is %s.", self.order_id.amount_due))
            pos_order = self.order_id.hand_over(self.session_id, self.payment_method_id)
        return {"type": "ir.actions.act_window", "res_model": "pos.order", "res_id": pos_order.id,
                "view_mode": "form", "target": "current"}
