"""A prescription and the optics products as the shop records them: what is saved, and what is refused.

The rules themselves are tested thoroughly without Odoo (`tests/addons/test_prescription_rules.py`); here,
that the form's fields reach them and that their words reach the person at the counter.
"""

from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, tagged

GOOD = {"od_sphere": -1.25, "od_cylinder": -0.5, "od_axis": 90, "os_sphere": -1.0, "pd": 63.0}


@tagged("post_install", "-at_install")
class TestPrescription(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Ivanov Ivan"})

    def prescription(self, **values):
        return self.env["optics.prescription"].create(
            {"partner_id": self.customer.id, "date": date(2026, 11, 29), **GOOD, **values}
        )

    def assertRefused(self, message, **values):
        with self.assertRaises(ValidationError) as refusal:
            self.prescription(**values)
        self.assertEqual(str(refusal.exception), message)

    def test_a_valid_prescription_is_saved_and_shown_as_it_is_written(self):
        prescription = self.prescription()
        self.assertEqual(prescription.display_name, "Ivanov I. 2026-11-29 (OD -1.25/-0.50x90, OS -1.00)")

    def test_the_newest_prescription_comes_first(self):
        older = self.prescription(date=date(2025, 1, 10))
        newer = self.prescription()
        self.assertEqual(
            self.env["optics.prescription"].search([("partner_id", "=", self.customer.id)]).ids, [newer.id, older.id]
        )

    def test_a_sphere_out_of_range_is_refused_with_the_range(self):
        self.assertRefused("OD sphere +30.25 D is outside -30.00..+30.00 D", od_sphere=30.25)

    def test_a_cylinder_off_the_quarter_step_is_refused(self):
        self.assertRefused("OS cylinder -1.30 D is not a multiple of 0.25 D", os_cylinder=-1.3, os_axis=180)

    def test_an_axis_without_a_cylinder_is_refused(self):
        self.assertRefused("OS axis 90° must be empty when the cylinder is 0", os_axis=90)

    def test_a_cylinder_without_an_axis_is_refused(self):
        self.assertRefused("OD axis is required when the cylinder is not 0", od_axis=0)

    def test_a_prism_without_a_base_is_refused(self):
        self.assertRefused("OD prism base is required when there is a prism", od_prism=1.5)

    def test_a_prism_with_its_base_is_saved(self):
        self.assertEqual(self.prescription(od_prism=1.5, od_prism_base="in").od_prism_base, "in")

    def test_a_prescription_without_pd_is_refused(self):
        self.assertRefused("PD is required", pd=0)

    def test_every_problem_is_listed_at_once_one_per_line(self):
        self.assertRefused(
            "OD sphere +30.25 D is outside -30.00..+30.00 D\nOS addition +5.00 D is outside "
            "+0.50..+4.00 D (0.00: none)\nPD 63.3 mm is not a multiple of 0.5 mm",
            od_sphere=30.25,
            os_addition=5.0,
            pd=63.3,
        )

    def test_a_change_made_later_is_checked_too(self):
        prescription = self.prescription()
        with self.assertRaisesRegex(ValidationError, "OD cylinder -0.60 D is not a multiple of 0.25 D"):
            prescription.od_cylinder = -0.6

    def test_the_form_saves_a_prescription_with_both_eyes(self):
        with Form(self.env["optics.prescription"]) as form:
            form.partner_id = self.customer
            form.os_sphere = -2.0
            form.os_cylinder = -0.75
            form.os_axis = 175
            form.pd = 62.5
        self.assertIn("OS -2.00/-0.75x175", form.record.display_name)

    def test_progressive_lenses_need_an_addition_in_both_eyes(self):
        self.assertEqual(
            self.prescription().lens_problem("progressive"),
            "A progressive lens needs an addition (ADD) in the prescription; neither eye has one",
        )
        self.assertFalse(self.prescription(od_addition=2.0, os_addition=2.0).lens_problem("progressive"))

    def test_single_vision_lenses_fit_any_prescription(self):
        self.assertFalse(self.prescription().lens_problem("single_vision"))


@tagged("post_install", "-at_install")
class TestOpticsProducts(TransactionCase):
    def product(self, **values):
        return self.env["product.template"].create({"name": "Optics product", **values})

    def test_a_lens_without_a_design_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "needs a refractive index and a design"):
            self.product(optics_kind="lens", lens_index="1.60")

    def test_a_lens_with_index_and_design_is_saved(self):
        lens = self.product(optics_kind="lens", lens_index="1.67", lens_design="progressive", lens_coating="AR")
        self.assertEqual((lens.lens_index, lens.lens_design), ("1.67", "progressive"))

    def test_a_variant_becomes_a_lens_in_one_write(self):
        variant = self.product().product_variant_id
        variant.write({"optics_kind": "lens", "lens_index": "1.60", "lens_design": "single_vision"})
        self.assertEqual(variant.product_tmpl_id.lens_design, "single_vision")

    def test_a_frame_size_outside_its_range_is_refused_with_the_range(self):
        with self.assertRaisesRegex(ValidationError, r"Bridge of .* is 40 mm, not 10\.\.30 mm"):
            self.product(optics_kind="frame", frame_lens_width=52, frame_bridge=40, frame_temple=140)

    def test_a_frame_without_sizes_is_saved(self):
        self.assertEqual(self.product(optics_kind="frame", frame_material="titanium").frame_bridge, 0)

    def test_other_goods_need_no_optics_facts(self):
        self.assertFalse(self.product().optics_kind)
