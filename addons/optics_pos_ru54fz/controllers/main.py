"""The adapter's heartbeat, received as the Odoo API emulator receives it, stored on the matching POS config.

A plain JSON body (not JSON-RPC), CSRF off, public: the adapter has no Odoo session. When the system parameter
`optics_pos_ru54fz.heartbeat_token` is set, the adapter must send it as `Authorization: Bearer <token>`.
"""

import hmac
import json

from odoo import fields, http
from odoo.http import request

from ..lib.heartbeat import HeartbeatRejected, parse_heartbeat

TOKEN_PARAMETER = "optics_pos_ru54fz.heartbeat_token"
HEARTBEATS_PARAMETER = "optics_pos_ru54fz.heartbeats_received"


def _json(body, status=200):
    return request.make_response(json.dumps(body), headers=[("Content-Type", "application/json")], status=status)


class KktHeartbeat(http.Controller):

    @http.route("/api/v1/kkt/heartbeat", type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def heartbeat(self, **_kwargs):
        params = request.env["ir.config_parameter"].sudo()
        token = params.get_param(TOKEN_PARAMETER)
        if token:
            sent = request.httprequest.headers.get("Authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return _json({"status": "error", "field": "Authorization", "message": "a valid token is required"},
                             401)
        try:
            heartbeat = parse_heartbeat(request.httprequest.get_data())
        except HeartbeatRejected as exc:
            return _json({"status": "error", "field": exc.field, "message": exc.problem}, exc.status)
        configs = request.env["pos.config"].sudo().search([("kkt_adapter_id", "=", heartbeat["adapter_id"])])
        received_at = fields.Datetime.now()
        configs.kkt_store_state(heartbeat, received_at)
        params.set_param(HEARTBEATS_PARAMETER, int(params.get_param(HEARTBEATS_PARAMETER, 0)) + 1)
        return _json({"status": "ok", "received_at": received_at.isoformat(), "pos_configs": len(configs)})

    @http.route("/api/v1/health", type="http", auth="public", methods=["GET"], csrf=False, save_session=False)
    def health(self):
        count = int(request.env["ir.config_parameter"].sudo().get_param(HEARTBEATS_PARAMETER, 0))
        return _json({"status": "healthy", "heartbeats_received": count})
