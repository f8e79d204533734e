"""Payload layouts of the device's own commands (one-byte codes): requests after the command code, answers
after the error byte. Each message encodes itself and decodes from bytes, so the emulator and a host driver
share one definition.

Requests are decoded strictly (a byte too few or too many is bad parameters, 0x33), except text, which is
whatever follows the fixed fields (the model's line length: 40, 42, 48 or 50 bytes). Answers are decoded
leniently: newer firmware appends fields, a host ignores what it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Self

from .layout import Reader, date3_dmy, text, uint

TAXES = tuple[int, int, int, int]


@dataclass(frozen=True)
class NoData:
    """0xFC's request: no password."""

    def encode(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, data: bytes) -> Self:
        Reader(data).done()
        return cls()


@dataclass(frozen=True)
class PasswordOnly:
    password: int = 1

    def encode(self) -> bytes:
        return uint(self.password, 4)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        reader = Reader(data)
        message = cls(reader.uint(4))
        reader.done()
        return message


@dataclass(frozen=True)
class OpenCheck:
    """0x8D: the check's type (`modes.CheckType`)."""

    check_type: int
    password: int = 1

    def encode(self) -> bytes:
        return uint(self.password, 4) + uint(self.check_type, 1)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        reader = Reader(data)
        password, check_type = reader.uint(4), reader.uint(1)
        reader.done()
        return cls(check_type, password)


@dataclass(frozen=True)
class Sale:
    """0x80 sale, 0x82 return sale: quantity in thousandths, price in kopecks, tax bytes = tax table rows."""

    quantity: int
    price: int
    taxes: TAXES = (1, 0, 0, 0)
    text: str = ""
    department: int = 1
    password: int = 1

    def encode(self) -> bytes:
        return (uint(self.password, 4) + uint(self.quantity, 5) + uint(self.price, 5) + uint(self.department, 1)
                + bytes(self.taxes) + text(self.text))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        reader = Reader(data)
        password, quantity, price, department = reader.uint(4), reader.uint(5), reader.uint(5), reader.uint(1)
        taxes = tuple(reader.take(4))
        return cls(quantity, price, taxes, reader.text(), department, password)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CloseCheck:
    """0x85: four payment sums (type 1 is cash; 2-4 are cashless), a discount in hundredths of a percent,
    the tax bytes of that discount, and text."""

    payments: tuple[int, int, int, int]
    discount: int = 0
    taxes: TAXES = (0, 0, 0, 0)
    text: str = ""
    password: int = 1

    def encode(self) -> bytes:
        return (uint(self.password, 4) + b"".join(uint(p, 5) for p in self.payments) + uint(self.discount, 2)
                + bytes(self.taxes) + text(self.text))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        reader = Reader(data)
        password = reader.uint(4)
        payments = tuple(reader.uint(5) for _ in range(4))
        discount = reader.uint(2)
        taxes = tuple(reader.take(4))
        return cls(payments, discount, taxes, reader.text(), password)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CashAmount:
    """0x50 cash in, 0x51 cash out: kopecks."""

    amount: int
    password: int = 1

    def encode(self) -> bytes:
        return uint(self.password, 4) + uint(self.amount, 5)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        reader = Reader(data)
        password, amount = reader.uint(4), reader.uint(5)
        reader.done()
        return cls(amount, password)


# -- answers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Empty:
    """An answer with nothing after the error byte (0xE0, FF0C, FF46, ...)."""

    def encode(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls()


@dataclass(frozen=True)
class OperatorNumber:
    """The operator (1-30) whose password the request carried: 0x80, 0x82, 0x88, 0x8D, 0x40, 0x41, 0xB0."""

    operator: int

    def encode(self) -> bytes:
        return uint(self.operator, 1)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls(Reader(data).uint(1))


@dataclass(frozen=True)
class ShortStatus:
    """0x10: 15 bytes after the error byte, as the reference's trace has it (LEN 0x11); the operations count in
    the check is split into a low byte (6th) and a high byte (11th). `mode` is the raw mode byte
    (`modes.split_mode`). A 14-byte answer (older firmware) decodes too."""

    operator: int
    flags: int
    mode: int
    submode: int
    operations: int = 0
    battery: int = 0xC8
    power: int = 0xD8
    fm_error: int = 0
    eklz_error: int = 0
    reserved: bytes = b"\0\0\0"
    last_print_result: int = 0

    def encode(self) -> bytes:
        return (uint(self.operator, 1) + uint(self.flags, 2) + uint(self.mode, 1) + uint(self.submode, 1)
                + uint(self.operations & 0xFF, 1) + uint(self.battery, 1) + uint(self.power, 1)
                + uint(self.fm_error, 1) + uint(self.eklz_error, 1) + uint(self.operations >> 8, 1)
                + self.reserved + uint(self.last_print_result, 1))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        operator, flags, mode, submode, low = r.uint(1), r.uint(2), r.uint(1), r.uint(1), r.uint(1)
        battery, power, fm_error, eklz_error, high = (r.uint(1) for _ in range(5))
        reserved = r.take(3)
        last = data[14] if len(data) > 14 else 0
        return cls(operator, flags, mode, submode, (high << 8) | low, battery, power, fm_error, eklz_error,
                   reserved, last)


FLAG_RECEIPT_PAPER = 0x0002  # short and full status flags: the receipt roll is in (sensor)


@dataclass(frozen=True)
class FullStatus:
    """0x11: the device's firmware, its document counter, flags, mode, clock, serial number and INN.

    The INN is a 6-byte little-endian integer here, as every integer of the protocol (pyshtrih reads the six
    bytes big-endian: an unconfirmed point)."""

    operator: int
    firmware_version: str  # two characters, e.g. "A4"
    firmware_build: int
    firmware_date: date
    room_number: int
    document_number: int  # the device's through number of its current document
    flags: int
    mode: int
    submode: int
    port: int
    fm_version: str
    fm_build: int
    fm_date: date
    date: date
    time: time
    fm_flags: int
    serial_number: int
    last_closed_shift: int
    free_fm_records: int
    registrations: int
    registrations_left: int
    inn: int
    extra: bytes = field(default=b"", compare=False)

    def encode(self) -> bytes:
        return (uint(self.operator, 1) + text(self.firmware_version, 2) + uint(self.firmware_build, 2)
                + date3_dmy(self.firmware_date) + uint(self.room_number, 1) + uint(self.document_number, 2)
                + uint(self.flags, 2) + uint(self.mode, 1) + uint(self.submode, 1) + uint(self.port, 1)
                + text(self.fm_version, 2) + uint(self.fm_build, 2) + date3_dmy(self.fm_date) + date3_dmy(self.date)
                + bytes([self.time.hour, self.time.minute, self.time.second]) + uint(self.fm_flags, 1)
                + uint(self.serial_number, 4) + uint(self.last_closed_shift, 2) + uint(self.free_fm_records, 2)
                + uint(self.registrations, 1) + uint(self.registrations_left, 1) + uint(self.inn, 6) + self.extra)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        operator, version, build = r.uint(1), r.text(2), r.uint(2)
        fw_date, room, number, flags = r.date3_dmy(), r.uint(1), r.uint(2), r.uint(2)
        mode, submode, port = r.uint(1), r.uint(1), r.uint(1)
        fm_version, fm_build, fm_date, today = r.text(2), r.uint(2), r.date3_dmy(), r.date3_dmy()
        hh, mi, ss = r.take(3)
        fm_flags, serial, last_shift, free = r.uint(1), r.uint(4), r.uint(2), r.uint(2)
        registrations, left, inn = r.uint(1), r.uint(1), r.uint(6)
        return cls(operator, version, build, fw_date or date(2000, 1, 1), room, number, flags, mode, submode, port,
                   fm_version, fm_build, fm_date or date(2000, 1, 1), today or date(2000, 1, 1), time(hh, mi, ss),
                   fm_flags, serial, last_shift, free, registrations, left, inn, r.rest())

    @property
    def datetime(self) -> datetime:
        return datetime.combine(self.date, self.time)


@dataclass(frozen=True)
class DeviceType:
    """0xFC: drivers pick their model class by a substring of `name` (cp1251)."""

    device_type: int
    subtype: int
    protocol_version: int
    protocol_subversion: int
    model: int
    language: int
    name: str

    def encode(self) -> bytes:
        return bytes([self.device_type, self.subtype, self.protocol_version, self.protocol_subversion, self.model,
                      self.language]) + text(self.name)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        head = r.take(6)
        return cls(*head, name=r.text())


@dataclass(frozen=True)
class CloseCheckAnswer:
    """0x85: operator and change (kopecks, from cash)."""

    operator: int
    change: int

    def encode(self) -> bytes:
        return uint(self.operator, 1) + uint(self.change, 5)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(r.uint(1), r.uint(5))


@dataclass(frozen=True)
class CashAnswer:
    """0x50/0x51: operator and the device's through number of the document it printed."""

    operator: int
    document_number: int

    def encode(self) -> bytes:
        return uint(self.operator, 1) + uint(self.document_number, 2)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(r.uint(1), r.uint(2))
