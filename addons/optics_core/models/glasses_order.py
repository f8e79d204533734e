"""Made-to-order glasses: an advance paid at the counter, the glasses made, the rest paid at pickup.

Both payments are Point of Sale orders in an open session, so the till's cash, its reports and whatever
fiscalizes its orders see them as any sale:
- the advance order sells the advance product once per item of the glasses (the frame, the pair of lenses),
  named after the item, at its share of the advance and with the item's taxes: a partial prepayment of those
  goods;
- the pickup order sells the goods at their full price and takes the advance lines back (negative lines), so
  its total is what is left to pay.
This addon knows nothing of receipts: the fiscal addon reads an advance product's lines as prepayment items and
its negative lines as the advance counted (tags 1214 and 1215), and the bridge `optics_core_ru54fz` marks the
advance product as such.
"""

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

STATES = [("draft", "Quotation"), ("ordered", "Advance paid, in the workshop"), ("ready", "Ready for pickup"),
          ("done", "Handed over"), ("cancel", "Cancelled")]
LENSES_PER_PAIR = 2


class GlassesOrder(models.Model):
    _name = "optics.glasses.order"
    _description = "Made-to-order glasses"
    _order = "id desc"

    name = fields.Char(default="/", readonly=True, copy=False)
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, copy=False, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", required=True)
    prescription_id = fields.Many2one("optics.prescription", domain="[('partner_id', '=', partner_id)]")
    frame_id = fields.Many2one("product.product", "Frame", required=True,
                               domain="[('optics_kind', '=', 'frame')]")
    lens_id = fields.Many2one("product.product", "Lenses (a pair)", required=True,
                              domain="[('optics_kind', '=', 'lens')]")
    date_promised = fields.Date("Ready by")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_total = fields.Monetary("Total", compute="_compute_amount_total", store=True)
    advance_amount = fields.Monetary("Advance paid", readonly=True, copy=False)
    amount_due = fields.Monetary("Due at pickup", compute="_compute_amount_due")
    advance_order_id = fields.Many2one("pos.order", "Advance order", readonly=True, copy=False)
    final_order_id = fields.Many2one("pos.order", "Pickup order", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("optics.glasses.order") or "/"
        return super().create(vals_list)

    @api.depends("frame_id", "lens_id", "partner_id")
    def _compute_amount_total(self):
        for order in self:
            order.amount_total = sum(amount for _product, _qty, amount in order._goods())

    @api.depends("amount_total", "advance_amount")
    def _compute_amount_due(self):
        for order in self:
            order.amount_due = order.amount_total - order.advance_amount

    def _goods(self):
        """(product, quantity, amount with taxes) of what the customer takes home, at list price."""
        goods = [(self.frame_id, 1), (self.lens_id, LENSES_PER_PAIR)]
        return [(product, qty, self._taxes(product).compute_all(
                    product.lst_price, self.currency_id, qty, product=product, partner=self.partner_id,
                )["total_included"]) for product, qty in goods if product]

    def _taxes(self, product):
        return product.taxes_id.filtered(lambda tax: tax.company_id == self.company_id)

    def take_advance(self, session, payment_method, amount):
        """The advance at the counter: a paid POS order in `session`; the order goes to the workshop."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("%s: the advance is taken once, on a quotation.", self.name))
        if not self.prescription_id:
            raise UserError(_("%s: glasses are made to a prescription; choose one first.", self.name))
        problem = self.prescription_id.lens_problem(self.lens_id.lens_design)
        if problem:
            raise UserError(_("%s: %s", self.name, problem))
        if self.currency_id.compare_amounts(amount, 0) <= 0 or self.currency_id.compare_amounts(
                amount, self.amount_total) > 0:
            raise UserError(_("%(order)s: an advance of %(amount)s is not between 0 and the total %(total)s.",
                              order=self.name, amount=amount, total=self.amount_total))
        pos_order = self._paid_pos_order(session, payment_method, amount, self._advance_lines(amount))
        self.write({"state": "ordered", "advance_amount": amount, "advance_order_id": pos_order.id})
        self._after_pos_payment(pos_order)
        return pos_order

    def action_ready(self):
        for order in self:
            if order.state != "ordered":
                raise UserError(_("%s: only glasses in the workshop can be ready.", order.name))
        self.write({"state": "ready"})

    def hand_over(self, session, payment_method):
        """The pickup: the goods at full price, the advance taken back, the rest paid in `session`."""
        self.ensure_one()
        if self.state != "ready":
            raise UserError(_("%s: glasses are handed over once they are ready.", self.name))
        lines = [self._line(product, product.display_name, qty, product.lst_price, self._taxes(product))
                 for product, qty, _amount in self._goods()]
        lines += [self._line(line.product_id, line.full_product_name, -line.qty, line.price_unit, line.tax_ids)
                  for line in self.advance_order_id.lines]
        pos_order = self._paid_pos_order(session, payment_method, self.amount_due, lines)
        self.write({"state": "done", "final_order_id": pos_order.id})
        self._after_pos_payment(pos_order)
        return pos_order

    def action_cancel(self):
        for order in self:
            if order.state != "draft":
                raise UserError(_("%s: an advance was paid; refund its POS order, then cancel.", order.name))
        self.write({"state": "cancel"})

    def _after_pos_payment(self, pos_order):
        """Called with each paid POS order this order makes (a fiscal addon sends its receipt right away)."""

    def _advance_lines(self, amount):
        """The advance spread over the goods in proportion to their amounts, to the kopeck (largest
        remainders first), one line per item, each with the item's name and taxes."""
        advance = self.env.ref("optics_core.product_glasses_advance")
        goods = self._goods()
        cents = [round(amount_ * 100) for _p, _q, amount_ in goods]
        want, base = round(amount * 100), sum(cents)
        shares = [c * want // base for c in cents]
        for k in sorted(range(len(cents)), key=lambda k: (-(cents[k] * want % base), k))[: want - sum(shares)]:
            shares[k] += 1
        return [self._line(advance, product.display_name, 1, self._price_for(self._taxes(product), share / 100,
                                                                             product), self._taxes(product))
                for (product, _qty, _amount), share in zip(goods, shares, strict=True) if share]

    def _price_for(self, taxes, total, product):
        """A unit price whose amount with `taxes` is `total` exactly (prices without VAT may have none)."""
        if not taxes or all(tax.price_include for tax in taxes):
            return total
        rate = sum(tax.amount for tax in taxes if tax.amount_type == "percent") / 100
        guess = total / (1 + rate)
        for price in (guess, *(round(guess, 2) + step / 100 for step in (0, -1, 1, -2, 2))):
            result = taxes.compute_all(price, self.currency_id, 1, product=product, partner=self.partner_id)
            if self.currency_id.compare_amounts(result["total_included"], total) == 0:
                return price
        raise UserError(_("%(order)s: no price before tax gives %(total)s with %(taxes)s; take an advance a kopeck "
                          "more or less.", order=self.name, total=total, taxes=", ".join(taxes.mapped("name"))))

    @staticmethod
    def _line(product, name, qty, price_unit, taxes):
        return {"product_id": product.id, "full_product_name": name, "qty": qty, "price_unit": price_unit,
                "tax_ids": [Command.set(taxes.ids)], "price_subtotal": 0.0, "price_subtotal_incl": 0.0}

    def _paid_pos_order(self, session, payment_method, amount, lines):
        """A POS order of `lines` in the open `session`, paid `amount` by `payment_method`, as the till makes."""
        if session.state != "opened":
            raise UserError(_("%s: the Point of Sale session is not open.", session.name))
        if payment_method not in session.config_id.payment_method_ids:
            raise UserError(_("%(method)s is not a payment method of %(pos)s.", method=payment_method.name,
                              pos=session.config_id.name))
        pos_order = self.env["pos.order"].create({
            "session_id": session.id, "partner_id": self.partner_id.id, "lines": [Command.create(v) for v in lines],
            "amount_tax": 0.0, "amount_total": 0.0, "amount_paid": 0.0, "amount_return": 0.0,
        })
        for line in pos_order.lines:
            line.write(line._compute_amount_line_all())
        pos_order._onchange_amount_all()
        if pos_order.currency_id.compare_amounts(pos_order.amount_total, amount) != 0:
            raise UserError(_("%(order)s: the POS order comes to %(total)s, not %(amount)s.", order=self.name,
                              total=pos_order.amount_total, amount=amount))
        if not pos_order.currency_id.is_zero(amount):
            pos_order.add_payment({"pos_order_id": pos_order.id, "amount": amount, "name": self.name,
                                   "payment_method_id": payment_method.id})
        pos_order.action_pos_order_paid()
        pos_order._create_order_picking()
        return pos_order
