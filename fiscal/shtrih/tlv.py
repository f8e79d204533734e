"""FFD tag-length-value blocks as FF0C (the document's tags) and FF4D (the last item's tags) carry them.

`tag` 2 bytes, `length` 2 bytes, both little-endian, then the value: strings in cp866, integers as
little-endian bytes of the value's length (VLN), dates as UnixTime (4 bytes, seconds; a date is its midnight
taken as UTC, as the FN stores local time without a zone), STLV a nested run of TLVs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

from .layout import LayoutError

TLV_ENCODING = "cp866"

BUYER_CONTACT = 1008
CASHIER = 1021
CASHIER_INN = 1203
CORRECTION_TYPE = 1173
CORRECTION_BASIS = 1174
BASIS_DATE = 1178
ORDER_NUMBER = 1179
PRODUCT_CODE = 1162
MARKING_CODE = 2000
SUBJECT_SIGN = 1212
PAYMENT_METHOD_SIGN = 1214


def tlv(tag: int, value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError(f"tag {tag}: {len(value)} bytes do not fit a TLV")
    return tag.to_bytes(2, "little") + len(value).to_bytes(2, "little") + value


def string(tag: int, value: str) -> bytes:
    return tlv(tag, value.encode(TLV_ENCODING))


def number(tag: int, value: int) -> bytes:
    """VLN: as few little-endian bytes as hold the value (one at least)."""
    return tlv(tag, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "little"))


def byte(tag: int, value: int) -> bytes:
    return tlv(tag, bytes([value]))


def unixtime(tag: int, value: date) -> bytes:
    seconds = int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    return tlv(tag, seconds.to_bytes(4, "little"))


def structure(tag: int, parts: Iterable[bytes]) -> bytes:
    return tlv(tag, b"".join(parts))


def parse(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, value) of each TLV in a run; a run cut short is a `LayoutError`."""
    at = 0
    while at < len(data):
        if at + 4 > len(data):
            raise LayoutError(f"a TLV header cut short at byte {at}")
        tag = int.from_bytes(data[at:at + 2], "little")
        length = int.from_bytes(data[at + 2:at + 4], "little")
        value = data[at + 4:at + 4 + length]
        if len(value) != length:
            raise LayoutError(f"tag {tag}: {length} bytes announced, {len(value)} present")
        yield tag, value
        at += 4 + length


def as_string(value: bytes) -> str:
    return value.decode(TLV_ENCODING)


def as_number(value: bytes) -> int:
    return int.from_bytes(value, "little")


def as_date(value: bytes) -> date:
    if len(value) != 4:
        raise LayoutError(f"a UnixTime is 4 bytes, not {len(value)}")
    return datetime.fromtimestamp(int.from_bytes(value, "little"), UTC).date()
