"""A POS config's register: where its adapter is, under which ids it sells, and what the adapter last reported."""

import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib import AdapterError
from .adapter import adapter_url, client_for

_logger = logging.getLogger(__name__)

HEALTH = [("healthy", "Healthy"), ("degraded", "Degraded"), ("unhealthy", "Unhealthy"),
          ("unreachable", "Unreachable")]
BREAKER = [("CLOSED", "Closed"), ("OPEN", "Open"), ("HALF_OPEN", "Half open")]


class PosConfig(models.Model):
    _inherit = "pos.config"

    kkt_enabled = fields.Boolean("Fiscalize through the KKT adapter",
                                 help="Paid orders are sent to the fiscal register through the adapter (54-FZ).")
    kkt_adapter_url = fields.Char(
        "Adapter URL", help="Empty: the system parameter optics_pos_ru54fz.adapter_url, then kkt_adapter_url in "
                            "odoo.conf, then the KKT_ADAPTER_URL environment variable.")
    kkt_adapter_token = fields.Char("Adapter API token", groups="base.group_system", copy=False)
    kkt_pos_id = fields.Char("Register POS id", copy=False,
                             help="The pos_id the receipts carry; empty: POS-<config id>.")
    kkt_adapter_id = fields.Char("Adapter id", copy=False, help="The adapter_id its heartbeats carry.")
    kkt_health = fields.Selection(HEALTH, "Adapter health", readonly=True, copy=False)
    kkt_circuit_breaker = fields.Selection(BREAKER, "OFD circuit breaker", readonly=True, copy=False)
    kkt_network_status = fields.Char("OFD network", readonly=True, copy=False)
    kkt_pending_count = fields.Integer("Receipts waiting for the OFD", readonly=True, copy=False)
    kkt_dlq_count = fields.Integer("Receipts in the DLQ", readonly=True, copy=False)
    kkt_buffer_percent = fields.Float("Buffer used (%)", readonly=True, copy=False)
    kkt_last_heartbeat = fields.Datetime("Last report", readonly=True, copy=False)

    def kkt_receipt_pos_id(self):
        self.ensure_one()
        return self.kkt_pos_id or f"POS-{self.id}"

    def kkt_effective_url(self):
        self.ensure_one()
        return adapter_url(self.env, self.kkt_adapter_url)

    def kkt_store_state(self, report, when=None):
        """Store what the adapter reported (a heartbeat, or its health answer): one shape for both."""
        buffer = report.get("buffer") or {}
        health = report.get("status")
        breaker = report.get("circuit_breaker")
        self.sudo().write({
            "kkt_health": health if health in dict(HEALTH) else False,
            "kkt_circuit_breaker": breaker if breaker in dict(BREAKER) else False,
            "kkt_network_status": report.get("network_status") or buffer.get("network_status") or False,
            "kkt_pending_count": _number(buffer.get("pending_count"), int),
            "kkt_dlq_count": _number(buffer.get("dlq_count"), int),
            "kkt_buffer_percent": _number(buffer.get("percent_full"), float),
            "kkt_last_heartbeat": when or fields.Datetime.now(),
        })

    def action_kkt_refresh(self):
        """Ask each adapter for its health now (GET /v1/health) rather than wait for its next heartbeat."""
        for config in self:
            client = client_for(config)
            if client is None:
                raise UserError(_("No adapter URL is set for %s.", config.name))
            try:
                config.kkt_store_state(client.health().raw)
            except AdapterError as exc:
                _logger.warning("KKT adapter of %s: %s", config.name, exc)
                config.sudo().write({"kkt_health": "unreachable", "kkt_last_heartbeat": fields.Datetime.now()})
            finally:
                client.close()
        return True


def _number(value, kind):
    try:
        return kind(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0
