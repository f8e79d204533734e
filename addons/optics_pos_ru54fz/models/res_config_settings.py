"""The POS settings page shows the selected POS config's register: `pos_` fields are written to that config."""

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pos_kkt_enabled = fields.Boolean(related="pos_config_id.kkt_enabled", readonly=False)
    pos_kkt_adapter_url = fields.Char(related="pos_config_id.kkt_adapter_url", readonly=False)
    pos_kkt_adapter_token = fields.Char(related="pos_config_id.kkt_adapter_token", readonly=False,
                                        groups="base.group_system")
    pos_kkt_pos_id = fields.Char(related="pos_config_id.kkt_pos_id", readonly=False)
    pos_kkt_adapter_id = fields.Char(related="pos_config_id.kkt_adapter_id", readonly=False)
    pos_kkt_health = fields.Selection(related="pos_config_id.kkt_health")
    pos_kkt_circuit_breaker = fields.Selection(related="pos_config_id.kkt_circuit_breaker")
    pos_kkt_network_status = fields.Char(related="pos_config_id.kkt_network_status")
    pos_kkt_pending_count = fields.Integer(related="pos_config_id.kkt_pending_count")
    pos_kkt_dlq_count = fields.Integer(related="pos_config_id.kkt_dlq_count")
    pos_kkt_buffer_percent = fields.Float(related="pos_config_id.kkt_buffer_percent")
    pos_kkt_last_heartbeat = fields.Datetime(related="pos_config_id.kkt_last_heartbeat")

    def action_pos_kkt_refresh(self):
        self.pos_config_id.action_kkt_refresh()
        return {"type": "ir.actions.client", "tag": "reload"}
