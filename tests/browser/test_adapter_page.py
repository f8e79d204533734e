"""The adapter's page in a real browser: its breaker as the OFD console's failure controls drive it, and a DLQ
entry re-driven from the page until the OFD has it."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually

pytestmark = pytest.mark.browser


def test_fail_next_3_on_the_ofd_console_opens_the_breaker_on_the_adapters_page_and_it_closes_after_recovery(
    browser, kkt_adapter: KktAdapter, ofd_emulator
) -> None:
    browser.open(f"{ofd_emulator.url}/")
    count = browser.wait_for("#fail-count")
    count.clear()
    count.send_keys("3")
    browser.find("#fail-next button, #fail-next input[type=submit]").click()
    browser.wait_for("#mode", "3")
    browser.screenshot("ofd-failing")

    browser.open(f"{kkt_adapter.url}/")
    browser.wait_for("h1", "KKT adapter")
    browser.wait_for("#breaker", "CLOSED")
    assert kkt_adapter.post_receipt().status_code == 200

    browser.wait_for("#breaker", "OPEN")
    browser.screenshot("adapter-breaker-open")
    browser.wait_for("#breaker", "CLOSED")
    browser.wait_for("#synced", "1")
    browser.screenshot("adapter-breaker-closed")


@pytest.mark.kkt_adapter(ofd_max_attempts=3, circuit_breaker_threshold=100)
def test_a_dlq_entry_re_driven_from_the_page_reaches_the_ofd(browser, kkt_adapter: KktAdapter, ofd_emulator) -> None:
    ofd_emulator.fail_permanently()
    answer = kkt_adapter.post_receipt().json()
    receipt_id, fiscal = answer["receipt_id"], answer["fiscal"]
    eventually(lambda: kkt_adapter.status()["dlq_count"] == 1, "the receipt in the DLQ", kkt_adapter.status)
    ofd_emulator.reset()  # answering normally again

    browser.open(f"{kkt_adapter.url}/")
    entry = browser.wait_for(f'#dlq tr.dlq-entry[data-receipt-id="{receipt_id}"]')
    browser.screenshot("adapter-dlq")
    entry.find_element("css selector", "button.redrive").click()

    browser.wait_for("#last-action", "Re-drove")
    browser.wait_for(f'#receipts tr.receipt[data-id="{receipt_id}"][data-status="synced"]')
    at_the_ofd = {(d.document["fn_serial"], d.document["fiscal_doc_number"]) for d in ofd_emulator.receipts()}
    assert (fiscal["fn_serial"], fiscal["fiscal_doc_number"]) in at_the_ofd
    browser.screenshot("adapter-redriven")
