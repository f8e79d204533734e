"""The serial register's faults as a POS meets them through the adapter: a clear error or its receipt, never
two receipts and never a lost one (the adapter's real driver against the Shtrih-M emulator on a pty)."""

from __future__ import annotations

import sqlite3

import pytest

from pytest_opticserp import InProcessKktAdapter

pytestmark = pytest.mark.kkt_adapter(kkt_mode="real")


def fn_receipts(device) -> list[int]:
    with sqlite3.connect(f"file:{device.fiscal_drive_path}?mode=ro", uri=True) as fn:
        return [fd for (fd,) in fn.execute("SELECT fd FROM documents WHERE doc_type = 3 ORDER BY fd")]


def test_paper_out_is_a_clear_refusal_and_the_retry_after_loading_signs_once(
        kkt_adapter_app: InProcessKktAdapter, kkt_register_device) -> None:
    kkt_adapter_app.post_receipt()  # the shift is open and the line is warm
    kkt_register_device.paper_out()
    refused = kkt_adapter_app.post_receipt(key="paper-1")
    kkt_register_device.paper_in()
    retried = kkt_adapter_app.post_receipt(key="paper-1")
    again = kkt_adapter_app.post_receipt(key="paper-1")

    assert refused.status_code == 503
    assert (refused.json()["error"], refused.json()["device_code"]) == ("paper_out", 0x6B)
    assert retried.status_code == 200 and again.json() == retried.json()
    assert fn_receipts(kkt_register_device) == [3, retried.json()["fiscal"]["fiscal_doc_number"]]
    assert kkt_adapter_app.accepted() == 2


def test_a_register_switched_off_is_unavailable_and_works_again_when_switched_on(
        kkt_adapter_app: InProcessKktAdapter, kkt_register_device) -> None:
    kkt_adapter_app.post_receipt()
    kkt_register_device.power_off()
    refused = kkt_adapter_app.post_receipt(key="power-1")
    kkt_register_device.power_on()
    retried = kkt_adapter_app.post_receipt(key="power-1")

    assert refused.status_code == 503 and refused.json()["error"] == "kkt_unavailable"
    assert "does not answer" in refused.json()["message"]
    assert retried.status_code == 200
    assert len(fn_receipts(kkt_register_device)) == kkt_adapter_app.accepted() == 2


def test_corrupted_bytes_on_the_line_cost_retries_not_receipts(kkt_adapter_app: InProcessKktAdapter,
                                                               kkt_register_device) -> None:
    answers = []
    for n in range(10):
        kkt_register_device.corrupt_next(1, after=n * 7)  # a byte of an answer, somewhere else each time
        answers.append(kkt_adapter_app.post_receipt(key=f"noisy-{n}"))

    assert {a.status_code for a in answers} == {200}, [a.text for a in answers if a.status_code != 200]
    signed = sorted(a.json()["fiscal"]["fiscal_doc_number"] for a in answers)
    assert fn_receipts(kkt_register_device)[-10:] == signed and len(set(signed)) == 10
    assert kkt_register_device.stats.frames_damaged >= 1  # the faults hit the wire
