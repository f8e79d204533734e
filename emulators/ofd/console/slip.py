"""The receipt as the buyer holds it: the printed slip rebuilt from the document the OFD received.

A stored document passed the OFD's checks, so its fields are there and consistent. The seller's name, INN and
address are on the registration report (document 1), not on the adapter's receipts, so the slip takes them
from the receipt when it has them and else from that FN's registration report, when the OFD received one.
The QR string is `fiscal.fn.documents.qr_string`, the function the fiscal drive prints and the adapter answers
as `fiscal.qr`, so the slip's code is the one on the paper receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import segno

from fiscal.fn.documents import qr_string
from fiscal.fn.vat import vat_sum
from fiscal.money import format_rubles
from fiscal.taxation import TAXATION_SYSTEMS
from fiscal.vat import VAT_RATE_CODES

from ..documents import OPERATIONS, RATE_OF_CODE, VAT_CODES

PAYMENT_FORMS = {"cash": "Cash", "electronic": "Card (electronic)", "prepayment": "Prepayment",
                 "credit": "Credit", "other": "Other consideration"}  # fmt: skip
QR_SCALE = 5  # pixels per module: at least 4, so a phone camera reads it off a screen
QR_BORDER = 4  # the quiet zone, in modules, that the QR standard asks for


@dataclass(frozen=True)
class SlipItem:
    name: str
    quantity: str
    price: str
    sum: str
    vat: str


@dataclass(frozen=True)
class Slip:
    title: str  # "Receipt: sale"
    seller: list[str]  # name, INN, address lines, as far as known
    items: list[SlipItem]
    vat: list[tuple[str, str]]  # (rate name, rubles)
    total: str
    payments: list[tuple[str, str]]  # (form, rubles), the non-zero ones (cash and card always)
    requisites: list[tuple[str, str]]  # FD, FP, FN, shift, ...
    qr: str

    @property
    def qr_png_uri(self) -> str:
        return segno.make(self.qr, error="m").png_data_uri(scale=QR_SCALE, border=QR_BORDER)


def receipt_qr(document: dict[str, Any]) -> str:
    """`t=...&s=...&fn=...&i=...&fp=...&n=...` from the document's tags 1012, 1020, 1041, 1040, 1077, 1054."""
    return qr_string(datetime.fromisoformat(document["datetime"]), document["total"], document["fn_serial"],
                     document["fiscal_doc_number"], document["fiscal_sign"], document["operation"])


def build_slip(document: dict[str, Any], registration: dict[str, Any] | None = None) -> Slip:
    """`registration`: the FN's registration report, if the OFD has one, for the seller's requisites."""
    items = [_item(item) for item in document["items"]]
    when = datetime.fromisoformat(document["datetime"])
    kind = "Correction receipt" if document.get("doc_type") == 31 else "Receipt"
    payments = document["payments"]
    requisites = [
        ("Date and time", when.strftime("%d.%m.%Y %H:%M")),
        ("Shift", _text(document.get("shift_number"))),
        ("Receipt in shift", _text(document.get("receipt_number"))),
        ("Cashier", _text(document.get("cashier"))),
        ("Taxation system", TAXATION_SYSTEMS.get(document.get("taxation_system"), "")
         if document.get("taxation_system") is not None else ""),
        ("Registration number", document["kkt_reg_number"]),
        ("FN", document["fn_serial"]),
        ("FD", str(document["fiscal_doc_number"])),
        ("FP", document["fiscal_sign"]),
    ]
    return Slip(
        title=f"{kind}: {OPERATIONS.get(document['operation'], str(document['operation']))}",
        seller=_seller(document, registration or {}),
        items=items,
        vat=_vat(document),
        total=format_rubles(document["total"]),
        payments=[(label, format_rubles(payments.get(form, 0))) for form, label in PAYMENT_FORMS.items()
                  if form in ("cash", "electronic") or payments.get(form)],
        requisites=[(label, value) for label, value in requisites if value],
        qr=receipt_qr(document),
    )


def _item(item: dict[str, Any]) -> SlipItem:
    return SlipItem(item["name"], _quantity(item["quantity"]), format_rubles(item["price"]),
                    format_rubles(item["sum"]), VAT_CODES.get(item["vat"], f"code {item['vat']}"))


def _quantity(quantity: str) -> str:
    """'1.000' → '1', '0.250' → '0.25': as a register prints it."""
    value = Decimal(quantity).normalize()
    return f"{value:f}"


def _vat(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The receipt's VAT per rate (1102-1107) as sent, or the items' VATs summed when it has none."""
    sums = document.get("vat_sums")
    if sums is None:
        sums = {}
        for item in document["items"]:
            rate = RATE_OF_CODE[item["vat"]]
            sums[rate] = sums.get(rate, 0) + item.get("vat_sum", vat_sum(rate, item["sum"]))
    return [(_rate_name(rate), format_rubles(amount)) for rate, amount in sums.items()]


def _rate_name(rate: str) -> str:
    """'20' → '20%', 'none' → 'no VAT': the 1199 table's names."""
    return VAT_CODES.get(VAT_RATE_CODES.get(rate, 0), rate)


def _seller(document: dict[str, Any], registration: dict[str, Any]) -> list[str]:
    def field(name: str) -> Any:
        return document.get(name) or registration.get(name)

    lines = [field("user_name") or ""]
    if field("user_inn"):
        lines.append(f"INN {field('user_inn')}")
    lines.append(field("address") or "")
    return [line for line in lines if line]


def _text(value: object) -> str:
    return "" if value is None else str(value)
