"""The Shtrih-M protocol v1 facts that both ends of the wire share (framing, error codes, ...).

They live in the fiscal domain, below the emulator and the adapter, so the serial register emulator and the
adapter's `real` driver cannot drift apart on a byte.
"""

from fiscal.shtrih.errors import ERRORS, ErrorCode, describe
from fiscal.shtrih.frames import (
    ACK,
    ENQ,
    MAX_LEN,
    NAK,
    STX,
    BadFrame,
    Control,
    Event,
    Frame,
    FrameParser,
    Garbage,
    answer_payload,
    build_frame,
    command_bytes,
    command_of,
    lrc,
    split_answer,
    split_request,
)

__all__ = [
    "ACK",
    "ENQ",
    "ERRORS",
    "MAX_LEN",
    "NAK",
    "STX",
    "BadFrame",
    "Control",
    "ErrorCode",
    "Event",
    "Frame",
    "FrameParser",
    "Garbage",
    "answer_payload",
    "build_frame",
    "command_bytes",
    "command_of",
    "describe",
    "lrc",
    "split_answer",
    "split_request",
]
