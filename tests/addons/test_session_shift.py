"""A POS session opens the register's shift, joins one already open, is told of an expired one, closes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from optics_pos_ru54fz.lib import (
    AdapterClient,
    Cashier,
    RegisterRefused,
    close_for_session,
    open_for_session,
    shift_key,
)

from pytest_opticserp import KktAdapter

DB = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
CASHIER = Cashier("Иванова А. П., кассир", "500100732259")


@pytest.fixture
def client(kkt_adapter: KktAdapter) -> Iterator[AdapterClient]:
    client = AdapterClient(kkt_adapter.url, timeout=10)
    yield client
    client.close()


def test_the_first_session_opens_the_shift_and_the_next_joins_it(client: AdapterClient) -> None:
    first = open_for_session(client, shift_key(DB, 1, "open"), CASHIER)
    second = open_for_session(client, shift_key(DB, 2, "open"), CASHIER)
    assert (first.opened_now, first.document["doc_type"]) == (True, 2)
    assert (second.opened_now, second.shift_number) == (False, first.shift_number)


def test_closing_prints_the_z_report_once_and_a_retry_gets_the_same_report(client: AdapterClient) -> None:
    opened = open_for_session(client, shift_key(DB, 3, "open"))
    closed = close_for_session(client, shift_key(DB, 3, "close"), CASHIER)
    again = close_for_session(client, shift_key(DB, 3, "close"), CASHIER)
    assert closed is not None and again is not None
    assert (closed.document["doc_type"], closed.shift_number) == (5, opened.shift_number)
    assert (again.replayed, again.document["fiscal_doc_number"]) == (True, closed.document["fiscal_doc_number"])
    assert client.shift()["shift_open"] is False


def test_closing_with_no_shift_open_is_nothing_to_do(client: AdapterClient) -> None:
    assert close_for_session(client, shift_key(DB, 4, "close")) is None


@pytest.mark.kkt_register(shift_opened_hours_ago=25)
def test_a_session_opening_on_an_expired_shift_tells_the_cashier(client: AdapterClient) -> None:
    with pytest.raises(RegisterRefused) as refused:
        open_for_session(client, shift_key(DB, 5, "open"), CASHIER)
    assert (refused.value.code, refused.value.status) == ("shift_expired", 409)
    assert "close it (Z report)" in refused.value.message
    assert client.shift()["shift_open"] is True, "the register's shift is never closed behind the cashier's back"
