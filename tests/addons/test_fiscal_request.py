"""The receipt body built from a POS order: amounts to the kopeck, VAT rates, payments, refunds; or no body."""

from __future__ import annotations

from decimal import Decimal

import pytest
from optics_pos_ru54fz.lib import (
    Cashier,
    OrderLine,
    OrderSnapshot,
    Payment,
    PaymentMismatch,
    ReceiptBuildError,
    Tax,
    TaxMappingError,
    TotalMismatch,
    build_receipt,
    line_vat_rate,
)
from optics_pos_ru54fz.lib.request import buyer_contact

VAT22 = Tax("VAT 22% included", 22, price_include=True)
VAT22_ON_TOP = Tax("VAT 22%", 22)
VAT20 = Tax("VAT 20% included", 20, price_include=True)


def order(*lines: OrderLine, total: str, payments: tuple[Payment, ...] | None = None, **fields) -> OrderSnapshot:
    return OrderSnapshot("Shop/0001", lines, total, payments if payments is not None else (Payment("card", total),),
                         **fields)


def sunglasses(price: str = "5000.00", quantity: str = "1", tax: Tax = VAT22, **fields) -> OrderLine:
    return OrderLine("Очки солнцезащитные Ray-Ban", quantity, price, taxes=(tax,), **fields)


def items_total(body: dict) -> Decimal:
    return sum((Decimal(i["price"]) * Decimal(i["quantity"]) for i in body["items"]), Decimal(0))


def test_a_card_sale_is_the_seeds_receipt() -> None:
    assert build_receipt(order(sunglasses(tax=VAT20), total="5000.00"), "POS-001") == {
        "pos_id": "POS-001", "type": "sale",
        "items": [{"name": "Очки солнцезащитные Ray-Ban", "quantity": "1", "price": "5000.00", "tax_rate": "20"}],
        "total": "5000.00", "payment_method": "card",
    }


def test_a_tax_on_top_of_the_price_is_in_the_unit_price_rounded_to_the_kopeck() -> None:
    body = build_receipt(order(sunglasses("99.99", quantity="2", tax=VAT22_ON_TOP), total="243.98"), "POS-001")
    # 199.98 + 22% (43.9956 -> 44.00) = 243.98, 121.99 a unit
    assert (body["items"][0]["price"], body["items"][0]["quantity"], body["total"]) == ("121.99", "2", "243.98")


def test_a_discount_is_taken_off_the_unit_price() -> None:
    body = build_receipt(order(sunglasses("99.99", quantity="3", discount="15"), total="254.97"), "POS-001")
    assert (body["items"][0]["price"], body["items"][0]["quantity"]) == ("84.99", "3")


def test_a_line_no_unit_price_fits_becomes_two_items_a_kopeck_apart() -> None:
    line = sunglasses("50.00", quantity="3", discount="33.33")  # 50 x 0.6667 x 3 = 100.005 -> 100.01
    body = build_receipt(order(line, total="100.01"), "POS-001")
    assert [(i["quantity"], i["price"]) for i in body["items"]] == [("1", "33.33"), ("2", "33.34")]
    assert items_total(body) == Decimal("100.01") == Decimal(body["total"])


def test_an_order_discount_line_is_spread_over_the_lines_of_its_rate() -> None:
    lines = (sunglasses("100.00"), sunglasses("100.00"), sunglasses("100.00"),
             OrderLine("Order discount", 1, "-100.00", taxes=(VAT22,)))
    body = build_receipt(order(*lines, total="200.00"), "POS-001")
    assert [i["price"] for i in body["items"]] == ["66.66", "66.67", "66.67"]
    assert items_total(body) == Decimal("200.00")


def test_a_discount_larger_than_the_lines_of_its_rate_is_refused() -> None:
    lines = (sunglasses("100.00"), OrderLine("Order discount", 1, "-150.00", taxes=(VAT20,)), sunglasses("200.00"))
    with pytest.raises(ReceiptBuildError) as refused:
        build_receipt(order(*lines, total="150.00"), "POS-001")
    assert refused.value.field == "lines[1]"


def test_a_split_payment_lists_cash_and_card() -> None:
    body = build_receipt(order(sunglasses(), total="5000.00",
                               payments=(Payment("cash", "1000.00"), Payment("card", "4000.00"))), "POS-001")
    assert body["payments"] == [{"method": "cash", "amount": "1000.00"}, {"method": "card", "amount": "4000.00"}]
    assert "payment_method" not in body


@pytest.mark.parametrize("payments", [
    (Payment("cash", "2000.00"), Payment("card", "4000.00")),
    (Payment("cash", "2000.00"), Payment("card", "4000.00"), Payment("cash", "-1000.00")),  # Odoo 17's change line
], ids=["overpaid", "change-line"])
def test_cash_is_sent_net_of_the_change(payments: tuple[Payment, ...]) -> None:
    body = build_receipt(order(sunglasses(), total="5000.00", payments=payments), "POS-001")
    assert body["payments"] == [{"method": "cash", "amount": "1000.00"}, {"method": "card", "amount": "4000.00"}]


def test_all_cash_with_change_is_one_cash_payment() -> None:
    body = build_receipt(order(sunglasses("4500.00"), total="4500.00", payments=(Payment("cash", 5000),)), "POS-001")
    assert (body["payment_method"], body["total"]) == ("cash", "4500.00")


def test_change_beyond_the_cash_given_is_refused() -> None:
    with pytest.raises(PaymentMismatch, match="only cash is given back"):
        build_receipt(order(sunglasses("4500.00"), total="4500.00", payments=(Payment("card", 5000),)), "POS-001")


def test_an_underpaid_order_is_refused() -> None:
    with pytest.raises(PaymentMismatch, match="1000.00 short"):
        build_receipt(order(sunglasses(), total="5000.00", payments=(Payment("card", "4000.00"),)), "POS-001")


def test_a_refund_is_type_refund_with_positive_amounts() -> None:
    refund = order(sunglasses(quantity="-1"), total="-5000.00", payments=(Payment("cash", "-5000.00"),),
                   is_refund=True)
    body = build_receipt(refund, "POS-001")
    assert (body["type"], body["total"], body["payment_method"]) == ("refund", "5000.00", "cash")
    assert (body["items"][0]["quantity"], body["items"][0]["price"]) == ("1", "5000.00")


def test_a_returned_item_inside_a_sale_is_refused() -> None:
    with pytest.raises(ReceiptBuildError) as refused:
        build_receipt(order(sunglasses(), sunglasses("1000.00", quantity="-1"), total="4000.00"), "POS-001")
    assert refused.value.field == "lines[1].quantity"


def test_a_total_the_items_do_not_make_is_refused_naming_the_difference() -> None:
    with pytest.raises(TotalMismatch) as refused:
        build_receipt(order(sunglasses(), total="5000.01"), "POS-001")
    assert (refused.value.field, refused.value.difference) == ("amount_total", Decimal("-0.01"))
    assert "difference -0.01" in str(refused.value)


def test_two_vat_taxes_on_one_line_are_refused() -> None:
    with pytest.raises(TaxMappingError) as refused:
        build_receipt(order(OrderLine("Frame", 1, "1000.00", taxes=(VAT22, VAT20)), total="1000.00"), "POS-001")
    assert refused.value.field == "lines[0].taxes"
    assert "2 taxes on one line" in str(refused.value)


@pytest.mark.parametrize("tax", [Tax("VAT 18%", 18), Tax("Eco fee", 5, amount_type="fixed"),
                                 Tax("VAT 20% as 10", 20, kkt_rate="10"), Tax("Odd", 20, kkt_rate="20%")],
                         ids=["18-percent", "fixed", "rate-against-amount", "unknown-rate"])
def test_a_tax_the_register_has_no_rate_for_is_refused(tax: Tax) -> None:
    with pytest.raises(TaxMappingError):
        build_receipt(order(OrderLine("Frame", 1, "1000.00", taxes=(tax,)), total="1000.00"), "POS-001")


@pytest.mark.parametrize(("taxes", "sign", "rate"), [
    ((Tax("VAT 22%", 22),), 4, "22"), ((Tax("VAT 20%", "20.0"),), 4, "20"), ((Tax("VAT 10%", 10),), 4, "10"),
    ((Tax("VAT 7%", 7),), 4, "7"), ((Tax("VAT 5%", 5),), 4, "5"), ((Tax("VAT 0%", 0),), 4, "0"),
    ((Tax("No VAT", 0, kkt_rate="none"),), 4, "none"), ((), 4, "none"),
    ((Tax("VAT 22%", 22),), 3, "22/122"), ((Tax("VAT 20%", 20),), 1, "20/120"), ((Tax("VAT 5%", 5),), 2, "5/105"),
    ((Tax("VAT 20/120", 20, kkt_rate="20/120"),), 4, "20/120"), ((Tax("VAT 0%", 0),), 3, "0"),
])
def test_taxes_map_to_the_registers_vat_rates(taxes: tuple[Tax, ...], sign: int, rate: str) -> None:
    assert line_vat_rate(OrderLine("Lens", 1, "100", taxes=taxes, payment_method_sign=sign)) == rate


def test_the_made_to_order_pair_is_an_advance_then_the_full_price_with_the_advance_counted() -> None:
    advance = build_receipt(order(OrderLine("Очки на заказ, аванс", 1, "3000.00", taxes=(VAT22,),
                                            payment_method_sign=3),
                                  total="3000.00", payments=(Payment("cash", "3000.00"),)), "POS-001")
    pickup = build_receipt(order(OrderLine("Очки на заказ", 1, "12000.00", taxes=(VAT22,)), total="12000.00",
                                 payments=(Payment("card", "9000.00"),), prepayment="3000.00"), "POS-001")
    (advance_item,) = advance["items"]
    assert (advance_item["tax_rate"], advance_item["payment_method_sign"], advance["total"]) == ("22/122", 3, "3000.00")
    assert (pickup["items"][0]["tax_rate"], pickup["prepayment"], pickup["payment_method"]) == ("22", "3000.00", "card")


def test_an_advance_taken_back_on_the_pickup_order_is_the_advance_counted_not_an_item() -> None:
    frame = OrderLine("Оправа Ray-Ban", 1, "7000.00", taxes=(VAT22,))
    lenses = OrderLine("Линза 1.60", 2, "2500.00", taxes=(VAT20,))
    frame_advance = OrderLine("Оправа Ray-Ban", -1, "3500.00", taxes=(VAT22,), payment_method_sign=2)
    lens_advance = OrderLine("Линза 1.60", -1, "2500.00", taxes=(VAT20,), payment_method_sign=2)
    pickup = build_receipt(order(frame, lenses, frame_advance, lens_advance, total="6000.00"), "POS-001")

    assert [(i["name"], i["tax_rate"], i.get("payment_method_sign")) for i in pickup["items"]] == [
        ("Оправа Ray-Ban", "22", None), ("Линза 1.60", "20", None)]
    assert (pickup["total"], pickup["prepayment"], pickup["payment_method"]) == ("12000.00", "6000.00", "card")


def test_a_refund_of_a_pickup_order_gives_the_advance_counted_back_too() -> None:
    frame = OrderLine("Оправа Ray-Ban", -1, "7000.00", taxes=(VAT22,))
    advance_back = OrderLine("Оправа Ray-Ban", 1, "3000.00", taxes=(VAT22,), payment_method_sign=2)
    refund = build_receipt(order(frame, advance_back, total="-4000.00", payments=(Payment("cash", "-4000.00"),),
                                 is_refund=True), "POS-001")

    assert (refund["type"], refund["total"], refund["prepayment"], refund["payment_method"]) == (
        "refund", "7000.00", "3000.00", "cash")


def test_an_advance_line_sold_is_an_item_at_the_calculated_rate() -> None:
    body = build_receipt(order(OrderLine("Оправа Ray-Ban", 1, "3500.00", taxes=(VAT22,), payment_method_sign=2),
                               total="3500.00"), "POS-001")
    assert [(i["tax_rate"], i["payment_method_sign"]) for i in body["items"]] == [("22/122", 2)]
    assert "prepayment" not in body


def test_each_marked_unit_is_an_item_of_its_own() -> None:
    line = sunglasses("100.00", quantity="3", marking_codes=("0104600000000001215abc", "0104600000000001215abd",
                                                             "0104600000000001215abe"), discount="0.01")
    body = build_receipt(order(line, total="299.97"), "POS-001")
    assert [(i["quantity"], i["price"], i["marking_code"][-3:]) for i in body["items"]] == [
        ("1", "99.99", "abc"), ("1", "99.99", "abd"), ("1", "99.99", "abe")]


def test_marking_codes_must_match_the_quantity() -> None:
    with pytest.raises(ReceiptBuildError, match="one code per unit"):
        build_receipt(order(sunglasses(quantity="2", marking_codes=("code-1",)), total="10000.00"), "POS-001")


def test_the_cashier_and_a_phone_written_any_way_reach_the_body() -> None:
    body = build_receipt(order(sunglasses(), total="5000.00", cashier=Cashier("Иванова А. П., кассир", "500100732259"),
                               buyer_contact="8 (916) 123-45-67"), "POS-001")
    assert body["cashier"] == {"name": "Иванова А. П., кассир", "inn": "500100732259"}
    assert body["buyer_contact"] == "+79161234567"


@pytest.mark.parametrize("written", ["+7 916 123-45-67", "8 (916) 123-45-67", "79161234567", "9161234567"])
def test_a_russian_phone_written_any_way_is_plus_7_and_ten_digits(written: str) -> None:
    assert buyer_contact(written) == "+79161234567"


def test_an_email_is_sent_as_given() -> None:
    assert buyer_contact(" buyer@example.ru ") == "buyer@example.ru"


def test_an_advance_counted_beyond_the_total_is_refused() -> None:
    with pytest.raises(PaymentMismatch) as refused:
        build_receipt(order(sunglasses(), total="5000.00", payments=(), prepayment="6000.00"), "POS-001")
    assert refused.value.field == "prepayment"


def test_a_contact_that_is_neither_phone_nor_email_is_refused() -> None:
    with pytest.raises(ReceiptBuildError) as refused:
        build_receipt(order(sunglasses(), total="5000.00", buyer_contact="call me"), "POS-001")
    assert refused.value.field == "buyer_contact"


def test_odoo_floats_become_exact_decimals_and_quantities_have_no_exponent() -> None:
    line = OrderLine("Lens cleaner", 10.0, 0.1, taxes=(Tax("VAT 22%", 22.0, price_include=True),))
    body = build_receipt(order(line, total=1.0, payments=(Payment("cash", 1.0),)), "POS-001")
    assert (body["items"][0]["quantity"], body["items"][0]["price"], body["total"]) == ("10", "0.10", "1.00")


def test_float_noise_in_odoos_totals_and_payments_is_not_money() -> None:
    body = build_receipt(order(sunglasses(), total=4999.999999999,
                               payments=(Payment("cash", 2999.9999999), Payment("card", 2000.0000001))), "POS-001")
    assert (body["total"], body["payments"]) == ("5000.00", [{"method": "cash", "amount": "3000.00"},
                                                             {"method": "card", "amount": "2000.00"}])


def test_a_quantity_finer_than_the_register_counts_is_refused() -> None:
    with pytest.raises(ReceiptBuildError, match="three decimal places"):
        build_receipt(order(sunglasses("1.00", quantity="0.0005"), total="0.00"), "POS-001")
