"""`GET /ofd/v1/fn/{fn}`: each FN's document numbers as the OFD received them, with the gaps between them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from emulators.ofd import OfdEmulator, UnknownFn
from emulators.ofd.sequence import MISSING_LISTED

FN = "9999078900012345"
MIDNIGHT = datetime(2026, 11, 21, tzinfo=UTC)


def send(client: httpx.Client, make_receipt, *numbers: int, fn: str = FN) -> None:
    """Document `fd` signed `fd` hours after midnight, so the time of a gap is known."""
    for fd in numbers:
        when = (MIDNIGHT + timedelta(hours=fd)).isoformat()
        response = client.post("/ofd/v1/receipts", json=make_receipt(fn_serial=fn, fiscal_doc_number=fd,
                                                                     datetime=when))
        assert response.status_code == 200, response.text


def test_a_gap_free_sequence_has_nothing_missing(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1, 2, 3)

    body = ofd_client.get(f"/ofd/v1/fn/{FN}").json()

    assert (body["first_fd"], body["last_fd"], body["received"]) == (1, 3, 3)
    assert (body["missing"], body["missing_count"], body["unsent_since"]) == ([], 0, None)
    assert body["documents_by_type"] == {"3": 3}


def test_numbers_missing_between_first_and_last_are_listed_with_the_oldest_gaps_time(
    ofd_client: httpx.Client, make_receipt
) -> None:
    send(ofd_client, make_receipt, 5, 2, 9, 3)

    body = ofd_client.get(f"/ofd/v1/fn/{FN}").json()

    assert (body["first_fd"], body["last_fd"], body["received"]) == (2, 9, 4)
    assert (body["missing"], body["missing_count"], body["oldest_missing_fd"]) == ([4, 6, 7, 8], 4, 4)
    # FD 4 was signed no later than FD 5, the first document after it.
    assert datetime.fromisoformat(body["unsent_since"]) == MIDNIGHT + timedelta(hours=5)


def test_a_resent_document_is_counted_once(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1, 1, 3, 3, 3)

    body = ofd_client.get(f"/ofd/v1/fn/{FN}").json()

    assert (body["received"], body["missing"], body["documents_by_type"]) == (2, [2], {"3": 2})


def test_a_filled_gap_is_no_longer_missing(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1, 3)
    send(ofd_client, make_receipt, 2)

    body = ofd_client.get(f"/ofd/v1/fn/{FN}").json()

    assert (body["missing"], body["missing_count"], body["unsent_since"]) == ([], 0, None)


def test_the_missing_list_is_bounded_but_the_count_is_not(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1, 1000)

    body = ofd_client.get(f"/ofd/v1/fn/{FN}").json()

    assert body["missing"] == list(range(2, 2 + MISSING_LISTED))
    assert body["missing_count"] == 998


def test_each_fn_has_its_own_sequence(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1, 2)
    send(ofd_client, make_receipt, 7, fn="9999078900099999")

    other = ofd_client.get("/ofd/v1/fn/9999078900099999").json()

    assert (other["first_fd"], other["last_fd"], other["received"]) == (7, 7, 1)


def test_an_fn_the_ofd_never_heard_of_is_a_404_in_the_error_shape(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1)

    response = ofd_client.get("/ofd/v1/fn/9999078900000000")

    assert response.status_code == 404
    assert response.json() == {"status": "error", "field": "fn",
                               "message": "the OFD has received no document from FN 9999078900000000"}


def test_a_path_that_is_not_an_fn_serial_is_refused_naming_it(ofd_client: httpx.Client) -> None:
    response = ofd_client.get("/ofd/v1/fn/12345")

    assert (response.status_code, response.json()["field"]) == (422, "fn")


def test_reset_forgets_the_sequences(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt, 1)
    ofd_client.post("/ofd/v1/admin/reset")

    assert ofd_client.get(f"/ofd/v1/fn/{FN}").status_code == 404


def test_a_test_reads_the_same_sequence_from_the_handle(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    send(ofd_client, make_receipt, 1, 3)

    sequence = ofd.fn_sequence(FN)

    assert sequence.model_dump(mode="json") == ofd_client.get(f"/ofd/v1/fn/{FN}").json()
    assert (sequence.missing, sequence.last_fd) == ([2], 3)
    with pytest.raises(UnknownFn, match="no document from FN 9999078900000000"):
        ofd.fn_sequence("9999078900000000")
