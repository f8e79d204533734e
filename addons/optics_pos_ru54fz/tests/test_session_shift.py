"""Opening and closing a POS session and the register's shift, when the register or the adapter says no.

The shift's happy path runs against the real adapter in `test_fiscalize`; here the register's refusal is
played by replacing the lib's call, since the adapter cannot be made to hold a 25-hour shift from Odoo.
"""

from unittest.mock import patch

from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..lib import RegisterRefused
from .common import TEST_POS_ID, UNREACHABLE_URL

OPEN_FOR_SESSION = "odoo.addons.optics_pos_ru54fz.models.pos_session.open_for_session"


@tagged("post_install", "-at_install")
class TestSessionShift(TestPoSCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.config.write({"kkt_enabled": True, "kkt_pos_id": TEST_POS_ID, "kkt_adapter_url": UNREACHABLE_URL})

    def test_an_expired_shift_keeps_the_session_closed_and_tells_the_cashier_why(self):
        expired = RegisterRefused("shift 7 is over 24 hours old: print the Z report", device_code=0x16,
                                  status=409, code="shift_expired")
        with patch(OPEN_FOR_SESSION, side_effect=expired), self.assertRaises(UserError) as refusal:
            self.open_new_session()
        self.assertIn("Z report", str(refusal.exception))

    def test_an_unreachable_adapter_does_not_keep_the_session_from_opening(self):
        session = self.open_new_session()
        self.assertEqual(session.state, "opened")
        self.assertIn("was not opened", " ".join(session.message_ids.mapped("body")))

    def test_the_pos_in_the_browser_never_gets_the_adapters_token(self):
        self.config.kkt_adapter_token = "s3cret"
        session = self.open_new_session()
        loaded = session._get_pos_ui_pos_config(session._loader_params_pos_config())
        self.assertTrue(loaded["kkt_enabled"])
        self.assertNotIn("kkt_adapter_token", loaded)
