"""Made-to-order glasses: the advance at the counter and the rest at pickup are paid POS orders of the till."""

from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.exceptions import UserError
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestGlassesOrder(TestPoSCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.customer = cls.env["res.partner"].create({"name": "Иванов Иван"})
        cls.frame = cls.create_product("Оправа Ray-Ban RB5154", cls.categ_basic, 7000.0,
                                       tax_ids=cls.taxes["tax10"].ids)
        cls.frame.optics_kind = "frame"
        cls.lens = cls.create_product("Линза 1.60 однофокальная", cls.categ_basic, 2500.0,
                                      tax_ids=cls.taxes["tax7"].ids)
        cls.lens.product_tmpl_id.write({"optics_kind": "lens", "lens_index": "1.60", "lens_design": "single_vision"})
        cls.prescription = cls.env["optics.prescription"].create({
            "partner_id": cls.customer.id, "od_sphere": -1.25, "od_cylinder": -0.5, "od_axis": 90,
            "os_sphere": -1.0, "pd": 63.0,
        })

    def setUp(self):
        super().setUp()
        self.open_new_session()

    def glasses(self, **values):
        return self.env["optics.glasses.order"].create({
            "partner_id": self.customer.id, "prescription_id": self.prescription.id, "frame_id": self.frame.id,
            "lens_id": self.lens.id, **values})

    def test_the_total_is_the_frame_and_a_pair_of_lenses_with_their_taxes(self):
        order = self.glasses()
        self.assertEqual(order.amount_total, 7000.0 + 2 * 2500.0 * 1.07)
        self.assertTrue(order.name.startswith("GL/"))

    def test_the_advance_is_a_paid_pos_order_prepaying_each_item_in_proportion(self):
        order = self.glasses()
        pos_order = order.take_advance(self.pos_session, self.cash_pm1, 6000.0)
        self.assertEqual((order.state, order.advance_amount, order.amount_due), ("ordered", 6000.0, 6350.0))
        self.assertEqual((pos_order.state, pos_order.amount_total, pos_order.amount_paid), ("paid", 6000.0, 6000.0))
        advance = self.env.ref("optics_core.product_glasses_advance")
        self.assertEqual(pos_order.lines.product_id, advance)
        self.assertEqual([(line.full_product_name, line.price_subtotal_incl, line.tax_ids) for line in pos_order.lines],
                         [(self.frame.display_name, 3400.81, self.taxes["tax10"]),
                          (self.lens.display_name, 2599.19, self.taxes["tax7"])])

    def test_the_pickup_order_sells_the_goods_and_takes_the_advance_back(self):
        order = self.glasses()
        order.take_advance(self.pos_session, self.cash_pm1, 6000.0)
        order.action_ready()
        pos_order = order.hand_over(self.pos_session, self.bank_pm1)
        self.assertEqual((order.state, pos_order.state, pos_order.amount_total), ("done", "paid", 6350.0))
        goods = pos_order.lines.filtered(lambda line: line.qty > 0)
        taken_back = pos_order.lines - goods
        self.assertEqual([(line.product_id, line.qty) for line in goods], [(self.frame, 1), (self.lens, 2)])
        self.assertEqual(sum(taken_back.mapped("price_subtotal_incl")), -6000.0)
        self.assertEqual(pos_order.payment_ids.payment_method_id, self.bank_pm1)

    def test_an_advance_of_the_whole_price_leaves_nothing_to_pay_at_pickup(self):
        order = self.glasses()
        order.take_advance(self.pos_session, self.cash_pm1, order.amount_total)
        order.action_ready()
        pos_order = order.hand_over(self.pos_session, self.cash_pm1)
        self.assertEqual((pos_order.state, pos_order.amount_total, len(pos_order.payment_ids)), ("paid", 0.0, 0))

    def test_glasses_are_not_handed_over_before_they_are_ready(self):
        order = self.glasses()
        order.take_advance(self.pos_session, self.cash_pm1, 1000.0)
        with self.assertRaisesRegex(UserError, "once they are ready"):
            order.hand_over(self.pos_session, self.cash_pm1)

    def test_an_advance_beyond_the_total_or_without_a_prescription_is_refused(self):
        with self.assertRaisesRegex(UserError, "not between 0 and the total"):
            self.glasses().take_advance(self.pos_session, self.cash_pm1, 20000.0)
        with self.assertRaisesRegex(UserError, "choose one first"):
            self.glasses(prescription_id=False).take_advance(self.pos_session, self.cash_pm1, 1000.0)

    def test_progressive_lenses_need_an_addition_in_the_prescription(self):
        progressive = self.create_product("Линза прогрессивная", self.categ_basic, 9000.0,
                                          tax_ids=self.taxes["tax10"].ids)
        progressive.product_tmpl_id.write({"optics_kind": "lens", "lens_index": "1.60", "lens_design": "progressive"})
        with self.assertRaises(UserError):
            self.glasses(lens_id=progressive.id).take_advance(self.pos_session, self.cash_pm1, 1000.0)

    def test_the_cashiers_dialog_proposes_half_and_pays_the_advance(self):
        order = self.glasses()
        wizard = self.env["optics.glasses.payment"].create({
            "order_id": order.id, "kind": "advance", "session_id": self.pos_session.id,
            "payment_method_id": self.cash_pm1.id})
        self.assertEqual(wizard.amount, order.currency_id.round(order.amount_total / 2))
        action = wizard.action_confirm()
        self.assertEqual((action["res_model"], action["res_id"]), ("pos.order", order.advance_order_id.id))
