"""A paid POS order's fiscal receipt: marked "to send" when paid, sent by `action_fiscalize`, never twice.

Paying makes no network call, so an unreachable adapter never loses or blocks a sale. `action_fiscalize` (the
POS right after saving, the button, the cron) takes only orders no other transaction holds (FOR UPDATE SKIP
LOCKED), sends the body stored with the order's first attempt under the order's own key, and stores what the
register signed. A retry, even of a transaction that rolled back after the adapter answered, sends the same
key and body, which the adapter answers with the first receipt.
"""

import json
import logging

from odoo import _, api, fields, models

from ..lib import (
    AdapterBusy,
    AdapterProtocolError,
    AdapterUnreachable,
    Cashier,
    OrderLine,
    OrderSnapshot,
    Payment,
    ReceiptBuildError,
    ReceiptRejected,
    RegisterRefused,
    Tax,
    build_receipt,
    order_key,
)
from .adapter import client_for

_logger = logging.getLogger(__name__)

KKT_STATES = [("to_send", "To send"), ("done", "Fiscalized"), ("error", "Error")]
CRON_BATCH = 20


class PosOrder(models.Model):
    _inherit = "pos.order"

    kkt_state = fields.Selection(KKT_STATES, "Fiscal state", readonly=True, copy=False, index=True)
    kkt_key = fields.Char("Idempotency key", readonly=True, copy=False)
    kkt_request = fields.Text("Request sent", readonly=True, copy=False,
                              help="The body of the first attempt, resent as it is on every retry.")
    kkt_receipt_id = fields.Char("Adapter receipt id", readonly=True, copy=False)
    kkt_fd_number = fields.Integer("FD", readonly=True, copy=False, help="Fiscal document number (tag 1040)")
    kkt_fiscal_sign = fields.Char("FP", readonly=True, copy=False, help="Fiscal sign (tag 1077)")
    kkt_fn_serial = fields.Char("FN", readonly=True, copy=False, help="Fiscal drive serial number (tag 1041)")
    kkt_shift_number = fields.Integer("Shift", readonly=True, copy=False)
    kkt_datetime = fields.Char("Fiscal date-time", readonly=True, copy=False, help="As the register signed it")
    kkt_qr = fields.Char("Receipt QR", readonly=True, copy=False)
    kkt_ofd_status = fields.Char("OFD status", readonly=True, copy=False)
    kkt_last_error = fields.Text("Last fiscal error", readonly=True, copy=False)
    kkt_attempts = fields.Integer("Attempts", readonly=True, copy=False)

    def action_pos_order_paid(self):
        result = super().action_pos_order_paid()
        self._kkt_mark_to_send()
        return result

    def _kkt_mark_to_send(self):
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        for order in self.filtered(lambda o: o.config_id.kkt_enabled and not o.kkt_state and o._kkt_has_receipt()):
            order.write({"kkt_state": "to_send", "kkt_key": order_key(database_uuid, order.id)})

    def _kkt_has_receipt(self):
        """An order of nothing to pay (all given away) has no receipt to sign, unless an advance paid it:
        goods handed over against an advance are a receipt even with nothing left to pay."""
        return not self.currency_id.is_zero(self.amount_total) or any(
            line.product_id.kkt_payment_method_sign != "4" for line in self.lines)

    def action_fiscalize(self):
        """Send each order "to send" (or in error, by the button) that no other transaction holds."""
        for order in self._kkt_lock(("to_send", "error")):
            order._kkt_send()
        return True

    def kkt_fiscalize_for_receipt(self):
        """What the POS calls once the order is saved: fiscalize now, and the data the receipt prints."""
        self.action_fiscalize()
        return [order._kkt_receipt_data() for order in self]

    @api.model
    def _cron_fiscalize(self, batch=CRON_BATCH):
        """Every minute: the orders left "to send", oldest first; an adapter found unreachable is not asked
        again in the same run."""
        self.env.cr.execute(
            "SELECT id FROM pos_order WHERE kkt_state = 'to_send' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (batch,))
        unreachable = set()
        for order in self.browse([row[0] for row in self.env.cr.fetchall()]):
            if order.config_id.id in unreachable:
                continue
            if order._kkt_send() == "unreachable":
                unreachable.add(order.config_id.id)

    def _kkt_lock(self, states):
        if not self.ids:
            return self.browse()
        self.flush_recordset(["kkt_state"])
        self.env.cr.execute(
            "SELECT id FROM pos_order WHERE id IN %s AND kkt_state IN %s ORDER BY id FOR UPDATE SKIP LOCKED",
            (tuple(self.ids), tuple(states)))
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _kkt_send(self):
        """One attempt for one order: "done", "retry", "unreachable" or "error", stored on the order."""
        self.ensure_one()
        attempts = self.kkt_attempts + 1
        try:
            body = self._kkt_body()
        except ReceiptBuildError as exc:
            return self._kkt_failed("error", attempts, str(exc), keep_request=False)
        client = client_for(self.config_id)
        if client is None:
            return self._kkt_failed("unreachable", attempts, _("No adapter URL is set for %s.", self.config_id.name))
        try:
            result = client.fiscalize(body, self.kkt_key)
        except AdapterUnreachable as exc:
            return self._kkt_failed("unreachable", attempts, exc.message)
        except AdapterBusy as exc:
            return self._kkt_failed("retry", attempts, exc.message)
        except RegisterRefused as exc:
            # No shift open (the adapter set not to open one itself): the next session's shift takes it.
            return self._kkt_failed("retry" if exc.code == "shift_closed" else "error", attempts, exc.message)
        except ReceiptRejected as exc:
            # A body the adapter found invalid (422) was never stored there: the button builds it again.
            return self._kkt_failed("error", attempts, exc.message, keep_request=exc.status != 422)
        except AdapterProtocolError as exc:
            return self._kkt_failed("error", attempts, exc.message)
        finally:
            client.close()
        self.write({
            "kkt_state": "done", "kkt_attempts": attempts, "kkt_last_error": False,
            "kkt_receipt_id": result.receipt_id, "kkt_fd_number": result.fiscal_doc_number,
            "kkt_fiscal_sign": result.fiscal_sign, "kkt_fn_serial": result.fn_serial,
            "kkt_shift_number": result.shift_number, "kkt_datetime": result.fiscal_datetime,
            "kkt_qr": result.qr, "kkt_ofd_status": result.ofd_status,
        })
        return "done"

    def _kkt_body(self):
        """The body stored with the first attempt, else a new one, stored now (the same body on every retry)."""
        if not self.kkt_key:
            self.kkt_key = order_key(self.env["ir.config_parameter"].sudo().get_param("database.uuid"), self.id)
        if not self.kkt_request:
            body = build_receipt(self._kkt_snapshot(), self.config_id.kkt_receipt_pos_id())
            self.kkt_request = json.dumps(body, ensure_ascii=False, sort_keys=True)
        return json.loads(self.kkt_request)  # the first attempt too: every attempt sends the same bytes

    def _kkt_failed(self, outcome, attempts, message, keep_request=True):
        """An attempt that failed: "retry"/"unreachable" stay to send; "error" waits for a person. The body
        is kept for the retries, unless none could be built or the adapter found it invalid."""
        _logger.warning("Fiscalizing %s: %s", self.name, message)
        values = {"kkt_attempts": attempts, "kkt_last_error": message,
                  "kkt_state": "error" if outcome == "error" else "to_send"}
        if not keep_request:
            values["kkt_request"] = False
        self.write(values)
        return outcome

    def _kkt_snapshot(self):
        """The order as the lib's frozen values: lines with their taxes, payments as cash or card, the cashier."""
        self.ensure_one()
        lines = tuple(
            OrderLine(
                product_name=line.full_product_name or line.product_id.display_name,
                quantity=line.qty, price_unit=line.price_unit, discount=line.discount,
                taxes=tuple(Tax(tax.name, tax.amount, tax.amount_type, tax.price_include)
                            for tax in line.tax_ids_after_fiscal_position),
                payment_method_sign=int(line.product_id.kkt_payment_method_sign or 4),
            )
            for line in self.lines
        )
        payments = tuple(
            Payment("cash" if payment.payment_method_id.is_cash_count else "card", payment.amount)
            for payment in self.payment_ids
        )
        cashier = self.session_id.user_id or self.user_id
        return OrderSnapshot(
            name=self.name, lines=lines, amount_total=self.amount_total, payments=payments,
            is_refund=bool(self.lines.refunded_orderline_id) or self.amount_total < 0, order_id=self.id,
            cashier=Cashier(cashier.name) if cashier else None,
        )

    def _kkt_receipt_data(self):
        return {
            "id": self.id, "kkt_state": self.kkt_state or False, "kkt_fd_number": self.kkt_fd_number or False,
            "kkt_fiscal_sign": self.kkt_fiscal_sign or False, "kkt_fn_serial": self.kkt_fn_serial or False,
            "kkt_datetime": self.kkt_datetime or False, "kkt_qr": self.kkt_qr or False,
            "kkt_last_error": self.kkt_last_error or False,
        }

    def _export_for_ui(self, order):
        """A reprinted receipt (from the orders list) shows the fiscal data too."""
        result = super()._export_for_ui(order)
        result.update({k: v for k, v in order._kkt_receipt_data().items() if k != "id"})
        return result

