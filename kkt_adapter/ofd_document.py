"""The fiscal document the OFD receives, built once when the register signs a receipt.

It is stored with the receipt and sent verbatim on every attempt, so a re-delivery is byte-for-byte the
same document and the OFD can recognise it as a duplicate (by FN serial and fiscal document number).
Field names are readable; each carries the FFD tag it stands for. Money is integer kopecks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .drivers.base import FiscalData
from .receipt import FiscalRequest

SUBJECT_GOODS = 1  # tag 1212: товар
FULL_PAYMENT = 4  # tag 1214: полный расчёт
UNIT_PIECE = 0  # tag 2108: штуки


def build_document(request: FiscalRequest, fiscal: FiscalData, vat_tags: Mapping[str, int],
                   taxation_system: int) -> dict[str, Any]:
    return {
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
                "subject_sign": SUBJECT_GOODS,
                "payment_method_sign": FULL_PAYMENT,
                "unit": UNIT_PIECE,
            }
            for item in request.items
        ],
        "payments": {"cash": request.cash, "electronic": request.electronic},  # 1031 / 1081
        "taxation_system": taxation_system,  # 1055
        "ffd_version": fiscal.ffd_version,  # 1209
        "shift_number": fiscal.shift_number,  # 1038
        "receipt_number": fiscal.receipt_number,  # 1042
    }
