"""Check a receipt as the tax service's public checker does: by the requisites printed in its QR code.

The buyer types (or scans) t, s, fn, i, fp and n; the checker looks the receipt up by FN and FD and compares
the rest. A known FD with another fiscal sign is a forged or mistyped receipt, told apart from one the OFD
simply does not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal
from urllib.parse import parse_qs

from fiscal.money import format_rubles

from ..documents import DOC_TYPES, OPERATIONS, RECEIPT, RECEIPT_TYPES
from ..state import OfdState
from .slip import receipt_qr

FIELDS = ("t", "s", "fn", "i", "fp", "n")
FORMATS: dict[str, tuple[str, str]] = {
    "t": (r"\d{8}T\d{4}(\d{2})?", "the date and time as YYYYMMDDTHHMM or YYYYMMDDTHHMMSS"),
    "s": (r"\d{1,13}(\.\d{1,2})?", "the total in rubles with a point, e.g. 1500.00"),
    "fn": (r"\d{16}", "the FN serial, 16 digits"),
    "i": (r"[1-9]\d{0,9}", "the fiscal document number, a positive whole number"),
    "fp": (r"\d{1,10}", "the fiscal sign, up to 10 digits"),
    "n": (r"[1-4]", "the calculation sign: 1 sale, 2 sale refund, 3 expense, 4 expense refund"),
}
Verdict = Literal["found", "wrong_sign", "not_found", "invalid"]


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    message: str
    fn: str | None = None
    fd: int | None = None  # set when found: the page links the receipt


def fields_from_qr(qr: str) -> dict[str, str]:
    """The QR string's fields (`t=...&s=...`); the first of a repeated one."""
    return {name: values[0] for name, values in parse_qs(qr.strip(), keep_blank_values=True).items()}


def check_receipt(state: OfdState, given: dict[str, str]) -> CheckResult:
    """`given`: the six fields as typed; the first one missing or malformed makes the check `invalid`."""
    values = {name: (given.get(name) or "").strip() for name in FIELDS}
    for name in FIELDS:
        pattern, expected = FORMATS[name]
        if not values[name]:
            return CheckResult("invalid", f"The field {name} is empty: give {expected}.")
        if re.fullmatch(pattern, values[name]) is None:
            return CheckResult("invalid", f"The field {name} is not valid: {values[name]!r}; give {expected}.")
    fn, fd = values["fn"], int(values["i"])
    stored = state.received(fn_serial=fn, fiscal_doc_number=fd)
    if not stored:
        return CheckResult("not_found", f"The OFD holds no document FD {fd} from FN {fn}.")
    document = stored[0].document
    doc_type = document.get("doc_type", RECEIPT)
    if doc_type not in RECEIPT_TYPES:
        return CheckResult("not_found", f"FD {fd} of FN {fn} is a {DOC_TYPES.get(doc_type, doc_type)}, not a receipt.")
    if values["fp"] != document["fiscal_sign"]:
        return CheckResult("wrong_sign", f"The fiscal sign {values['fp']} is wrong for FD {fd} of FN {fn}: "
                                         "the receipt is forged or mistyped.")
    actual = fields_from_qr(receipt_qr(document))
    differing = [name for name in ("t", "s", "n") if not _same(name, values[name], actual[name])]
    if differing:
        return CheckResult("not_found", f"The OFD holds FD {fd} of FN {fn}, but its {', '.join(differing)} "
                                        "differ from those given: no receipt with these requisites.")
    operation = OPERATIONS.get(document["operation"], str(document["operation"]))
    return CheckResult("found", f"The OFD holds this receipt: {operation} of {format_rubles(document['total'])} "
                                f"rubles, FD {fd} of FN {fn}, signed {document['datetime']}.", fn, fd)


def _same(name: str, given: str, actual: str) -> bool:
    """`t` to the minute when given without seconds; `s` as a number (1500 is 1500.00)."""
    if name == "t":
        return actual.startswith(given) if len(given) == 13 else given == actual
    if name == "s":
        try:
            return Decimal(given) == Decimal(actual)
        except InvalidOperation:
            return False
    return given == actual
