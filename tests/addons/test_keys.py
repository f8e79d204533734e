"""Idempotency keys: the same order or shift call gets the same key on every retry, never a random one."""

from __future__ import annotations

import re

import pytest
from optics_pos_ru54fz.lib import order_key, shift_key

DB = "5d0e7a4c-1f2b-4c3d-9e8f-0a1b2c3d4e5f"
ADAPTER_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


def test_an_order_the_pos_made_is_keyed_by_its_own_uuid() -> None:
    assert order_key(DB, 7, "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c") == "pos-order-3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c"


def test_an_order_without_a_uuid_gets_the_same_derived_key_every_time() -> None:
    assert order_key(DB, 7) == order_key(DB, 7)
    assert ADAPTER_KEY.match(order_key(DB, 7))


def test_derived_keys_differ_by_order_and_by_database() -> None:
    keys = {order_key(DB, 7), order_key(DB, 8), order_key("another-database", 7)}
    assert len(keys) == 3


def test_a_sessions_shift_calls_have_their_own_stable_keys() -> None:
    assert shift_key(DB, 3, "open") == shift_key(DB, 3, "open")
    assert len({shift_key(DB, 3, "open"), shift_key(DB, 3, "close"), shift_key(DB, 4, "open"), order_key(DB, 3)}) == 4


@pytest.mark.parametrize(("database", "record_id"), [("", 7), (DB, 0), (DB, None), (DB, True)])
def test_no_key_is_made_without_a_database_and_a_saved_record(database: str, record_id: object) -> None:
    with pytest.raises(ValueError):
        order_key(database, record_id)  # type: ignore[arg-type]


def test_a_pos_uuid_the_adapter_would_refuse_is_an_error_not_a_new_key() -> None:
    with pytest.raises(ValueError):
        order_key(DB, 7, "has spaces in it")
