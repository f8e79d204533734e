"""One strict JSON reader for every body the adapter and the emulators are sent.

A receipt's meaning must not depend on which parser reads it, and a small body must not cost seconds, so
what `json.loads` lets through quietly is refused here, with a problem text a client can act on:
- a byte order mark, and UTF-16 or UTF-32 (json.loads detects and accepts them): UTF-8 only;
- a key given twice in one object (json.loads keeps the last; another parser may keep the first);
- NaN and Infinity, which are not JSON;
- a number over `fiscal.numbers`' bounds on digits and exponent, checked before it is converted.
Floats are read as Decimal by default, so 5000.00 stays exact.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .numbers import MAX_DIGITS, NumberRefused, bounded_int, check_number

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)  # fmt: skip


class JsonRefused(ValueError):
    """The body is not strict JSON; `problem` says why (e.g. "duplicate key 'total'")."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def decode(raw: bytes) -> str:
    """The text of a UTF-8 body without a BOM; anything else is `JsonRefused`."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise JsonRefused(f"starts with a {encoding} byte order mark; send UTF-8 without a BOM")
    if b"\x00" in raw:
        raise JsonRefused("contains NUL bytes (UTF-16 or UTF-32?); send UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"not UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start}") from None


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonRefused(f"duplicate key {key!r}: each key may appear once in an object")
            seen.add(key)
    return found


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


_SHORT_INTEGER = MAX_DIGITS  # characters, a sign included: never more digits than the bound
_SHORT_REAL = MAX_DIGITS  # a JSON real without an exponent: digits, a point and perhaps a sign


def _integer(text: str) -> int:
    # The scanner hands over only JSON integer literals (-?digits): a short one is within the bounds as it is.
    if len(text) <= _SHORT_INTEGER:
        return int(text)
    try:
        return bounded_int(text)
    except NumberRefused as exc:
        raise JsonRefused(f"number {exc}") from None


def loads(raw: bytes | str, *, parse_float: Callable[[str], Any] = Decimal) -> Any:
    """The JSON value in `raw`; `JsonRefused` if it is malformed, ambiguous, or has an unbounded number."""
    text = decode(raw) if isinstance(raw, bytes | bytearray) else raw
    if isinstance(text, str) and text.startswith("\ufeff"):
        raise JsonRefused("starts with a byte order mark; send UTF-8 without a BOM")

    def real(literal: str) -> Any:
        if len(literal) <= _SHORT_REAL and "e" not in literal and "E" not in literal:  # fewer digits than the bound
            return parse_float(literal)
        try:
            return parse_float(check_number(literal))
        except NumberRefused as exc:
            raise JsonRefused(f"number {exc}") from None

    try:
        return json.loads(text, object_pairs_hook=_object, parse_float=real, parse_int=_integer,
                          parse_constant=_constant)
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused("nested too deeply") from None
    except ValueError as exc:
        raise JsonRefused(f"malformed JSON: {exc}") from None
