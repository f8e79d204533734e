"""The adapter's heartbeat reaches the POS config it belongs to; bodies are checked as the emulator checks them."""

import json

from odoo.tests import HttpCase, tagged

TOKEN_PARAMETER = "optics_pos_ru54fz.heartbeat_token"
HEARTBEAT = {"adapter_id": "kkt-shop-1", "timestamp": "2026-11-29T12:00:00+03:00", "status": "degraded",
             "circuit_breaker": "OPEN", "network_status": "OFFLINE", "version": "1.0.0",
             "buffer": {"pending_count": 7, "dlq_count": 1, "percent_full": 0.7}}


@tagged("post_install", "-at_install")
class TestHeartbeatRoute(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pos_config = cls.env["pos.config"].create({"name": "Shop 1", "kkt_adapter_id": "kkt-shop-1"})

    def post(self, body, headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.url_open("/api/v1/kkt/heartbeat", data=raw,
                             headers={"Content-Type": "application/json", **(headers or {})})

    def test_a_heartbeat_is_stored_on_the_pos_config_of_its_adapter(self):
        response = self.post(HEARTBEAT)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["pos_configs"], 1)
        config = self.pos_config
        self.assertEqual((config.kkt_health, config.kkt_circuit_breaker, config.kkt_network_status),
                         ("degraded", "OPEN", "OFFLINE"))
        self.assertEqual((config.kkt_pending_count, config.kkt_dlq_count, config.kkt_buffer_percent), (7, 1, 0.7))
        self.assertTrue(config.kkt_last_heartbeat)

    def test_a_body_the_emulator_refuses_is_refused_naming_the_field(self):
        response = self.post({**HEARTBEAT, "circuit_breaker": "closed"})
        self.assertEqual((response.status_code, response.json()["field"]), (422, "circuit_breaker"))
        self.assertEqual(self.post(b"[1]").status_code, 400)
        self.assertFalse(self.pos_config.kkt_health)

    def test_with_a_shared_token_a_heartbeat_without_it_is_refused(self):
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAMETER, "s3cret")
        self.assertEqual(self.post(HEARTBEAT).status_code, 401)
        self.assertEqual(self.post(HEARTBEAT, {"Authorization": "Bearer s3cret"}).status_code, 200)

    def test_health_answers_as_the_emulator_does(self):
        self.post(HEARTBEAT)
        answer = self.url_open("/api/v1/health").json()
        self.assertEqual(answer["status"], "healthy")
        self.assertGreaterEqual(answer["heartbeats_received"], 1)
