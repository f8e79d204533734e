"""The checks a real OFD makes on a document after its structure: code tables, arithmetic, VAT, settlement.

In the order an operator reading the document would; the first broken rule rejects it with its field and a
response code (`DocumentRejected`). The rules the adapter also applies live once in `fiscal/` and are used here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from pydantic import ValidationError

from fiscal import strict_json
from fiscal.fn.config import inn_problem
from fiscal.fn.documents import OPERATIONS as OPERATION_NAMES  # the keys of a Z report's totals
from fiscal.fn.vat import RATE_FRACTIONS, vat_sum, vat_sums
from fiscal.requisites import buyer_contact_problem  # tag 1008, as the adapter checks it
from fiscal.settlement import settlement_problem  # tags 1214-1217, as the adapter checks them
from fiscal.subjects import (  # tag 1212, as the adapter checks it
    default_subject_sign,
    marked_quantity_problem,
    subject_sign_problem,
)
from fiscal.taxation import TAXATION_SYSTEMS  # tag 1055, shared with the adapter

from .documents import (
    DOC_TYPES,
    FFD_VERSIONS,
    FULL_PAYMENT,
    MODELS,
    OPERATIONS,
    RATE_OF_CODE,
    RECEIPT,
    VAT_CODES,
    CloseShiftReport,
    Document,
    DocumentRejected,
    FiscalDocument,
    RegistrationReport,
    ResponseCode,
)


def item_sum(price: int, quantity: Decimal) -> int:
    """Tag 1043: price × quantity rounded half up to whole kopecks, exactly (bounded inputs, ample precision)."""
    with localcontext(prec=60):
        return int((Decimal(price) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _from_validation_error(exc: ValidationError) -> DocumentRejected:
    found = []
    for err in exc.errors(include_url=False):
        structural = err["type"] == "missing" or err["type"].endswith("_type") or err["type"] == "json_invalid"
        code = ResponseCode.MALFORMED if structural else ResponseCode.INVALID_VALUE
        found.append((code, _path(err["loc"]), err["msg"]))
    code, field, message = found[0]
    rejected = DocumentRejected(code, field, message)
    rejected.errors = [{"field": f, "message": m} for _, f, m in found]
    return rejected


def _check_receipt(doc: FiscalDocument, vat_codes: Mapping[int, str]) -> None:
    """Receipts and corrections: operation, items, totals, payments and, when present, VAT sums."""
    if doc.operation not in OPERATIONS:
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE,
            "operation",
            f"unknown calculation sign {doc.operation}; known: 1, 2, 3, 4",
        )
    item_vats: list[tuple[str, int]] = []
    for n, item in enumerate(doc.items):
        if item.vat not in vat_codes or item.vat not in RATE_OF_CODE:
            known = ", ".join(map(str, sorted(set(vat_codes) & set(RATE_OF_CODE))))
            raise DocumentRejected(
                ResponseCode.UNKNOWN_CODE, f"items[{n}].vat", f"unknown VAT code {item.vat}; known: {known}"
            )
        if item.quantity_value <= 0:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, f"items[{n}].quantity", "must be greater than 0")
        expected = item_sum(item.price, item.quantity_value)
        if item.sum != expected:
            raise DocumentRejected(
                ResponseCode.ARITHMETIC,
                f"items[{n}].sum",
                f"{item.sum} != price {item.price} x quantity {item.quantity} = {expected} (rounded half up)",
            )
        rate = RATE_OF_CODE[item.vat]
        vat = vat_sum(rate, item.sum)
        if item.vat_sum is not None and item.vat_sum != vat:
            raise DocumentRejected(
                ResponseCode.ARITHMETIC, f"items[{n}].vat_sum",
                f"{item.vat_sum} != VAT at {rate} of sum {item.sum} = {vat} (rounded half up)",
            )
        has_code = item.marking_code is not None or item.product_code is not None
        sign = item.subject_sign if item.subject_sign is not None else default_subject_sign(has_code)
        if (problem := subject_sign_problem(sign, has_code)) is not None:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, f"items[{n}].subject_sign", problem)
        if (problem := marked_quantity_problem(item.quantity, item.marking_code is not None)) is not None:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, f"items[{n}].quantity", problem)
        item_vats.append((rate, vat))
    items_total = sum(item.sum for item in doc.items)
    if doc.total != items_total:
        raise DocumentRejected(ResponseCode.ARITHMETIC, "total", f"{doc.total} != sum of item sums {items_total}")
    signs = ((item.payment_method_sign or FULL_PAYMENT, item.sum) for item in doc.items)
    if (problem := settlement_problem(signs, doc.total, doc.payments.settlement())) is not None:
        where = problem.field if problem.field.startswith(("items", "payments")) else f"payments.{problem.field}"
        raise DocumentRejected(ResponseCode.ARITHMETIC, where, problem.message)
    if doc.cashier_inn is not None and (inn := inn_problem(doc.cashier_inn)) is not None:
        raise DocumentRejected(ResponseCode.INVALID_VALUE, "cashier_inn", inn)
    if doc.buyer_contact is not None and (contact := buyer_contact_problem(doc.buyer_contact)) is not None:
        raise DocumentRejected(ResponseCode.INVALID_VALUE, "buyer_contact", contact)
    if doc.vat_sums is not None:
        _check_vat_sums(doc.vat_sums, vat_sums(item_vats))
    if doc.taxation_system is not None and doc.taxation_system not in TAXATION_SYSTEMS:
        known = ", ".join(map(str, TAXATION_SYSTEMS))
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE,
            "taxation_system",
            f"unknown code {doc.taxation_system}; known: {known}",
        )


def _check_vat_sums(declared: Mapping[str, int], expected: Mapping[str, int]) -> None:
    """The receipt's sum per rate is the sum of its items' VATs (fiscal.fn.vat), one entry per rate it has."""
    for rate in declared:
        if rate not in RATE_FRACTIONS:
            raise DocumentRejected(ResponseCode.UNKNOWN_CODE, f"vat_sums.{rate}",
                                   f"unknown VAT rate; known: {', '.join(RATE_FRACTIONS)}")
    for rate in sorted(set(declared) | set(expected)):
        if declared.get(rate) != expected.get(rate):
            shown = "absent" if rate not in declared else declared[rate]
            wanted = f"{expected[rate]}, the sum of the items' VAT" if rate in expected else "absent: no item has it"
            raise DocumentRejected(ResponseCode.ARITHMETIC, f"vat_sums.{rate}", f"{shown} != {wanted}")


def _check_shift_totals(doc: CloseShiftReport) -> None:
    """A Z report's line per operation: payments and the per-rate sums each add up to its total."""
    for operation, line in doc.shift_totals.items():
        where = f"shift_totals.{operation}"
        if operation not in OPERATION_NAMES.values():
            raise DocumentRejected(ResponseCode.UNKNOWN_CODE, where,
                                   f"unknown operation; known: {', '.join(OPERATION_NAMES.values())}")
        for rate in line.by_rate:
            if rate not in RATE_FRACTIONS:
                raise DocumentRejected(ResponseCode.UNKNOWN_CODE, f"{where}.by_rate.{rate}",
                                       f"unknown VAT rate; known: {', '.join(RATE_FRACTIONS)}")
        paid = line.cash + line.electronic + line.prepayment + line.credit + line.other
        if paid != line.total:
            raise DocumentRejected(ResponseCode.ARITHMETIC, where,
                                   f"cash {line.cash} + electronic {line.electronic} + prepayment {line.prepayment} + "
                                   f"credit {line.credit} + other {line.other} != total {line.total}")
        by_rate = sum(rate.sum for rate in line.by_rate.values())
        if line.by_rate and by_rate != line.total:
            raise DocumentRejected(ResponseCode.ARITHMETIC, f"{where}.by_rate",
                                   f"sums per rate add up to {by_rate}, not the total {line.total}")


def check_rules(doc: Document, vat_codes: Mapping[int, str] = VAT_CODES) -> None:
    """Code tables and arithmetic; raises `DocumentRejected` at the first broken rule."""
    if isinstance(doc, FiscalDocument):
        _check_receipt(doc, vat_codes)
    if isinstance(doc, RegistrationReport):
        if (problem := inn_problem(doc.user_inn)) is not None:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, "user_inn", problem)
        if doc.taxation_systems & ~sum(TAXATION_SYSTEMS):
            raise DocumentRejected(ResponseCode.UNKNOWN_CODE, "taxation_systems",
                                   f"{doc.taxation_systems} names a system not in tag 1055's table "
                                   f"({', '.join(map(str, TAXATION_SYSTEMS))})")
    if isinstance(doc, CloseShiftReport):
        _check_shift_totals(doc)
    if doc.ffd_version is not None and doc.ffd_version not in FFD_VERSIONS:
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE, "ffd_version", f"unknown FFD version {doc.ffd_version}; known: 2, 4"
        )


def _doc_type(body: dict[str, Any]) -> int:
    doc_type = body.get("doc_type", RECEIPT)
    if type(doc_type) is not int:
        raise DocumentRejected(ResponseCode.MALFORMED, "doc_type", "must be an integer (the FN document type)")
    if doc_type not in MODELS:
        known = ", ".join(f"{code} {name}" for code, name in DOC_TYPES.items())
        raise DocumentRejected(ResponseCode.UNKNOWN_CODE, "doc_type",
                               f"unknown document type {doc_type}; known: {known}")
    return doc_type


def parse_document(raw: bytes, vat_codes: Mapping[int, str] = VAT_CODES) -> tuple[Document, dict[str, Any]]:
    """The validated document and the JSON object as sent; raises `DocumentRejected`."""
    try:
        body = strict_json.loads(raw, parse_float=float)  # no BOM, no duplicate keys, bounded numbers
    except strict_json.JsonRefused as exc:
        raise DocumentRejected(ResponseCode.MALFORMED, "body", f"not valid JSON: {exc.problem}", 400) from None
    if not isinstance(body, dict):
        raise DocumentRejected(
            ResponseCode.MALFORMED, "body", f"expected a JSON object, got {type(body).__name__}", 400
        )
    try:
        doc = MODELS[_doc_type(body)].model_validate_json(raw)
    except ValidationError as exc:
        raise _from_validation_error(exc) from None
    check_rules(doc, vat_codes)
    return doc, body
