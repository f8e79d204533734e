"""Where the Odoo tests find the adapter: `OPTICSERP_KKT_ADAPTER_URL`, read when a test runs.

The harness (`tests/addons/test_odoo_addon_tests.py`) starts an adapter from the plugin's `kkt_adapter` fixture
and sets the variable; without it the tests that need an adapter are skipped, saying so.
"""

import os

URL_VARIABLE = "OPTICSERP_KKT_ADAPTER_URL"
TEST_POS_ID = "ODOO-TEST-POS"
UNREACHABLE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there


def adapter_url_or_skip(test):
    url = os.environ.get(URL_VARIABLE)
    if not url:
        test.skipTest(f"{URL_VARIABLE} is not set: these tests need a running KKT adapter "
                      f"(the project's tests/addons/test_odoo_addon_tests.py starts one)")
    return url
