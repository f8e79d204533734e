"""Shtrih-M v1 framing, byte for byte: what the emulator and the driver both build and parse."""

from __future__ import annotations

import pytest

from fiscal.shtrih import (
    ACK,
    ENQ,
    ERRORS,
    NAK,
    BadFrame,
    Control,
    ErrorCode,
    Frame,
    FrameParser,
    Garbage,
    answer_payload,
    build_frame,
    command_bytes,
    command_of,
    describe,
    lrc,
    split_answer,
    split_request,
)

SHORT_STATUS_REQUEST = bytes.fromhex("02 05 10 01 00 00 00 14")  # 0x10 with the cashier's password 1


def test_lrc_is_the_xor_of_len_through_the_last_data_byte() -> None:
    assert lrc(bytes.fromhex("05 10 01 00 00 00")) == 0x14
    assert lrc(b"") == 0


def test_a_short_status_request_is_built_as_the_reference_trace_shows() -> None:
    assert build_frame(bytes.fromhex("10 01 00 00 00")) == SHORT_STATUS_REQUEST


def test_the_reference_trace_reads_as_the_protocol_describes_it() -> None:
    """`→ 05 ← 15 → 02 05 10 01 00 00 00 14 ← 06 ← 02 11 10 00 01 … 67 → 06` (fiscal.md)."""
    answer = bytes.fromhex("10 00 01 02 00 08 00 00 98 00 00 00 00 00 00 00 f5")  # short status, mode 8
    answer_frame = build_frame(answer)
    assert answer_frame[:5] == bytes.fromhex("02 11 10 00 01") and answer_frame[-1] == 0x67

    host_sends = FrameParser().feed(bytes([ENQ]) + SHORT_STATUS_REQUEST + bytes([ACK]))
    device_sends = FrameParser().feed(bytes([NAK, ACK]) + answer_frame)

    assert host_sends == [Control(ENQ), Frame(bytes.fromhex("10 01 00 00 00")), Control(ACK)]
    assert device_sends == [Control(NAK), Control(ACK), Frame(answer)]
    assert split_answer(answer)[:2] == (0x10, 0) and answer[5] & 0x0F == 8


def test_a_frame_arriving_a_byte_at_a_time_is_one_frame() -> None:
    parser = FrameParser()
    events = []
    for byte in SHORT_STATUS_REQUEST:
        assert not events
        events += parser.feed(bytes([byte]))
    assert events == [Frame(SHORT_STATUS_REQUEST[2:-1])]
    assert not parser.in_frame


def test_control_byte_values_inside_a_frame_are_data() -> None:
    payload = bytes([0x80, ENQ, ACK, NAK, 0x02])
    assert FrameParser().feed(build_frame(payload)) == [Frame(payload)]


def test_a_bad_lrc_is_reported_with_both_values() -> None:
    corrupted = SHORT_STATUS_REQUEST[:-1] + b"\x15"

    assert FrameParser().feed(corrupted) == [BadFrame(bytes.fromhex("10 01 00 00 00"), 0x15, 0x14)]


def test_a_flipped_bit_anywhere_after_stx_fails_the_lrc() -> None:
    for position in range(1, len(SHORT_STATUS_REQUEST)):
        frame = bytearray(SHORT_STATUS_REQUEST)
        frame[position] ^= 0x01
        events = FrameParser().feed(bytes(frame))
        assert not any(isinstance(event, Frame) for event in events), position


def test_a_frame_with_len_zero_is_bad() -> None:
    assert FrameParser().feed(bytes.fromhex("02 00 00")) == [BadFrame(b"", 0, 0)]


def test_stray_bytes_between_frames_are_garbage_in_order() -> None:
    events = FrameParser().feed(b"\x00\x00" + bytes([ENQ]) + b"\xff" + SHORT_STATUS_REQUEST)

    assert events == [Garbage(b"\x00\x00"), Control(ENQ), Garbage(b"\xff"), Frame(SHORT_STATUS_REQUEST[2:-1])]


def test_a_frame_cut_short_is_dropped_and_the_next_one_parses() -> None:
    parser = FrameParser()
    assert parser.feed(SHORT_STATUS_REQUEST[:4]) == []
    assert parser.in_frame

    assert parser.drop_partial() == Garbage(SHORT_STATUS_REQUEST[:4])
    assert parser.feed(SHORT_STATUS_REQUEST) == [Frame(SHORT_STATUS_REQUEST[2:-1])]
    assert parser.drop_partial() is None


def test_fn_commands_have_two_byte_codes() -> None:
    assert command_of(bytes.fromhex("ff 01 1e 00 00 00")) == 0xFF01
    assert command_of(bytes.fromhex("10 01 00 00 00")) == 0x10
    assert command_bytes(0xFF3F) == b"\xff\x3f" and command_bytes(0x85) == b"\x85"
    assert split_request(bytes.fromhex("ff 03 1e 00 00 00")) == (0xFF03, bytes.fromhex("1e 00 00 00"))
    assert split_answer(answer_payload(0xFF01, 0x05, b"\x03")) == (0xFF01, 0x05, b"\x03")


@pytest.mark.parametrize("payload", [b"", b"\xff"])
def test_a_payload_without_a_whole_command_code_is_refused(payload: bytes) -> None:
    with pytest.raises(ValueError, match="command"):
        command_of(payload)


def test_an_answer_needs_its_error_byte() -> None:
    with pytest.raises(ValueError, match="error byte"):
        split_answer(b"\x10")


def test_len_is_one_byte() -> None:
    assert len(build_frame(bytes(255))) == 258
    with pytest.raises(ValueError, match="at most 255"):
        build_frame(bytes(256))
    with pytest.raises(ValueError):
        build_frame(b"")


def test_the_error_table_has_both_tables_of_the_reference() -> None:
    fn_codes = {0x01, 0x02, 0x05, 0x06, 0x07, 0x11, 0x14, 0x15, 0x16, 0x20}
    device_codes = {0x33, 0x37, 0x3D, 0x45, 0x46, 0x4A, 0x4E, 0x4F, 0x50, 0x6B, 0x73}

    assert fn_codes | device_codes <= set(ERRORS)
    assert ERRORS[0x3D][0] == "SHIFT_NOT_OPEN" and ERRORS[0x16][0] == "FN_SHIFT_OVER_24H"
    assert ErrorCode.NOT_ENOUGH_CASH == 0x46
    assert describe(0x4F) == "0x4F WRONG_PASSWORD: wrong password"
    assert describe(0xEE).startswith("0xEE UNKNOWN")
