"""The addon's client against the real adapter from the plugin: fiscal data back, each failure its own type.

Bodies come from `build_receipt`, as the POS server will send them; what the register counted is read back
from its X report (kopecks), what the adapter holds from its buffer status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from optics_pos_ru54fz.lib import (
    AdapterBusy,
    AdapterClient,
    AdapterUnreachable,
    Cashier,
    OrderLine,
    OrderSnapshot,
    Payment,
    ReceiptRejected,
    RegisterRefused,
    Tax,
    build_receipt,
    order_key,
    shift_key,
)

from pytest_opticserp import KktAdapter

DB = "0f1e2d3c-4b5a-4968-8776-655443322110"
VAT22 = Tax("VAT 22% included", 22, price_include=True)
VAT20 = Tax("VAT 20% included", 20, price_include=True)
CASHIER = Cashier("Иванова А. П., кассир", "500100732259")


@pytest.fixture
def client(kkt_adapter: KktAdapter) -> Iterator[AdapterClient]:
    client = AdapterClient(kkt_adapter.url, token=kkt_adapter.settings.get("kkt_api_token"), timeout=10)
    yield client
    client.close()


def sale(price: str = "5000.00", tax: Tax = VAT22, payments: tuple[Payment, ...] | None = None,
         **fields) -> dict:
    snapshot = OrderSnapshot("Shop/0001", (OrderLine("Очки солнцезащитные Ray-Ban", 1, price, taxes=(tax,)),), price,
                             payments or (Payment("card", price),), **fields)
    return build_receipt(snapshot, "POS-001")


def x_report(kkt_adapter: KktAdapter) -> dict:
    answer = kkt_adapter.shift_call("x-report")
    assert answer.status_code == 200, answer.text
    return answer.json()["report"]["shift_totals"]


def test_a_sale_comes_back_with_its_fiscal_data(kkt_adapter: KktAdapter, client: AdapterClient) -> None:
    result = client.fiscalize(sale(cashier=CASHIER), order_key(DB, 1))

    assert result.fiscal_doc_number > 0 and result.fiscal_sign.isdigit() and re.fullmatch(r"\d{16}", result.fn_serial)
    assert "s=5000.00" in result.qr and f"i={result.fiscal_doc_number}" in result.qr
    assert (result.ofd_status, result.replayed, result.shift_number) == ("pending", False, 1)
    assert result.fiscal_datetime
    assert x_report(kkt_adapter)["sale"]["electronic"] == 500000
    kkt_adapter.wait_until_synced(1)


def test_a_split_payment_with_change_reaches_the_register_as_cash_and_card(kkt_adapter: KktAdapter,
                                                                           client: AdapterClient) -> None:
    body = sale("4500.00", payments=(Payment("cash", "2000.00"), Payment("card", "3000.00")))
    client.fiscalize(body, order_key(DB, 2))
    totals = x_report(kkt_adapter)["sale"]
    assert (totals["total"], totals["cash"], totals["electronic"]) == (450000, 150000, 300000)


def test_a_refund_is_fiscalized_as_a_refund(kkt_adapter: KktAdapter, client: AdapterClient) -> None:
    client.fiscalize(sale(), order_key(DB, 3))
    returned = OrderLine("Очки солнцезащитные Ray-Ban", -1, "5000.00", taxes=(VAT22,))
    refund = OrderSnapshot("Shop/0002 REFUND", (returned,), "-5000.00", (Payment("card", "-5000.00"),), is_refund=True)
    result = client.fiscalize(build_receipt(refund, "POS-001"), order_key(DB, 4))
    assert "&n=2&" in f"{result.qr}&"  # tag 1054 = 2, refund of a sale
    assert x_report(kkt_adapter)["sale_refund"]["total"] == 500000


def test_22_percent_and_the_calculated_20_120_reach_the_register(kkt_adapter: KktAdapter,
                                                                client: AdapterClient) -> None:
    advance = OrderSnapshot("Shop/0003", (OrderLine("Очки на заказ, аванс", 1, "3000.00", taxes=(VAT20,),
                                                    payment_method_sign=3),), "3000.00", (Payment("cash", "3000.00"),))
    client.fiscalize(sale("1220.00"), order_key(DB, 5))
    client.fiscalize(build_receipt(advance, "POS-001"), order_key(DB, 6))
    by_rate = x_report(kkt_adapter)["sale"]["by_rate"]
    assert by_rate == {"22": {"sum": 122000, "vat": 22000}, "20/120": {"sum": 300000, "vat": 50000}}


def test_a_made_to_order_pair_reaches_the_register_as_a_prepayment_then_the_goods_with_it_counted(
        kkt_adapter: KktAdapter, client: AdapterClient) -> None:
    advance = OrderSnapshot("Shop/0004", (OrderLine("Оправа Ray-Ban", 1, "3000.00", taxes=(VAT22,),
                                                    payment_method_sign=2),), "3000.00", (Payment("cash", "3000.00"),))
    pickup = OrderSnapshot("Shop/0005", (
        OrderLine("Оправа Ray-Ban", 1, "7000.00", taxes=(VAT22,)),
        OrderLine("Оправа Ray-Ban", -1, "3000.00", taxes=(VAT22,), payment_method_sign=2),
    ), "4000.00", (Payment("card", "4000.00"),))
    client.fiscalize(build_receipt(advance, "POS-001"), order_key(DB, 8))
    client.fiscalize(build_receipt(pickup, "POS-001"), order_key(DB, 9))

    totals = x_report(kkt_adapter)["sale"]
    assert (totals["total"], totals["cash"], totals["electronic"], totals["prepayment"]) == (
        1000000, 300000, 400000, 300000)
    assert totals["by_rate"] == {"22/122": {"sum": 300000, "vat": 54098}, "22": {"sum": 700000, "vat": 126230}}


def test_the_same_order_sent_twice_is_one_receipt(kkt_adapter: KktAdapter, client: AdapterClient) -> None:
    key = order_key(DB, 7, "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
    first = client.fiscalize(sale(), key)
    again = client.fiscalize(sale(), key)
    assert (again.replayed, again.fiscal_doc_number, again.receipt_id) == (True, first.fiscal_doc_number,
                                                                          first.receipt_id)
    assert kkt_adapter.accepted() == 1


def test_the_same_key_with_another_body_is_rejected_for_a_person_to_look(client: AdapterClient) -> None:
    client.fiscalize(sale(), order_key(DB, 8))
    with pytest.raises(ReceiptRejected) as rejected:
        client.fiscalize(sale("4000.00"), order_key(DB, 8))
    assert (rejected.value.status, rejected.value.code) == (409, "idempotency_conflict")


def test_an_invalid_receipt_is_rejected_with_the_field_named(client: AdapterClient) -> None:
    with pytest.raises(ReceiptRejected) as rejected:
        client.fiscalize(sale(cashier=Cashier("Иванова А. П.", "500100732258")), order_key(DB, 9))
    assert rejected.value.status == 422
    assert [e["field"] for e in rejected.value.errors] == ["cashier.inn"]


@pytest.mark.ofd_offline
def test_with_the_ofd_offline_a_sale_is_still_fiscalized_and_waits_for_the_ofd(kkt_adapter: KktAdapter,
                                                                              client: AdapterClient) -> None:
    result = client.fiscalize(sale(), order_key(DB, 10))
    assert (result.fiscal_doc_number > 0, result.ofd_status) == (True, "pending")
    assert kkt_adapter.wait_for_network("OFFLINE")["pending_count"] == 1


@pytest.mark.ofd_slow
@pytest.mark.kkt_adapter(ofd_timeout=0.5, circuit_breaker_threshold=100)
def test_with_the_ofd_timing_out_a_sale_is_still_fiscalized(kkt_adapter: KktAdapter,
                                                                    client: AdapterClient) -> None:
    result = client.fiscalize(sale(), order_key(DB, 11))
    assert (result.fiscal_doc_number > 0, result.ofd_status) == (True, "pending")
    assert kkt_adapter.status()["pending_count"] == 1


def test_a_killed_adapter_is_unreachable_and_the_retry_later_fiscalizes_once(kkt_adapter: KktAdapter,
                                                                             client: AdapterClient) -> None:
    kkt_adapter.kill()
    with pytest.raises(AdapterUnreachable):
        client.fiscalize(sale(), order_key(DB, 12))

    kkt_adapter.start()
    first = client.fiscalize(sale(), order_key(DB, 12))
    again = client.fiscalize(sale(), order_key(DB, 12))
    assert (first.replayed, again.replayed, again.fiscal_doc_number) == (False, True, first.fiscal_doc_number)
    assert kkt_adapter.accepted() == 1


@pytest.mark.ofd_offline
@pytest.mark.kkt_adapter(buffer_max_size=2)
def test_a_full_buffer_is_busy_and_says_when_to_retry(kkt_adapter: KktAdapter, client: AdapterClient) -> None:
    for order_id in (13, 14):
        client.fiscalize(sale(), order_key(DB, order_id))
    with pytest.raises(AdapterBusy) as busy:
        client.fiscalize(sale(), order_key(DB, 15))
    assert (busy.value.status, busy.value.code) == (503, "buffer_full")
    assert busy.value.retry_after is not None and busy.value.retry_after >= 1
    assert kkt_adapter.accepted() == 2


@pytest.mark.kkt_register(shift_opened_hours_ago=25)
def test_an_expired_shift_is_refused_with_the_device_code_until_the_z_report(kkt_adapter: KktAdapter,
                                                                            client: AdapterClient) -> None:
    with pytest.raises(RegisterRefused) as refused:
        client.fiscalize(sale(), order_key(DB, 16))
    assert (refused.value.status, refused.value.code) == (409, "shift_expired")
    assert refused.value.device_code == (0x4E if kkt_adapter.register_device is not None else 0x16)

    closed = client.close_shift(shift_key(DB, 1, "close"), CASHIER)
    opened = client.open_shift(shift_key(DB, 2, "open"), CASHIER)
    assert (closed.status, closed.document["doc_type"], opened.status) == ("closed", 5, "opened")
    assert client.fiscalize(sale(), order_key(DB, 16)).shift_number == opened.shift_number


def test_a_session_opening_on_an_open_shift_is_told_so(client: AdapterClient) -> None:
    opened = client.open_shift(shift_key(DB, 3, "open"))
    assert client.shift()["shift_open"] is True
    assert client.open_shift(shift_key(DB, 3, "open")).replayed is True
    with pytest.raises(RegisterRefused) as refused:
        client.open_shift(shift_key(DB, 4, "open"))
    assert (refused.value.code, opened.shift_number) == ("shift_already_open", 1)


@pytest.mark.kkt_adapter(kkt_api_token="t0ken-for-the-pos")
def test_the_token_is_sent_when_configured_and_missing_it_is_rejected(kkt_adapter: KktAdapter,
                                                                      client: AdapterClient) -> None:
    assert client.fiscalize(sale(), order_key(DB, 17)).fiscal_doc_number > 0
    with pytest.raises(ReceiptRejected) as rejected:
        AdapterClient(kkt_adapter.url).fiscalize(sale(), order_key(DB, 18))
    assert (rejected.value.status, rejected.value.code) == (401, "unauthorized")


def test_health_reports_what_the_pos_settings_show(kkt_adapter: KktAdapter, client: AdapterClient) -> None:
    client.fiscalize(sale(), order_key(DB, 19))
    kkt_adapter.wait_until_synced(1)
    health = client.health()
    assert (health.status, health.circuit_breaker, health.network_status) == ("healthy", "CLOSED", "ONLINE")
    assert (health.pending_count, health.dlq_count, health.percent_full) == (0, 0, 0.0)
    assert client.buffer_status()["synced_count"] == 1


@pytest.mark.kkt_register(oldest_unsent_days=31)
def test_an_fn_blocked_for_want_of_the_ofd_is_a_refusal_for_the_cashier(kkt_adapter: KktAdapter,
                                                                        client: AdapterClient) -> None:
    with pytest.raises(RegisterRefused) as refused:
        client.fiscalize(sale(), order_key(DB, 20))
    assert (refused.value.status, refused.value.code, refused.value.device_code) == (503, "fn_offline_limit", 0x15)
    assert client.health().status == "degraded"
