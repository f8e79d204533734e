"""Paid POS orders get their fiscal data from a real adapter: sale, split payment, refund, the adapter away."""

import json
from unittest.mock import patch

from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.tests import tagged

from ..lib import AdapterBusy, AdapterClient
from .common import TEST_POS_ID, UNREACHABLE_URL, adapter_url_or_skip

URL_PARAMETER = "optics_pos_ru54fz.adapter_url"


@tagged("post_install", "-at_install")
class TestFiscalize(TestPoSCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.config.write({"kkt_enabled": True, "kkt_pos_id": TEST_POS_ID})
        cls.glasses = cls.create_product("Очки солнцезащитные", cls.categ_basic, 5000.0,
                                         tax_ids=cls.taxes["tax10"].ids)
        cls.case = cls.create_product("Футляр", cls.categ_basic, 333.33, tax_ids=cls.taxes["tax7"].ids)

    def setUp(self):
        super().setUp()
        self.adapter_url = adapter_url_or_skip(self)
        self.use_adapter(self.adapter_url)
        self.open_new_session()

    def use_adapter(self, url):
        self.env["ir.config_parameter"].sudo().set_param(URL_PARAMETER, url)

    def sell(self, lines, payments=None):
        data = self.create_ui_order_data(lines, payments=payments)
        created = self.env["pos.order"].create_from_ui([data])
        return self.env["pos.order"].browse(created[0]["id"])

    def test_a_paid_order_is_marked_to_send_without_calling_the_adapter(self):
        self.use_adapter(UNREACHABLE_URL)
        order = self.sell([(self.glasses, 1)])
        self.assertEqual((order.kkt_state, order.kkt_attempts, order.kkt_last_error), ("to_send", 0, False))
        self.assertTrue(order.kkt_key.startswith("pos-order-"))

    def test_a_paid_order_gets_its_fiscal_data_and_the_receipt_prints_it(self):
        order = self.sell([(self.glasses, 2, 10.0), (self.case, 3)])
        [for_receipt] = order.kkt_fiscalize_for_receipt()  # what the POS calls once the order is saved
        self.assertEqual(order.kkt_state, "done", order.kkt_last_error)
        self.assertEqual((for_receipt["kkt_fd_number"], for_receipt["kkt_fiscal_sign"], for_receipt["kkt_qr"]),
                         (order.kkt_fd_number, order.kkt_fiscal_sign, order.kkt_qr))
        self.assertGreater(order.kkt_fd_number, 0)
        self.assertTrue(order.kkt_fiscal_sign and order.kkt_fn_serial and order.kkt_qr)
        self.assertEqual(order.kkt_ofd_status, "pending")
        request = json.loads(order.kkt_request)
        self.assertEqual((request["type"], request["pos_id"]), ("sale", TEST_POS_ID))
        self.assertEqual(float(request["total"]), order.amount_total)
        printed = order._export_for_ui(order)
        self.assertEqual((printed["kkt_fd_number"], printed["kkt_qr"]), (order.kkt_fd_number, order.kkt_qr))

    def test_a_split_payment_is_sent_as_cash_and_card(self):
        order = self.sell([(self.glasses, 1)], payments=[(self.cash_pm1, 2000.0), (self.bank_pm1, 3000.0)])
        order.action_fiscalize()
        self.assertEqual(order.kkt_state, "done", order.kkt_last_error)
        self.assertEqual(json.loads(order.kkt_request)["payments"],
                         [{"method": "cash", "amount": "2000.00"}, {"method": "card", "amount": "3000.00"}])

    def test_a_refund_is_a_refund_receipt_of_its_own(self):
        sale = self.sell([(self.glasses, 1)])
        sale.action_fiscalize()
        refund = self.env["pos.order"].browse(sale.refund()["res_id"])
        payment = self.env["pos.make.payment"].with_context(active_id=refund.id).create(
            {"payment_method_id": self.cash_pm1.id})
        payment.check()
        self.assertEqual((refund.kkt_state, refund.kkt_fd_number), ("to_send", 0), "fiscal data is not copied")
        refund.action_fiscalize()
        self.assertEqual(refund.kkt_state, "done", refund.kkt_last_error)
        self.assertEqual(json.loads(refund.kkt_request)["type"], "refund")
        self.assertNotEqual(refund.kkt_key, sale.kkt_key)
        self.assertGreater(refund.kkt_fd_number, sale.kkt_fd_number)

    def test_an_unreachable_adapter_leaves_the_order_to_send_and_the_cron_fiscalizes_it_once(self):
        self.use_adapter(UNREACHABLE_URL)
        order = self.sell([(self.glasses, 1)])
        order.action_fiscalize()
        self.assertEqual((order.kkt_state, order.kkt_attempts), ("to_send", 1))
        self.assertIn("cannot be reached", order.kkt_last_error)
        first_body = order.kkt_request
        self.use_adapter(self.adapter_url)
        self.env["pos.order"]._cron_fiscalize()
        self.assertEqual((order.kkt_state, order.kkt_attempts), ("done", 2), order.kkt_last_error)
        self.assertEqual(order.kkt_request, first_body)
        fiscal = (order.kkt_fd_number, order.kkt_fiscal_sign)
        order.action_fiscalize()
        self.env["pos.order"]._cron_fiscalize()
        self.assertEqual((order.kkt_attempts, order.kkt_fd_number, order.kkt_fiscal_sign), (2, *fiscal))

    def test_a_busy_adapter_leaves_the_order_to_send(self):
        order = self.sell([(self.glasses, 1)])
        busy = AdapterBusy("the buffer is full", retry_after=5.0, status=503, code="buffer_full")
        with patch.object(AdapterClient, "fiscalize", side_effect=busy):
            order.action_fiscalize()
        self.assertEqual((order.kkt_state, order.kkt_attempts, order.kkt_last_error),
                         ("to_send", 1, "the buffer is full"))

    def test_a_retried_order_gets_the_first_receipt_back_not_a_second_one(self):
        order = self.sell([(self.glasses, 1)])
        order.action_fiscalize()
        first = (order.kkt_receipt_id, order.kkt_fd_number)
        order.kkt_state = "to_send"  # as after a transaction that rolled back once the adapter had answered
        order.action_fiscalize()
        self.assertEqual((order.kkt_receipt_id, order.kkt_fd_number), first)

    def test_an_order_the_register_cannot_take_is_in_error_with_the_reason(self):
        order = self.sell([(self.glasses, 1)])
        order.lines.tax_ids = self.taxes["tax21"]  # no VAT rate of the register is 21%
        order.action_fiscalize()
        self.assertEqual((order.kkt_state, order.kkt_request), ("error", False))
        self.assertIn("lines[0]", order.kkt_last_error)

    def test_closing_the_session_closes_the_registers_shift(self):
        self.sell([(self.glasses, 1)]).action_fiscalize()
        session = self.pos_session
        session.post_closing_cash_details(sum(session.order_ids.payment_ids.mapped("amount")))
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")
        notes = " ".join(session.message_ids.mapped("body"))
        self.assertIn("Register shift", notes)  # opened or joined when the session opened
        self.assertIn("Z report printed", notes)

    def test_the_settings_refresh_shows_the_adapters_state(self):
        settings = self.env["res.config.settings"].create({"pos_config_id": self.config.id})
        settings.action_pos_kkt_refresh()
        self.assertEqual(settings.pos_kkt_health, self.config.kkt_health)
        self.assertIn(self.config.kkt_health, ("healthy", "degraded"))
        self.assertTrue(self.config.kkt_circuit_breaker and self.config.kkt_last_heartbeat)
