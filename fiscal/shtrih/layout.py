"""The field types Shtrih-M payloads are made of, read and written the same way by the device and the host.

Integers are little-endian and unsigned (money 5 bytes in kopecks, quantities 5 bytes in thousandths or 6 in
millionths); dates and times are bytes of their decimal fields (YY MM DD hh mm), in the device's local time,
so they decode to naive datetimes; printed text is cp1251, the FN's strings ASCII.
"""

from __future__ import annotations

from datetime import date, datetime

TEXT_ENCODING = "cp1251"
NOT_GIVEN_5 = 0xFF_FF_FF_FF_FF  # a 5-byte sum the device is to compute itself (FF46)


class LayoutError(ValueError):
    """A payload that does not fit its command's layout: the device answers 0x33 (bad parameters)."""


def uint(value: int, size: int) -> bytes:
    if not 0 <= value < 1 << (8 * size):
        raise ValueError(f"{value} does not fit {size} unsigned bytes")
    return value.to_bytes(size, "little")


def text(value: str, size: int | None = None) -> bytes:
    """cp1251; `size` pads with NUL bytes to a fixed field (None: as long as the text, the rest of a payload)."""
    data = value.encode(TEXT_ENCODING)
    if size is None:
        return data
    if len(data) > size:
        raise ValueError(f"{value!r} is longer than its {size}-byte field")
    return data.ljust(size, b"\0")


def ascii_field(value: str, size: int) -> bytes:
    data = value.encode("ascii")
    if len(data) > size:
        raise ValueError(f"{value!r} is longer than its {size}-byte field")
    return data.ljust(size, b" ")


def datetime5(value: datetime) -> bytes:
    """YY MM DD hh mm: seconds are not on the wire."""
    return bytes([value.year - 2000, value.month, value.day, value.hour, value.minute])


def date3(value: date) -> bytes:
    """YY MM DD, as the FN commands (FF03) carry a date."""
    return bytes([value.year - 2000, value.month, value.day])


def date3_dmy(value: date) -> bytes:
    """DD MM YY, as the device's own status (0x11) carries a date."""
    return bytes([value.day, value.month, value.year - 2000])


class Reader:
    """Reads fields off a payload in order; a missing byte is a `LayoutError`."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, size: int) -> bytes:
        if self._at + size > len(self._data):
            raise LayoutError(f"payload of {len(self._data)} bytes ends before a {size}-byte field at {self._at}")
        chunk = self._data[self._at:self._at + size]
        self._at += size
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "little")

    def rest(self) -> bytes:
        chunk = self._data[self._at:]
        self._at = len(self._data)
        return chunk

    def text(self, size: int | None = None) -> str:
        """cp1251 up to the first NUL: a fixed field of `size`, or whatever follows the fixed fields."""
        raw = self.take(size) if size is not None else self.rest()
        return raw.split(b"\0", 1)[0].decode(TEXT_ENCODING, errors="replace").rstrip()

    def ascii(self, size: int) -> str:
        return self.take(size).decode("ascii", errors="replace").strip(" \0")

    def datetime5(self) -> datetime | None:
        """None for an all-zero field (no document yet)."""
        yy, mm, dd, hh, mi = self.take(5)
        if not (yy or mm or dd):
            return None
        try:
            return datetime(2000 + yy, mm, dd, hh, mi)
        except ValueError as exc:
            raise LayoutError(f"bad date-time {yy:02} {mm:02} {dd:02} {hh:02}:{mi:02}") from exc

    def date3(self) -> date | None:
        yy, mm, dd = self.take(3)
        return _date(yy, mm, dd)

    def date3_dmy(self) -> date | None:
        dd, mm, yy = self.take(3)
        return _date(yy, mm, dd)

    def done(self) -> None:
        if self._at != len(self._data):
            raise LayoutError(f"{len(self._data) - self._at} bytes after the last field")


def _date(yy: int, mm: int, dd: int) -> date | None:
    if not (yy or mm or dd):
        return None
    try:
        return date(2000 + yy, mm, dd)
    except ValueError as exc:
        raise LayoutError(f"bad date {yy:02} {mm:02} {dd:02}") from exc


def password_of(data: bytes) -> int:
    """The 4-byte password every request but 0xFC starts with."""
    return Reader(data).uint(4)
