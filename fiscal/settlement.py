"""How a receipt is settled: the payment-method sign per item (tag 1214) and the receipt's payment forms.

Kept once, here, because the adapter refuses what the OFD would reject and the OFD emulator rejects it: the
two read the same rules (`settlement_problem`) and cannot drift apart.

The rules (money in kopecks):
- 1214 is 1 to 7 on every item (the adapter writes 4, full payment, when the POS gives none).
- The payment forms add up to the total: cash (1031) + electronic (1081) + prepayment counted (1215) +
  credit (1216) + other consideration (1217) = total (1020).
- An advance counted (1215) settles goods handed over now: it is at most the sum of the items signed 4 (full
  payment) or 5 (partial payment and credit). So a receipt of advances only (1, 2, 3) counts none.
- Credit (1216) is at most the sum of the items signed 5 or 6, and is at least the sum of the items signed 6
  (handed over on credit, nothing paid); an item signed 5 needs some credit.
- Other consideration (1217) is allowed with any sign (a gift certificate pays an advance as well as a sale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

PAYMENT_METHOD_SIGNS: dict[int, str] = {
    1: "full prepayment", 2: "partial prepayment", 3: "advance", 4: "full payment",
    5: "partial payment and credit", 6: "credit transfer", 7: "credit payment",
}  # fmt: skip
FULL_PAYMENT = 4
PREPAYMENT_SIGNS = frozenset({1, 2, 3})  # money before the goods: nothing of an earlier advance is counted
COUNTS_PREPAYMENT = frozenset({4, 5})  # goods handed over now: an earlier advance may settle them
ON_CREDIT = frozenset({5, 6})


@dataclass(frozen=True)
class Settlement:
    """A receipt's payment forms, in kopecks (tags 1031, 1081, 1215, 1216, 1217)."""

    cash: int = 0
    electronic: int = 0
    prepayment: int = 0
    credit: int = 0
    other: int = 0

    @property
    def paid(self) -> int:
        return self.cash + self.electronic + self.prepayment + self.credit + self.other


@dataclass(frozen=True)
class SettlementProblem:
    """The first broken rule: `field` is `prepayment`, `credit`, `other`, `payments` or
    `items[n].payment_method_sign`; each caller names it in its own document's terms."""

    field: str
    message: str


def settlement_problem(items: Iterable[tuple[int, int]], total: int, paid: Settlement,
                       money: Callable[[int], str] = str) -> SettlementProblem | None:
    """Why a receipt with these (1214 sign, item sum) pairs, total and payment forms does not add up, or None.

    `money` writes an amount in the caller's terms (kopecks for the OFD, rubles for the POS)."""
    counts_prepayment = on_credit = credit_only = 0
    for n, (sign, amount) in enumerate(items):
        if sign not in PAYMENT_METHOD_SIGNS:
            return SettlementProblem(f"items[{n}].payment_method_sign",
                                     f"unknown payment method sign {sign}; known: 1 to 7")
        if sign in COUNTS_PREPAYMENT:
            counts_prepayment += amount
        if sign in ON_CREDIT:
            on_credit += amount
        if sign == 6:
            credit_only += amount
        if sign == 5 and paid.credit == 0:
            return SettlementProblem(f"items[{n}].payment_method_sign",
                                     "5 (partial payment and credit) needs a credit sum (1216)")
    if paid.prepayment > counts_prepayment:
        return SettlementProblem("prepayment", f"an advance counted of {money(paid.prepayment)} exceeds "
                                 f"{money(counts_prepayment)}, the sum of the items signed 4 or 5 (handed over now); "
                                 "an advance receipt (1, 2, 3) counts none")
    if paid.credit > on_credit:
        return SettlementProblem("credit", f"credit of {money(paid.credit)} exceeds {money(on_credit)}, the sum of "
                                 "the items signed 5 or 6")
    if paid.credit < credit_only:
        return SettlementProblem("credit", f"credit of {money(paid.credit)} is less than {money(credit_only)}, the "
                                 "sum of the items signed 6 (handed over on credit, nothing paid)")
    if paid.paid != total:
        return SettlementProblem("payments", f"cash {money(paid.cash)} + electronic {money(paid.electronic)} + "
                                 f"prepayment {money(paid.prepayment)} + credit {money(paid.credit)} + other "
                                 f"{money(paid.other)} = {money(paid.paid)} != total {money(total)}")
    return None
