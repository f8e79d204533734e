"""The fiscal document the OFD receives, built once when the register signs a receipt.

It is stored with the receipt and sent verbatim on every attempt, so a re-delivery is byte-for-byte the
same document and the OFD can recognise it as a duplicate (by FN serial and fiscal document number).
Field names are readable; each carries the FFD tag it stands for. Money is integer kopecks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fiscal.fn.vat import vat_sum, vat_sums

from .drivers.base import FiscalData
from .receipt import FiscalItem, FiscalRequest

RECEIPT = 3  # FN document type
UNIT_PIECE = 0  # tag 2108: штуки


def build_document(request: FiscalRequest, fiscal: FiscalData, vat_tags: Mapping[str, int],
                   taxation_system: int) -> dict[str, Any]:
    item_vats = [vat_sum(item.vat_rate, item.sum) for item in request.items]  # as the FN computed them
    return {
        "doc_type": RECEIPT,  # the FN document type (3: cash receipt)
        "fn_serial": fiscal.fn_serial,  # 1041
        "fiscal_doc_number": fiscal.fiscal_doc_number,  # 1040
        "fiscal_sign": fiscal.fiscal_sign,  # 1077
        "kkt_reg_number": fiscal.kkt_reg_number,  # 1037
        "datetime": fiscal.datetime,  # 1012
        "operation": fiscal.operation,  # 1054
        "total": fiscal.total,  # 1020
        "items": [  # 1059
            {
                "name": item.name,  # 1030
                "price": item.price,  # 1079
                "quantity": item.quantity,  # 1023
                "sum": item.sum,  # 1043
                "vat": vat_tags[item.vat_rate],  # 1199
                "vat_sum": vat,  # 1200
                "subject_sign": item.subject_sign,  # 1212: 1 goods, 33 marked goods
                "payment_method_sign": item.payment_method_sign,  # 1214
                "unit": UNIT_PIECE,
                **_marking(item),
            }
            for item, vat in zip(request.items, item_vats, strict=True)
        ],
        "vat_sums": vat_sums(zip((item.vat_rate for item in request.items), item_vats, strict=True)),  # 1102-1107
        "payments": _payments(request),  # 1031 / 1081 (1215 / 1216 / 1217 when not zero)
        "taxation_system": taxation_system,  # 1055
        "ffd_version": fiscal.ffd_version,  # 1209
        "shift_number": fiscal.shift_number,  # 1038
        "receipt_number": fiscal.receipt_number,  # 1042
        **_receipt_requisites(request),
    }


def _marking(item: FiscalItem) -> dict[str, str]:
    """Tags 2000 and 1162 exactly as the POS sent them (their crypto check is out of scope)."""
    codes = {}
    if item.marking_code is not None:
        codes["marking_code"] = item.marking_code
    if item.product_code is not None:
        codes["product_code"] = item.product_code
    return codes


def _payments(request: FiscalRequest) -> dict[str, int]:
    payments = {"cash": request.cash, "electronic": request.electronic}
    for form in ("prepayment", "credit", "other"):
        if amount := getattr(request, form):
            payments[form] = amount
    return payments


def _receipt_requisites(request: FiscalRequest) -> dict[str, str]:
    """The cashier (1021, 1203) and the buyer's contact (1008), when the POS gave them."""
    requisites = {}
    if request.cashier is not None:
        requisites["cashier"] = request.cashier.name
        if request.cashier.inn is not None:
            requisites["cashier_inn"] = request.cashier.inn
    if request.buyer_contact is not None:
        requisites["buyer_contact"] = request.buyer_contact
    return requisites


def fn_document(tags: Mapping[str, Any], vat_tags: Mapping[str, int]) -> dict[str, Any]:
    """Any other FN document (registration, shift, state, correction, FN close) as the OFD receives it: the drive
    model's own fields (`fiscal.fn`, each standing for its tag) with `doc_type`, which tells the OFD what to
    check. A correction's items carry their VAT as the OFD knows it (1199), as a receipt's do."""
    if "doc_type" not in tags:
        raise ValueError("an FN document without doc_type cannot be told apart at the OFD")
    document = dict(tags)
    if "items" in document:
        document["items"] = [{**item, "vat": vat_tags[item["vat_rate"]], "unit": UNIT_PIECE}
                             for item in document["items"]]
    return document
