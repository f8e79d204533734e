"""Shtrih-M v1 framing: `STX | LEN | CMD | DATA | LRC`, and the control bytes around it.

One parser for both ends of the line: the emulated device reads the host's frames with it, a host driver
reads the device's answers. It takes bytes as they come (a serial read returns whatever has arrived) and
has no clock; the caller owns the byte timeout and calls `drop_partial()` when it expires.
"""

from __future__ import annotations

from dataclasses import dataclass

STX = 0x02
ENQ = 0x05
ACK = 0x06
NAK = 0x15
CONTROL_BYTES = frozenset({ENQ, ACK, NAK})

MAX_LEN = 255  # LEN is one byte and counts CMD + DATA
FN_PREFIX = 0xFF  # FN commands are two bytes: FF xx


def lrc(data: bytes) -> int:
    """XOR of every byte: the frame's check byte over LEN..last DATA byte."""
    check = 0
    for byte in data:
        check ^= byte
    return check


def build_frame(payload: bytes) -> bytes:
    """`STX LEN payload LRC` for a payload of command code + data (a request, or an answer with its error byte)."""
    if not payload:
        raise ValueError("a frame carries at least its command code")
    if len(payload) > MAX_LEN:
        raise ValueError(f"payload of {len(payload)} bytes; LEN is one byte, at most {MAX_LEN}")
    body = bytes([len(payload)]) + payload
    return bytes([STX]) + body + bytes([lrc(body)])


def command_length(payload: bytes) -> int:
    """1 for a device command, 2 for an FN command (`FF xx`)."""
    if not payload:
        raise ValueError("empty payload: no command code")
    if payload[0] == FN_PREFIX:
        if len(payload) < 2:
            raise ValueError("FN command prefix FF without its second byte")
        return 2
    return 1


def command_of(payload: bytes) -> int:
    """The command code at the head of a payload: 0x10, or 0xFF01 for `FF 01`."""
    size = command_length(payload)
    return int.from_bytes(payload[:size], "big")


def command_bytes(command: int) -> bytes:
    """0x10 -> `10`, 0xFF01 -> `FF 01`: how a command code goes on the wire."""
    if 0 <= command <= 0xFF and command != FN_PREFIX:
        return bytes([command])
    if command >> 8 == FN_PREFIX:
        return command.to_bytes(2, "big")
    raise ValueError(f"not a command code: {command:#x}")


def split_request(payload: bytes) -> tuple[int, bytes]:
    """(command, data) of a host's request."""
    size = command_length(payload)
    return command_of(payload), payload[size:]


def split_answer(payload: bytes) -> tuple[int, int, bytes]:
    """(command, error code, data) of a device's answer; every answer has the error byte."""
    size = command_length(payload)
    if len(payload) <= size:
        raise ValueError(f"answer {payload.hex(' ')} has no error byte")
    return command_of(payload), payload[size], payload[size + 1:]


def answer_payload(command: int, error: int = 0, data: bytes = b"") -> bytes:
    """The payload a device answers with: command code, error byte, data."""
    return command_bytes(command) + bytes([error]) + data


@dataclass(frozen=True, slots=True)
class Control:
    """ENQ, ACK or NAK seen between frames."""

    byte: int


@dataclass(frozen=True, slots=True)
class Frame:
    """A complete frame whose LRC matched; `payload` is command code + data."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A complete frame whose LRC did not match (or with LEN 0): the receiver answers NAK."""

    payload: bytes
    received_lrc: int
    expected_lrc: int


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes outside any frame that are no control byte, or a frame cut short (see `drop_partial`)."""

    data: bytes


Event = Control | Frame | BadFrame | Garbage


class FrameParser:
    """Feed bytes, get events in order. Inside a frame every byte is data, ENQ/ACK/NAK values included."""

    def __init__(self) -> None:
        self._frame: bytearray | None = None  # bytes after STX: LEN, payload, LRC
        self._garbage = bytearray()

    @property
    def in_frame(self) -> bool:
        """True between a frame's STX and its LRC: the caller's byte timeout runs."""
        return self._frame is not None

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for byte in data:
            frame = self._frame
            if frame is not None:
                frame.append(byte)
                if len(frame) == frame[0] + 2:
                    events.append(self._complete(bytes(frame)))
                    self._frame = None
            elif byte == STX:
                self._flush_garbage(events)
                self._frame = bytearray()
            elif byte in CONTROL_BYTES:
                self._flush_garbage(events)
                events.append(Control(byte))
            else:
                self._garbage.append(byte)
        self._flush_garbage(events)
        return events

    def drop_partial(self) -> Garbage | None:
        """Forget a frame cut short (its byte timeout expired); what had arrived, STX included, as garbage."""
        frame, self._frame = self._frame, None
        return Garbage(bytes([STX]) + bytes(frame)) if frame is not None else None

    def _flush_garbage(self, events: list[Event]) -> None:
        if self._garbage:
            events.append(Garbage(bytes(self._garbage)))
            self._garbage.clear()

    @staticmethod
    def _complete(frame: bytes) -> Frame | BadFrame:
        body, received = frame[:-1], frame[-1]
        expected = lrc(body)
        if received != expected or body[0] == 0:
            return BadFrame(body[1:], received, expected)
        return Frame(body[1:])
