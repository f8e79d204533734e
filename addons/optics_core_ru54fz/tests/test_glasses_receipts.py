"""Made-to-order glasses through a real adapter: a partial prepayment receipt, then the goods with it counted."""

import json

from odoo.addons.optics_pos_ru54fz.tests.common import TEST_POS_ID, UNREACHABLE_URL, adapter_url_or_skip
from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.tests import tagged

URL_PARAMETER = "optics_pos_ru54fz.adapter_url"


@tagged("post_install", "-at_install")
class TestGlassesReceipts(TestPoSCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.config.write({"kkt_enabled": True, "kkt_pos_id": TEST_POS_ID})
        customer = cls.env["res.partner"].create({"name": "Петрова Анна"})
        frame = cls.create_product("Оправа Ray-Ban RB5154", cls.categ_basic, 7000.0, tax_ids=cls.taxes["tax10"].ids)
        frame.optics_kind = "frame"
        lens = cls.create_product("Линза 1.60 однофокальная", cls.categ_basic, 2500.0, tax_ids=cls.taxes["tax7"].ids)
        lens.product_tmpl_id.write({"optics_kind": "lens", "lens_index": "1.60", "lens_design": "single_vision"})
        prescription = cls.env["optics.prescription"].create({
            "partner_id": customer.id, "od_sphere": -2.0, "os_sphere": -1.75, "pd": 62.0})
        cls.glasses_values = {"partner_id": customer.id, "prescription_id": prescription.id, "frame_id": frame.id,
                              "lens_id": lens.id}

    def setUp(self):
        super().setUp()
        self.adapter_url = adapter_url_or_skip(self)
        self.env["ir.config_parameter"].sudo().set_param(URL_PARAMETER, self.adapter_url)
        self.open_new_session()
        self.glasses = self.env["optics.glasses.order"].create(self.glasses_values)

    def test_the_advance_is_a_partial_prepayment_receipt_at_the_calculated_rates(self):
        pos_order = self.glasses.take_advance(self.pos_session, self.cash_pm1, 6000.0)
        self.assertEqual(pos_order.kkt_state, "done", pos_order.kkt_last_error)
        request = json.loads(pos_order.kkt_request)
        self.assertEqual([(i["name"], i["price"], i["tax_rate"], i["payment_method_sign"]) for i in request["items"]],
                         [("Оправа Ray-Ban RB5154", "3400.81", "10/110", 2),
                          ("Линза 1.60 однофокальная", "2599.19", "7/107", 2)])
        self.assertEqual((request["total"], request["payment_method"]), ("6000.00", "cash"))
        self.assertNotIn("prepayment", request)

    def test_the_pickup_receipt_sells_the_goods_at_full_price_and_counts_the_advance(self):
        advance = self.glasses.take_advance(self.pos_session, self.cash_pm1, 6000.0)
        self.glasses.action_ready()
        pickup = self.glasses.hand_over(self.pos_session, self.bank_pm1)
        self.assertEqual(pickup.kkt_state, "done", pickup.kkt_last_error)
        self.assertGreater(pickup.kkt_fd_number, advance.kkt_fd_number)
        request = json.loads(pickup.kkt_request)
        self.assertEqual([(i["name"], i["quantity"], i["price"], i["tax_rate"], i.get("payment_method_sign"))
                          for i in request["items"]],
                         [("Оправа Ray-Ban RB5154", "1", "7000.00", "10", None),
                          ("Линза 1.60 однофокальная", "2", "2675.00", "7", None)])
        self.assertEqual((request["total"], request["prepayment"], request["payment_method"]),
                         ("12350.00", "6000.00", "card"))

    def test_an_advance_paid_while_the_adapter_is_away_is_fiscalized_later_by_the_cron(self):
        self.env["ir.config_parameter"].sudo().set_param(URL_PARAMETER, UNREACHABLE_URL)
        pos_order = self.glasses.take_advance(self.pos_session, self.bank_pm1, 5000.0)
        self.assertEqual((self.glasses.state, pos_order.state, pos_order.kkt_state), ("ordered", "paid", "to_send"))
        self.env["ir.config_parameter"].sudo().set_param(URL_PARAMETER, self.adapter_url)
        self.env["pos.order"]._cron_fiscalize()
        self.assertEqual((pos_order.kkt_state, pos_order.kkt_attempts), ("done", 2), pos_order.kkt_last_error)
