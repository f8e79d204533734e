"""The tags of a receipt-like document (a receipt, 3, or a correction receipt, 31), built from what the POS
asked for; the drive adds the numbers it assigns. Each readable name stands for the FFD 1.2 tag commented."""

from __future__ import annotations

from typing import Any

from .documents import Cashier, FnItem, FnReceipt
from .vat import vat_sum, vat_sums

OFFSET_FORMS = ("prepayment", "credit", "other")  # 1215, 1216, 1217


def receipt_tags(receipt: FnReceipt, taxation_system: int) -> dict[str, Any]:
    items = [
        {
            "name": item.name,  # 1030
            "price": item.price,  # 1079
            "quantity": item.quantity,  # 1023
            "sum": item.sum,  # 1043
            "vat_rate": item.vat_rate,  # 1199, by rate name
            "vat_sum": vat_sum(item.vat_rate, item.sum),  # 1200
            **_item_settlement_tags(item),
        }
        for item in receipt.items
    ]
    return {
        "operation": receipt.operation,  # 1054
        "total": receipt.total,  # 1020
        "items": items,  # 1059
        "vat_sums": vat_sums((i["vat_rate"], i["vat_sum"]) for i in items),  # 1102-1107 (fiscal.fn.vat)
        "payments": payment_tags(receipt),  # 1031 / 1081 (1215 / 1216 / 1217 when not zero)
        "taxation_system": taxation_system,  # 1055
        **cashier_tags(receipt.cashier),
        **({"buyer_contact": receipt.buyer_contact} if receipt.buyer_contact else {}),  # 1008
    }


def payment_tags(receipt: FnReceipt) -> dict[str, int]:
    """Cash and electronic always; an advance counted, credit and other consideration only when not zero."""
    tags = {"cash": receipt.cash, "electronic": receipt.electronic}
    for form in OFFSET_FORMS:
        if amount := getattr(receipt, form):
            tags[form] = amount
    return tags


def cashier_tags(cashier: Cashier | None) -> dict[str, Any]:
    if cashier is None:
        return {}
    return {"cashier": cashier.name, **({"cashier_inn": cashier.inn} if cashier.inn else {})}  # 1021 / 1203


def _item_settlement_tags(item: FnItem) -> dict[str, Any]:
    tags: dict[str, Any] = {"payment_method_sign": item.payment_method_sign,  # 1214
                            "subject_sign": item.subject_sign}  # 1212
    if item.marking_code is not None:
        tags["marking_code"] = item.marking_code  # 2000
    if item.product_code is not None:
        tags["product_code"] = item.product_code  # 1162
    return tags
