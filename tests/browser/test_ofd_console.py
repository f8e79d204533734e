"""The OFD emulator's console in a real browser: what reached the OFD, a receipt as the buyer sees it, the
checker, and the failure controls, against a real adapter delivering through the fault proxy."""

from __future__ import annotations

import io

import pytest

from pytest_opticserp import KktAdapter

pytestmark = pytest.mark.browser


def sell(kkt_adapter: KktAdapter) -> dict:
    answer = kkt_adapter.post_receipt()
    assert answer.status_code == 200, answer.text
    return answer.json()["fiscal"]


def test_a_receipt_sent_through_the_adapter_appears_without_a_reload(browser, kkt_adapter, ofd_emulator) -> None:
    browser.open(f"{ofd_emulator.url}/")
    browser.wait_for("h1", "OFD emulator")
    browser.driver.execute_script("window.stillTheSamePage = true")  # a reload would forget it

    fiscal = sell(kkt_adapter)

    row = browser.wait_for(f'#documents tr.document[data-fn="{fiscal["fn_serial"]}"]'
                           f'[data-fd="{fiscal["fiscal_doc_number"]}"]')
    assert browser.driver.execute_script("return window.stillTheSamePage === true"), "the page was reloaded"
    assert "receipt" in row.text.lower()
    browser.wait_for(f'#sequences .fn-sequence[data-fn="{fiscal["fn_serial"]}"]')
    browser.screenshot("console")


def test_a_receipts_page_shows_the_slip_and_a_qr_code_that_decodes_to_the_receipts_qr_string(
    browser, kkt_adapter, ofd_emulator
) -> None:
    import zxingcpp
    from PIL import Image

    fiscal = sell(kkt_adapter)
    kkt_adapter.wait_until_synced(1)

    browser.open(f"{ofd_emulator.url}/documents/{fiscal['fn_serial']}/{fiscal['fiscal_doc_number']}")
    slip = browser.wait_for("#slip")
    qr = browser.wait_for("#qr")
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", qr)  # captured as shown
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot_as_png)))

    assert [code.text for code in decoded] == [fiscal["qr"]]
    assert fiscal["fiscal_sign"] in slip.text and fiscal["fn_serial"] in slip.text
    assert browser.find_all("#tags tr"), "the document's tags are listed"
    browser.screenshot("receipt")


def test_the_checker_finds_a_real_receipt_and_rejects_a_wrong_fiscal_sign(browser, kkt_adapter, ofd_emulator) -> None:
    fiscal = sell(kkt_adapter)
    kkt_adapter.wait_until_synced(1)
    wrong = fiscal["qr"].replace(f"fp={fiscal['fiscal_sign']}", "fp=1234567890")

    verdicts = {}
    for name, qr in (("real", fiscal["qr"]), ("wrong sign", wrong)):
        browser.open(f"{ofd_emulator.url}/check")
        browser.wait_for("#check-qr").send_keys(qr)
        browser.find("#check-submit").click()
        verdicts[name] = browser.wait_for("#check-result").get_attribute("data-verdict")
        browser.screenshot(f"check-{name.replace(' ', '-')}")

    assert verdicts == {"real": "found", "wrong sign": "wrong_sign"}
