"""The POS in a real browser: a cashier's sale shows FD, FP, FN and the QR code on the customer's receipt.

Odoo's tour runner drives Chrome; without a Chrome or Chromium on the PATH Odoo skips the test and says so.
"""

import re

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.tests import tagged

from .common import TEST_POS_ID, adapter_url_or_skip

URL_PARAMETER = "optics_pos_ru54fz.adapter_url"


@tagged("post_install", "-at_install")
class TestFiscalReceiptTour(TestPointOfSaleHttpCommon):

    def test_the_customers_receipt_in_the_browser_shows_what_the_register_signed(self):
        self.env["ir.config_parameter"].sudo().set_param(URL_PARAMETER, adapter_url_or_skip(self))
        self.main_pos_config.write({"kkt_enabled": True, "kkt_pos_id": TEST_POS_ID})
        self.env["product.product"].create({"name": "Очки солнцезащитные", "available_in_pos": True,
                                            "list_price": 5000.0, "taxes_id": False})
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_tour(f"/pos/ui?config_id={self.main_pos_config.id}", "optics_pos_ru54fz_fiscal_receipt",
                        login="pos_user")
        order = self.env["pos.order"].search([("config_id", "=", self.main_pos_config.id)], order="id desc", limit=1)
        self.assertEqual((order.kkt_state, order.amount_total), ("done", 5000.0), order.kkt_last_error)
        self.assertTrue(order.kkt_fd_number > 0 and re.fullmatch(r"\d{16}", order.kkt_fn_serial))
