"""The settlement rules (tags 1214-1217) and the buyer's contact (1008), shared by the adapter and the OFD."""

from __future__ import annotations

import pytest

from fiscal.requisites import buyer_contact_problem
from fiscal.settlement import Settlement, settlement_problem

GLASSES = 1200000  # made-to-order glasses, 12000.00
ADVANCE = 300000


@pytest.mark.parametrize("sign", [1, 2, 3])
def test_an_advance_receipt_is_paid_in_money(sign: int) -> None:
    assert settlement_problem([(sign, ADVANCE)], ADVANCE, Settlement(electronic=ADVANCE)) is None


def test_the_final_receipt_at_pickup_counts_the_advance() -> None:
    paid = Settlement(cash=GLASSES - ADVANCE, prepayment=ADVANCE)
    assert settlement_problem([(4, GLASSES)], GLASSES, paid) is None


def test_a_fully_prepaid_pickup_needs_no_money() -> None:
    assert settlement_problem([(4, GLASSES)], GLASSES, Settlement(prepayment=GLASSES)) is None


def test_an_advance_receipt_cannot_count_an_earlier_advance() -> None:
    problem = settlement_problem([(3, GLASSES)], GLASSES, Settlement(cash=GLASSES - ADVANCE, prepayment=ADVANCE))
    assert problem is not None and problem.field == "prepayment"


def test_the_advance_counted_cannot_exceed_the_goods_handed_over() -> None:
    problem = settlement_problem([(4, ADVANCE), (3, GLASSES)], ADVANCE + GLASSES,
                                 Settlement(cash=ADVANCE + GLASSES - 400000, prepayment=400000))
    assert problem is not None and problem.field == "prepayment" and "4 or 5" in problem.message


def test_payment_forms_must_add_up_to_the_total() -> None:
    problem = settlement_problem([(4, GLASSES)], GLASSES, Settlement(cash=GLASSES - ADVANCE, prepayment=ADVANCE - 1))
    assert problem is not None and problem.field == "payments"
    assert f"= {GLASSES - 1} != total {GLASSES}" in problem.message


def test_goods_handed_over_on_credit_are_covered_by_credit() -> None:
    assert settlement_problem([(6, GLASSES)], GLASSES, Settlement(credit=GLASSES)) is None
    problem = settlement_problem([(6, GLASSES)], GLASSES, Settlement(cash=GLASSES))
    assert problem is not None and problem.field == "credit"


def test_a_partial_payment_and_credit_needs_a_credit_sum() -> None:
    assert settlement_problem([(5, GLASSES)], GLASSES, Settlement(cash=ADVANCE, credit=GLASSES - ADVANCE)) is None
    problem = settlement_problem([(5, GLASSES)], GLASSES, Settlement(cash=GLASSES))
    assert problem is not None and problem.field == "items[0].payment_method_sign"


def test_credit_only_settles_items_sold_on_credit() -> None:
    problem = settlement_problem([(4, GLASSES)], GLASSES, Settlement(cash=ADVANCE, credit=GLASSES - ADVANCE))
    assert problem is not None and problem.field == "credit"


def test_a_credit_payment_and_other_consideration_are_money_like_any_other() -> None:
    assert settlement_problem([(7, GLASSES)], GLASSES, Settlement(cash=GLASSES)) is None
    assert settlement_problem([(3, ADVANCE)], ADVANCE, Settlement(other=ADVANCE)) is None


def test_an_unknown_sign_is_named() -> None:
    problem = settlement_problem([(4, 100), (8, 100)], 200, Settlement(cash=200))
    assert problem is not None and problem.field == "items[1].payment_method_sign"


def test_amounts_are_written_in_the_callers_terms() -> None:
    problem = settlement_problem([(4, 100)], 100, Settlement(cash=99), money=lambda k: f"{k / 100:.2f} RUB")
    assert problem is not None and "total 1.00 RUB" in problem.message


@pytest.mark.parametrize("contact", ["+79161234567", "buyer@example.ru", "ivanov.i+glasses@mail.example.com"])
def test_a_phone_or_an_email_is_a_buyer_contact(contact: str) -> None:
    assert buyer_contact_problem(contact) is None


@pytest.mark.parametrize("contact", ["89161234567", "+7916123456", "+791612345678", "+19161234567", "buyer@",
                                     "buyer@example", "buy er@example.ru", "a@b.ru\n", "x" * 60 + "@example.ru"])
def test_anything_else_is_not(contact: str) -> None:
    assert buyer_contact_problem(contact) is not None
