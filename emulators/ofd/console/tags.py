"""A received document as rows of FFD tags: what an operator's document viewer shows.

The documents use readable field names (`documents.py`), each standing for a tag; this table maps them back,
so the page shows the tag numbers a fiscal specialist looks for. Containers (items, payments, a Z report's
totals) become a heading row and one row per field under it, indented by `depth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fiscal.fn.vat import VAT_SUM_TAGS
from fiscal.money import format_rubles

from ..documents import DOC_TYPES, FFD_VERSIONS, OPERATIONS, VAT_CODES

# field → (tag, name); a tag of None is a field of our own documents with no FFD tag of its own.
FIELDS: dict[str, tuple[int | None, str]] = {
    "doc_type": (1000, "document type"),
    "fn_serial": (1041, "FN serial"),
    "fiscal_doc_number": (1040, "fiscal document number (FD)"),
    "fiscal_sign": (1077, "fiscal sign (FP)"),
    "kkt_reg_number": (1037, "register's registration number"),
    "datetime": (1012, "date and time"),
    "ffd_version": (1209, "FFD version"),
    "user_inn": (1018, "user's INN"),
    "user_name": (1048, "user's name"),
    "address": (1009, "settlement address"),
    "place": (1187, "settlement place"),
    "kkt_serial": (1013, "register's serial"),
    "operation": (1054, "calculation sign"),
    "total": (1020, "total"),
    "items": (1059, "item"),
    "name": (1030, "name"),
    "price": (1079, "price"),
    "quantity": (1023, "quantity"),
    "sum": (1043, "item sum"),
    "vat": (1199, "VAT rate"),
    "vat_sum": (1200, "item VAT"),
    "subject_sign": (1212, "subject sign"),
    "payment_method_sign": (1214, "payment method sign"),
    "unit": (2108, "unit of measure"),
    "marking_code": (2000, "marking code"),
    "product_code": (1162, "product code"),
    "payments": (None, "payments"),
    "cash": (1031, "cash"),
    "electronic": (1081, "electronic"),
    "prepayment": (1215, "prepayment counted"),
    "credit": (1216, "credit"),
    "other": (1217, "other consideration"),
    "vat_sums": (None, "VAT per rate"),
    "taxation_system": (1055, "taxation system"),
    "taxation_systems": (1062, "taxation systems"),
    "shift_number": (1038, "shift number"),
    "receipt_number": (1042, "receipt number in the shift"),
    "cashier": (1021, "cashier"),
    "cashier_inn": (1203, "cashier's INN"),
    "buyer_contact": (1008, "buyer's phone or e-mail"),
    "correction_type": (1173, "correction type"),
    "correction_basis": (1174, "correction basis"),
    "date": (1178, "date of the corrected settlement"),
    "order_number": (1179, "order number"),
    "unsent_count": (1097, "documents not confirmed by the OFD"),
    "oldest_unsent_fd": (1116, "first unconfirmed document"),
    "oldest_unsent_at": (1098, "time of the first unconfirmed document"),
    "receipts_in_shift": (1118, "receipts in the shift"),
    "documents_in_shift": (1111, "documents in the shift"),
    "shift_totals": (1194, "shift totals"),
    "fn_valid_until": (None, "FN valid until"),
    "count": (None, "count"),
    "by_rate": (None, "per VAT rate"),
}
MONEY = {"total", "price", "sum", "vat_sum", "cash", "electronic", "prepayment", "credit", "other"}
CODES: dict[str, dict[int, str]] = {
    "doc_type": DOC_TYPES, "operation": OPERATIONS, "vat": VAT_CODES, "ffd_version": FFD_VERSIONS,
}  # fmt: skip


@dataclass(frozen=True)
class TagRow:
    tag: str  # "" for a field without a tag of its own
    name: str
    value: str  # as received ("" for a container's heading row)
    hint: str  # what the value means (rubles, a code's name), or ""
    depth: int  # 0 for the document's own fields


def tag_rows(document: dict[str, Any]) -> list[TagRow]:
    """Every field of the document as received, in its order, containers flattened under a heading row."""
    rows: list[TagRow] = []
    _add(rows, document, 0, money=False)
    return rows


def _add(rows: list[TagRow], fields: dict[str, Any], depth: int, *, money: bool) -> None:
    """`money`: the container's values are kopecks whatever their keys (VAT per rate, a Z report's sums)."""
    for key, value in fields.items():
        tag, name = FIELDS.get(key, (None, key))
        if key == "vat_sums" and isinstance(value, dict):
            rows.append(TagRow("", name, "", "", depth))
            for rate, amount in value.items():
                rate_tag = VAT_SUM_TAGS.get(rate)
                rows.append(TagRow(str(rate_tag or ""), f"VAT at {rate}", str(amount), _rubles(amount), depth + 1))
        elif isinstance(value, list):
            for n, element in enumerate(value, 1):
                rows.append(TagRow(_shown(tag), f"{name} {n}", "", "", depth))
                if isinstance(element, dict):
                    _add(rows, element, depth + 1, money=money)
        elif isinstance(value, dict):
            rows.append(TagRow(_shown(tag), name, "", "", depth))
            _add(rows, value, depth + 1, money=money or key in ("shift_totals", "by_rate"))
        else:
            rows.append(TagRow(_shown(tag), name, _value(value), _hint(key, value, money=money), depth))


def _shown(tag: int | None) -> str:
    return "" if tag is None else str(tag)


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _hint(key: str, value: object, *, money: bool) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    if key in CODES:
        return CODES[key].get(value, "unknown code")
    if key in MONEY or (money and key != "count"):
        return _rubles(value)
    return ""


def _rubles(kopecks: object) -> str:
    return f"{format_rubles(kopecks)} ₽" if isinstance(kopecks, int) and not isinstance(kopecks, bool) else ""
