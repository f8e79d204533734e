"""A receipt or a correction as Shtrih-M commands: the check's tags (FF0C), items (FF46, or 0x80/0x82 for a tax
row FF46 cannot name) with their own tags (FF4D), and the closing payments (FF45). Pure: no I/O.

FF46 carries FFD 1.2's item requisites (1214 payment method, 1212 subject) and names the tax row by a bit, so
only rows 1-8 of the device's tax table; an item whose rate sits further down goes by 0x80/0x82 (tax byte =
row), possible only for a plain full-payment item of goods, which is what those keep by default. The item's
sum is sent, not left to the device, so the FN signs the adapter's own rounding. Printed text is cp1251 and
TLV strings cp866: a character those lack is printed as "?" (the buffer keeps the POS's text).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fiscal.fn import Cashier
from fiscal.shtrih import tlv
from fiscal.shtrih.device_layouts import Sale
from fiscal.shtrih.fn_layouts import CloseCheckEx, Operation
from fiscal.shtrih.frames import MAX_LEN
from fiscal.shtrih.layout import TEXT_ENCODING
from fiscal.shtrih.taxes import TaxTable

from ...receipt import FiscalItem, FiscalRequest
from ..base import KktError

FULL_PAYMENT, GOODS = 4, 1
ITEM_TEXT = 128  # the FN's 1030 is at most 128 characters
TLV_ROOM = MAX_LEN - 2 - 4  # FF0C / FF4D: command code and password before the TLVs


@dataclass(frozen=True)
class ItemCommand:
    """One item: FF46 (`operation`) or 0x80/0x82 (`sale`), then its own tags by FF4D (`tags`, may be empty)."""

    operation: Operation | None
    sale: Sale | None
    tags: bytes


def printable(text: str, encoding: str = TEXT_ENCODING) -> str:
    """`text` as the device can print it: characters its code page lacks become '?'."""
    return text.encode(encoding, errors="replace").decode(encoding)


def cashier_tlv(cashier: Cashier | None) -> bytes:
    if cashier is None:
        return b""
    data = tlv.string(tlv.CASHIER, printable(cashier.name, tlv.TLV_ENCODING)[:64])
    if cashier.inn:
        data += tlv.string(tlv.CASHIER_INN, cashier.inn)
    return data


def check_tlv(request: FiscalRequest) -> bytes:
    """The document's tags: buyer contact (1008), cashier (1021 / 1203)."""
    data = cashier_tlv(request.cashier)
    if request.buyer_contact:
        data += tlv.string(tlv.BUYER_CONTACT, printable(request.buyer_contact, tlv.TLV_ENCODING))
    return data


def correction_tlv(correction_type: int, basis_date: Any, order_number: str | None) -> bytes:
    """1173, and 1174 holding 1178 (the corrected day) and 1179 (the order's number)."""
    basis = [tlv.unixtime(tlv.BASIS_DATE, basis_date)]
    if order_number:
        basis.append(tlv.string(tlv.ORDER_NUMBER, printable(order_number, tlv.TLV_ENCODING)))
    return tlv.byte(tlv.CORRECTION_TYPE, correction_type) + tlv.structure(tlv.CORRECTION_BASIS, basis)


def _quantity_thousandths(quantity: str) -> int:
    whole, _, fraction = quantity.partition(".")
    return int(whole) * 1000 + int((fraction + "000")[:3])


def item_commands(request: FiscalRequest, operation: int, taxes: TaxTable, password: int) -> Iterator[ItemCommand]:
    for item in request.items:
        yield item_command(item, operation, taxes, password)


def item_command(item: FiscalItem, operation: int, taxes: TaxTable, password: int) -> ItemCommand:
    try:
        row = taxes.row(item.vat_rate)
    except KeyError:
        raise KktError("vat_rate_unsupported", f"the register's tax table has no row for VAT rate {item.vat_rate!r}"
                       f" (its rows: {', '.join(taxes.rates)})") from None
    name = printable(item.name)[:ITEM_TEXT]
    thousandths = _quantity_thousandths(item.quantity)
    tags = item_tlv(item)
    try:
        bits = taxes.bits(item.vat_rate)
    except KeyError:
        if item.payment_method_sign != FULL_PAYMENT or item.subject_sign != GOODS or operation not in (1, 2):
            raise KktError("vat_rate_unsupported", f"VAT rate {item.vat_rate!r} is in row {row} of the register's tax"
                           " table, past the 8 that FF46 can name; only a full-payment sale of goods can go by"
                           " 0x80") from None
        sale = Sale(thousandths, item.price, (row, 0, 0, 0), name, password=password)
        return ItemCommand(None, sale, tags)
    operation_v2 = Operation(operation, thousandths * 1000, item.price, bits, name, amount=item.sum,
                             payment_method=item.payment_method_sign, subject=item.subject_sign, password=password)
    return ItemCommand(operation_v2, None, tags)


def item_tlv(item: FiscalItem) -> bytes:
    data = b""
    if item.marking_code is not None:
        data += tlv.tlv(tlv.MARKING_CODE, item.marking_code.encode(tlv.TLV_ENCODING, errors="replace"))
    if item.product_code is not None:
        data += tlv.tlv(tlv.PRODUCT_CODE, bytes.fromhex(item.product_code))
    if len(data) > TLV_ROOM:
        raise KktError("marking_code_too_long", f"the item's marking code takes {len(data)} bytes with its tags; one "
                       f"FF4D frame carries {TLV_ROOM}")
    return data


def close_check(request: FiscalRequest, password: int) -> CloseCheckEx:
    """FF45: cash, electronic (cashless type 2), prepayment 1215, credit 1216, other 1217."""
    return CloseCheckEx.of(cash=request.cash, electronic=request.electronic, prepayment=request.prepayment,
                           credit=request.credit, other=request.other, password=password)


def chunks(data: bytes) -> Iterator[bytes]:
    """A run of TLVs cut at TLV boundaries into pieces one FF0C frame carries."""
    piece, at = b"", 0
    while at < len(data):
        length = int.from_bytes(data[at + 2:at + 4], "little") + 4
        one = data[at:at + length]
        if piece and len(piece) + len(one) > TLV_ROOM:
            yield piece
            piece = b""
        piece += one
        at += length
    if piece:
        yield piece
