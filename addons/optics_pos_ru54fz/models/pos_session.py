"""A POS session and the register's shift: opening the session opens the shift, closing it prints the Z report.

A register has one shift for all its sessions, so opening often joins the shift already open. A shift over
24 hours old is the cashier's to close (Z report) before selling: the session does not open, and says why. An
adapter that cannot be reached does not keep a session from opening or closing: sales wait "to send", and the
session's chatter says what was not done.
"""

import logging

from odoo import _, models
from odoo.exceptions import UserError

from ..lib import AdapterError, Cashier, RegisterRefused, close_for_session, open_for_session, shift_key
from .adapter import client_for

_logger = logging.getLogger(__name__)


class PosSession(models.Model):
    _inherit = "pos.session"

    def action_pos_session_open(self):
        opening = self.filtered(lambda s: s.state == "opening_control" and s.config_id.kkt_enabled)
        result = super().action_pos_session_open()
        for session in opening:
            session._kkt_shift("open")
        return result

    def _validate_session(self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None):
        result = super()._validate_session(balancing_account, amount_to_balance, bank_payment_method_diffs)
        for session in self.filtered(lambda s: s.state == "closed" and s.config_id.kkt_enabled):
            session.order_ids.filtered(lambda o: o.kkt_state == "to_send").action_fiscalize()  # in this shift
            session._kkt_shift("close")
        return result

    def _get_pos_ui_pos_config(self, params):
        config = super()._get_pos_ui_pos_config(params)
        config.pop("kkt_adapter_token", None)  # the server calls the adapter; the browser never needs it
        return config

    def _kkt_shift(self, action):
        """Open or close the register's shift for this session under the session's own key (safe to retry)."""
        self.ensure_one()
        client = client_for(self.config_id)
        if client is None:
            self._kkt_note(_("No adapter URL is set: the register's shift was not %s.", _kkt_done(action)))
            return
        key = shift_key(self.env["ir.config_parameter"].sudo().get_param("database.uuid"), self.id, action)
        cashier = Cashier(self.user_id.name) if self.user_id else None
        try:
            if action == "open":
                shift = open_for_session(client, key, cashier)
                self._kkt_note(_("Register shift %s %s.", shift.shift_number,
                                 _("opened") if shift.opened_now else _("already open, joined")))
            else:
                report = close_for_session(client, key, cashier)
                self._kkt_note(_("Register shift %s closed, Z report printed.", report.shift_number) if report
                               else _("No register shift was open: no Z report."))
        except RegisterRefused as exc:
            if action == "open" and exc.code == "shift_expired":
                raise UserError(_("The register refuses to sell: %s", exc.message)) from None
            self._kkt_note(_("The register refused (%s): %s", exc.code, exc.message))
        except AdapterError as exc:
            _logger.warning("KKT adapter, shift %s for %s: %s", action, self.name, exc)
            self._kkt_note(_("The register's shift was not %s: %s", _kkt_done(action), exc.message))
        finally:
            client.close()

    def _kkt_note(self, message):
        self.message_post(body=message)


def _kkt_done(action):
    return _("opened") if action == "open" else _("closed")
