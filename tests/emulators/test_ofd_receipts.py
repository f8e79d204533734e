"""How the OFD emulator acknowledges, de-duplicates and lists fiscal documents."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from emulators.ofd import OfdEmulator
from pytest_opticserp import http_client


def test_a_valid_receipt_is_accepted_with_response_code_zero(ofd_client: httpx.Client, make_receipt) -> None:
    response = ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert response.status_code == 200
    ack = response.json()
    assert ack["status"] == "accepted"
    assert ack["response_code"] == 0
    assert ack["fn_serial"] == "9999078900012345"
    assert ack["fiscal_doc_number"] == 42
    assert ack["duplicate"] is False
    assert ack["ofd_id"]
    assert datetime.fromisoformat(ack["received_at"]).tzinfo is not None


def test_the_operator_sign_is_a_keyed_hash_of_fn_fd_and_fiscal_sign(make_receipt) -> None:
    key = b"test-operator-key"
    with OfdEmulator(operator_key=key) as ofd, http_client.client(base_url=ofd.url) as client:
        ack = client.post("/ofd/v1/receipts", json=make_receipt()).json()

    digest = hmac.new(key, b"9999078900012345|42|2918241905", hashlib.sha256).digest()
    assert ack["operator_sign"] == str(int.from_bytes(digest[:4], "big"))


def test_a_resent_identical_receipt_gets_the_same_acknowledgement_marked_duplicate(
    ofd_client: httpx.Client, make_receipt
) -> None:
    first = ofd_client.post("/ofd/v1/receipts", json=make_receipt()).json()
    again = ofd_client.post("/ofd/v1/receipts", json=make_receipt()).json()

    assert again["duplicate"] is True
    assert {k: v for k, v in again.items() if k != "duplicate"} == {k: v for k, v in first.items() if k != "duplicate"}


def test_a_duplicate_is_counted_once_in_receipts_received(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    for _ in range(3):
        ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    health = ofd_client.get("/ofd/v1/health").json()
    assert health["receipts_received"] == 1
    assert health["duplicates"] == 2
    assert ofd.received()[0].times_received == 3


def test_a_resend_that_differs_only_in_quantity_notation_is_still_a_duplicate(
    ofd_client: httpx.Client, make_receipt
) -> None:
    receipt = make_receipt()
    ofd_client.post("/ofd/v1/receipts", json=receipt)
    receipt["items"][0]["quantity"] = "1"

    assert ofd_client.post("/ofd/v1/receipts", json=receipt).json()["duplicate"] is True


@pytest.mark.parametrize("change", [{"fiscal_sign": "1111111111"}, {"total": 400000}])
def test_a_resend_with_other_content_under_the_same_key_is_a_conflict(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt, change
) -> None:
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())
    changed = make_receipt(**change)
    if "total" in change:  # keep the document valid so only the conflict is tested
        changed["items"][0].update(price=400000, sum=400000)
        changed["payments"]["electronic"] = 400000

    response = ofd_client.post("/ofd/v1/receipts", json=changed)

    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "rejected" and body["response_code"] != 0
    assert body["field"] in change
    assert "already received with different content" in body["message"]
    assert ofd.received()[0].document["fiscal_sign"] == "2918241905"
    assert ofd.counters.conflicts == 1


def test_the_same_fiscal_doc_number_on_another_fn_is_another_document(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())
    response = ofd_client.post("/ofd/v1/receipts", json=make_receipt(fn_serial="9999078900099999"))

    assert response.json()["duplicate"] is False
    assert ofd.receipts_received == 2


def test_received_documents_can_be_filtered_over_http(ofd_client: httpx.Client, make_receipt) -> None:
    for fd in (1, 2, 3):
        ofd_client.post("/ofd/v1/receipts", json=make_receipt(fiscal_doc_number=fd))
    ofd_client.post("/ofd/v1/receipts", json=make_receipt(fn_serial="9999078900099999", fiscal_doc_number=1))

    by_fn = ofd_client.get("/ofd/v1/admin/receipts", params={"fn_serial": "9999078900012345"}).json()
    by_fd = ofd_client.get("/ofd/v1/admin/receipts", params={"fiscal_doc_number": 1}).json()
    everything = ofd_client.get("/ofd/v1/admin/receipts").json()

    assert by_fn["count"] == 3
    assert sorted(r["document"]["fn_serial"] for r in by_fd["receipts"]) == ["9999078900012345", "9999078900099999"]
    assert [r["document"]["fiscal_doc_number"] for r in everything["receipts"]] == [1, 2, 3, 1]
    assert everything["receipts"][0]["ack"]["response_code"] == 0


def test_the_since_filter_keeps_documents_received_at_or_after_it(make_receipt) -> None:
    moments = iter(datetime(2026, 11, 21, 10, minute, tzinfo=UTC) for minute in range(10))
    with OfdEmulator(clock=lambda: next(moments)) as ofd, http_client.client(base_url=ofd.url) as client:
        for fd in (1, 2, 3):
            client.post("/ofd/v1/receipts", json=make_receipt(fiscal_doc_number=fd))

        since = datetime(2026, 11, 21, 10, 1, tzinfo=UTC)
        over_http = client.get("/ofd/v1/admin/receipts", params={"since": since.isoformat()}).json()
        in_process = ofd.received(since=since)

    assert [r["document"]["fiscal_doc_number"] for r in over_http["receipts"]] == [2, 3]
    assert [r.document["fiscal_doc_number"] for r in in_process] == [2, 3]


def test_a_naive_since_is_refused_naming_the_parameter(ofd_client: httpx.Client) -> None:
    response = ofd_client.get("/ofd/v1/admin/receipts", params={"since": "2026-11-21T10:00:00"})

    assert response.status_code == 422
    assert response.json()["field"] == "since"


def test_counters_report_each_outcome_once(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())  # accepted
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())  # duplicate
    ofd_client.post("/ofd/v1/receipts", json=make_receipt(total=-1))  # rejected
    ofd_client.post("/ofd/v1/receipts", json=make_receipt(fiscal_sign="7"))  # conflict
    ofd.fail_next(1)
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())  # injected failure

    stats = ofd_client.get("/ofd/v1/admin/stats").json()
    expected = {"calls": 5, "accepted": 1, "duplicates": 1, "rejected": 1, "conflicts": 1, "failed_injected": 1}
    assert {k: stats[k] for k in expected} == expected
    assert {k: getattr(ofd.counters, k) for k in expected} == expected


def test_reset_forgets_documents_and_counters(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    answer = ofd_client.post("/ofd/v1/admin/reset").json()

    assert answer["receipts_received"] == 0 and answer["calls"] == 0
    assert ofd.received() == []
    assert ofd_client.post("/ofd/v1/receipts", json=make_receipt()).json()["duplicate"] is False


def test_wait_for_returns_once_enough_documents_arrived(ofd: OfdEmulator, make_receipt) -> None:
    def post_two() -> None:
        with http_client.client(base_url=ofd.url) as client:
            for fd in (1, 2):
                client.post("/ofd/v1/receipts", json=make_receipt(fiscal_doc_number=fd))

    sender = threading.Thread(target=post_two)
    sender.start()
    try:
        received = ofd.wait_for(2, timeout=10)
    finally:
        sender.join()

    assert [r.document["fiscal_doc_number"] for r in received] == [1, 2]


def test_wait_for_times_out_with_a_message_saying_what_arrived(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    ofd.fail_next(1)
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    with pytest.raises(TimeoutError, match=r"expected 1 receipt\(s\) within 0.1s, got 0 .*failed_injected=1"):
        ofd.wait_for(1, timeout=0.1)


def test_documents_received_before_a_moment_are_excluded_from_since(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert ofd.received(since=datetime.now(UTC) + timedelta(seconds=5)) == []


def test_every_acknowledgement_carries_the_operators_confirmation(make_receipt) -> None:
    key, moment = b"test-operator-key", datetime(2026, 11, 21, 10, 16, tzinfo=UTC)
    with (OfdEmulator(operator_key=key, ofd_inn="7799000012", clock=lambda: moment) as ofd,
          http_client.client(base_url=ofd.url) as client):
        ack = client.post("/ofd/v1/receipts", json=make_receipt()).json()

    digest = hmac.new(key, b"9999078900012345|42|2918241905", hashlib.sha256).digest()
    assert ack["operator_confirmation"] == {
        "ofd_inn": "7799000012",
        "fn_serial": "9999078900012345",
        "fiscal_doc_number": 42,
        "datetime": moment.isoformat(),
        "response_code": 0,
        "operator_sign": str(int.from_bytes(digest[:4], "big")),
    }


def test_a_resent_document_gets_the_same_confirmation_again(ofd_client: httpx.Client, make_receipt) -> None:
    first = ofd_client.post("/ofd/v1/receipts", json=make_receipt()).json()
    again = ofd_client.post("/ofd/v1/receipts", json=make_receipt()).json()

    assert again["operator_confirmation"] == first["operator_confirmation"]
    assert again["operator_sign"] == first["operator_sign"] == first["operator_confirmation"]["operator_sign"]


def test_an_unknown_vat_code_in_the_emulators_table_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"vat_codes \[99\]"):
        OfdEmulator(vat_codes={1: "20%", 99: "13%"})
