"""The host's link (kkt_adapter/drivers/shtrih/link.py) after a damaged answer, against a scripted device whose
bytes arrive one read at a time, as a loaded machine's pty may hand them over.

The rest of a damaged frame is data that can look like ACK, NAK or STX; what the host makes of it must not
depend on how the bytes were split into reads. (The adapter's serial tests met this only under CI load.)
"""

from __future__ import annotations

import time

import pytest

from fiscal.shtrih.frames import ACK, ENQ, NAK, STX, Control, Frame, FrameParser, answer_payload, build_frame
from kkt_adapter.drivers.shtrih.link import HostLink, LinkError, LinkTimeouts

REQUEST = bytes([0x11, 0x1E, 0x00, 0x00, 0x00])  # "short status", operator password 30
# An answer whose data holds the values of every control byte and of STX: once its own STX is damaged,
# the rest of the frame reads as ACK, NAK, ENQ and a frame start.
ANSWER = answer_payload(0x11, 0, bytes([0x1E, ACK, NAK, ENQ, STX, 0x03, 0x07, ACK, NAK, 0x10]))
TIMEOUTS = LinkTimeouts(control=0.2, byte=0.05, answer=1.0, retries=3, quiet=0.005)


class ScriptedDevice:
    """A port object for HostLink: a device that keeps its answer until ACKed, executes each new frame once,
    and hands the host one byte per read. `damage` answer frames go out with the low bit of their byte
    `flip_at` flipped (0: STX, 1: LEN)."""

    def __init__(self, damage: int = 1, flip_at: int = 0, noise_forever: bool = False) -> None:
        self.damage = damage
        self.flip_at = flip_at
        self.noise_forever = noise_forever
        self.executed = 0
        self._pending: bytes | None = None
        self._out = bytearray()
        self._parser = FrameParser()

    @property
    def in_waiting(self) -> int:
        return 1 if self._out or self.noise_forever else 0

    def read(self, size: int = 1) -> bytes:
        if self.noise_forever:
            return b"\x07"
        if not self._out:
            time.sleep(0.001)  # the port's read timeout, shortened
            return b""
        byte = bytes(self._out[:1])
        del self._out[:1]
        return byte

    def write(self, data: bytes) -> int:
        for event in self._parser.feed(data):
            match event:
                case Control(byte=b) if b == ENQ:
                    self._out += bytes([ACK]) + self._answer() if self._pending else bytes([NAK])
                case Control(byte=b) if b == ACK:
                    self._pending = None
                case Frame(payload=payload) if payload == REQUEST:
                    self.executed += 1
                    self._pending = build_frame(ANSWER)
                    self._out += bytes([ACK]) + self._answer()
        return len(data)

    def reset_input_buffer(self) -> None:
        self._out.clear()

    def close(self) -> None:
        pass

    def _answer(self) -> bytes:
        frame = self._pending
        if self.damage:
            self.damage -= 1
            return frame[:self.flip_at] + bytes([frame[self.flip_at] ^ 0x01]) + frame[self.flip_at + 1:]
        return frame


def link_to(device: ScriptedDevice) -> HostLink:
    link = HostLink("scripted://", timeouts=TIMEOUTS)
    link._port = device  # the port object HostLink reads and writes; only its open() is skipped
    return link


def test_an_answer_damaged_once_is_asked_for_again_and_the_command_runs_once_however_its_bytes_arrive() -> None:
    device = ScriptedDevice(damage=1)
    link = link_to(device)

    assert link.exchange(REQUEST) == ANSWER
    assert device.executed == 1
    assert link.damaged == 1  # one damaged answer is one retry, not one per piece of it


def test_an_answer_whose_length_came_too_long_is_cut_after_the_byte_timeout_and_asked_for_again() -> None:
    assert len(ANSWER) % 2 == 0  # so the flipped low bit of LEN makes the frame one byte longer than sent
    device = ScriptedDevice(damage=1, flip_at=1)
    link = link_to(device)
    started = time.monotonic()

    assert link.exchange(REQUEST) == ANSWER
    assert time.monotonic() - started < TIMEOUTS.answer / 2  # not the whole answer timeout
    assert (device.executed, link.damaged) == (1, 1)


def test_an_answer_damaged_as_often_as_the_retries_allow_still_arrives() -> None:
    device = ScriptedDevice(damage=TIMEOUTS.retries)
    link = link_to(device)

    assert link.exchange(REQUEST) == ANSWER
    assert (device.executed, link.damaged) == (1, TIMEOUTS.retries)


def test_an_answer_damaged_every_time_is_a_link_error_that_says_so() -> None:
    device = ScriptedDevice(damage=100)
    link = link_to(device)

    with pytest.raises(LinkError, match="keep arriving damaged"):
        link.exchange(REQUEST)
    assert device.executed == 1


def test_a_line_that_never_falls_quiet_is_a_link_error_within_the_answer_timeout() -> None:
    device = ScriptedDevice(damage=0)
    link = link_to(device)
    device.noise_forever = True
    started = time.monotonic()

    with pytest.raises(LinkError, match="never falls quiet"):
        link.exchange(REQUEST)
    assert time.monotonic() - started < TIMEOUTS.answer * (TIMEOUTS.retries + 2)
