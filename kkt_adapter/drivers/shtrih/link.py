"""The host's side of the Shtrih-M v1 link: ENQ/ACK/NAK and frames over a serial port, a pty or TCP.

Blocking and synchronous on purpose: it runs on the driver's one device thread (client.py), never on the
event loop. pyserial's `serial_for_url` opens `/dev/ttyUSB0`, a pty's path and `socket://host:port` alike.

A command's outcome is known only from its answer, so what this layer re-sends is chosen with care: a frame
the device NAKed, or one it says (NAK to our ENQ) it never got, goes again; an answer that arrives damaged is
asked for again with NAK then ENQ, and the device sends the same stored answer (it never executes the same
frame twice while its answer is pending). Between the NAK and the ENQ the line is read until it falls quiet,
and what came is dropped: the rest of a damaged frame is data that may look like ACK, NAK or STX, and how
it was split into reads must not decide what the host does next. When the device has nothing for us after
it took a command (it lost power meanwhile), the command may or may not have run: that is a `LinkError`,
never a re-send. An answer pending from an earlier host (one that crashed before its ACK) is read,
acknowledged, logged and dropped before our command goes out.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import serial

from fiscal.shtrih.frames import (
    ACK,
    ENQ,
    NAK,
    BadFrame,
    Control,
    Event,
    Frame,
    FrameParser,
    Garbage,
    build_frame,
    command_of,
)

log = logging.getLogger(__name__)

POLL = 0.02  # the port's read timeout: how often a wait checks its deadline (data wakes it at once)
QUIET_POLL = 0.001  # how often the line is looked at while it must stay quiet after damage


class LinkError(Exception):
    """The device did not answer as the protocol says, after the retries: switched off, unplugged, or the line
    too noisy. Whether the command ran is unknown: the driver's journal asks the FN (journal.py)."""


@dataclass(frozen=True)
class LinkTimeouts:
    """Seconds. `answer` is how long a command may take on the device (a Z report prints for a while);
    `control` bounds the wait for a one-byte reply (ENQ's NAK, a frame's ACK); `byte` the gap inside a frame;
    `quiet` is how long no byte must come after damage before the line counts as clear: the rest of a damaged
    frame comes in the same burst (a byte takes 1.04 ms at 9600 baud), but a USB-serial adapter hands bytes
    over in bursts up to its latency timer apart (16 ms by default on FTDI chips)."""

    control: float = 0.5
    byte: float = 0.3
    answer: float = 5.0
    quiet: float = 0.02
    retries: int = 5  # re-sent frames, re-asked answers and unanswered ENQs, each counted per command


def _answers(request: bytes, answer: bytes) -> bool:
    """Whether `answer` is for `request`'s command (a late copy of an earlier answer is not)."""
    try:
        return command_of(answer) == command_of(request)
    except ValueError:
        return False


class _Silence(Exception):
    """Nothing arrived before the deadline."""


class HostLink:
    def __init__(self, url: str, baudrate: int = 115200, timeouts: LinkTimeouts | None = None) -> None:
        self.url = url
        self.baudrate = baudrate
        self.timeouts = timeouts or LinkTimeouts()
        self._port: Any = None
        self._parser = FrameParser()
        self._events: deque[Event] = deque()
        self.stale_answers = 0  # answers of earlier commands found pending and dropped (for logs and tests)
        self.damaged = 0  # answers or control bytes that arrived damaged and were asked for again
        # A device found silent is asked once per command until it answers again, so the commands a failed call
        # still makes (a cancel, a look-up) cost one ENQ each, and the POS hears "unavailable" in seconds.
        self._silent = False

    # -- the port --------------------------------------------------------------------------------------------

    def open(self) -> None:
        try:
            self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=POLL, write_timeout=5)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open the register's port {self.url}: {exc}") from exc
        self._port.reset_input_buffer()  # what a previous host left unread is not ours
        self._parser = FrameParser()
        self._events.clear()

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                log.debug("closing %s failed", self.url, exc_info=True)

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def _write(self, data: bytes) -> None:
        if self._port is None:
            raise LinkError(f"the port {self.url} is not open")
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            self.close()  # the next command opens the port again (a USB-serial adapter plugged back in)
            raise LinkError(f"writing to {self.url} failed: {exc}") from exc

    def _read(self, wait: bool = True) -> bytes:
        """What the port has; with `wait`, waiting at most its read timeout (POLL) for a first byte."""
        if self._port is None:
            raise LinkError(f"the port {self.url} is not open")
        try:
            waiting = self._port.in_waiting
            return self._port.read(max(1, waiting)) if waiting or wait else b""
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise LinkError(f"reading from {self.url} failed: {exc}") from exc

    def _resync(self) -> None:
        """After damage: NAK (the device stops re-sending), then drop every byte until the line has been quiet
        for `quiet` seconds. The caller asks again with ENQ. A line that never falls quiet is a `LinkError`."""
        self._write(bytes([NAK]))
        self._events.clear()
        self._parser = FrameParser()
        t = self.timeouts
        give_up = time.monotonic() + t.answer
        quiet_until = time.monotonic() + t.quiet
        while True:
            # Quiet means a look at the port found nothing once the window was over (after a stall of this
            # thread, what came meanwhile is still waiting in the port).
            arrived = self._read(wait=False)
            now = time.monotonic()
            if arrived:
                quiet_until = now + t.quiet
            elif now >= quiet_until:
                return
            if now >= give_up:
                raise LinkError(f"the line to the register on {self.url} never falls quiet (noise, or a wrong "
                                f"speed?)")
            if not arrived:
                time.sleep(QUIET_POLL)

    def _next_event(self, timeout: float) -> Event:
        """The next control byte, frame or garbage; `_Silence` when nothing comes within `timeout`."""
        now = time.monotonic()
        deadline = now + timeout
        # A frame begun must go on within the byte timeout, however long the caller would wait: one whose LEN
        # came damaged (longer than what was sent) is cut then, not at the end of a long answer wait.
        cut_at = now + self.timeouts.byte if self._parser.in_frame else None
        while not self._events:
            now = time.monotonic()
            if now >= deadline or (cut_at is not None and now >= cut_at):
                if (cut := self._parser.drop_partial()) is not None:
                    return cut
                raise _Silence
            data = self._read()
            if data:
                self._events.extend(self._parser.feed(data))
                cut_at = time.monotonic() + self.timeouts.byte if self._parser.in_frame else None
                if cut_at is not None:
                    deadline = max(deadline, cut_at)
        return self._events.popleft()

    # -- one command -----------------------------------------------------------------------------------------

    def exchange(self, payload: bytes) -> bytes:
        """Send one request payload (command code + data) and return the device's answer payload."""
        frame = build_frame(payload)
        t = self.timeouts
        self._drain()
        self._handshake()
        self._write(frame)
        sends, enquiries, damaged = 1, 0, 0
        while True:
            try:
                event = self._next_event(t.control)
            except _Silence:
                # No ACK: lost, late, or the device is gone. Ask it: NAK = it has nothing (never got the frame),
                # ACK = it is executing or holds the answer.
                enquiries += 1
                if enquiries > t.retries:
                    raise LinkError(f"the register on {self.url} does not answer (command "
                                    f"{payload[:2].hex()})") from None
                self._write(bytes([ENQ]))
                continue
            match event:
                case Control(byte=b) if b == ACK:
                    answer = self._read_answer(payload)
                    if answer is not None:
                        return answer
                    damaged += 1
                    if damaged > t.retries:
                        raise LinkError(f"the register's answers on {self.url} keep arriving damaged")
                    self._write(bytes([ENQ]))  # resynced: ask for the stored answer again
                case Control(byte=b) if b == NAK:
                    sends += 1
                    if sends > t.retries + 1:
                        raise LinkError(f"the register on {self.url} keeps refusing the frame (NAK)")
                    self._write(frame)
                case Frame(payload=answer):  # the ACK was lost; the answer itself came
                    self._write(bytes([ACK]))
                    if _answers(payload, answer):
                        return answer
                    self._stale(answer)
                case BadFrame() | Garbage():
                    self.damaged += 1
                    damaged += 1
                    if damaged > t.retries:
                        raise LinkError(f"the register's answers on {self.url} keep arriving damaged")
                    self._resync()
                    self._write(bytes([ENQ]))
                case _:  # an ENQ from the device: not in this protocol's direction; ignore it
                    pass

    def _read_answer(self, payload: bytes) -> bytes | None:
        """After the device's ACK: its answer frame (acknowledged), or None after NAKing a damaged one."""
        deadline = time.monotonic() + self.timeouts.answer
        while True:
            try:
                event = self._next_event(max(0.0, deadline - time.monotonic()))
            except _Silence:
                raise LinkError(f"the register on {self.url} took the command {payload[:2].hex()} and sent no "
                                f"answer within {self.timeouts.answer} s") from None
            match event:
                case Frame(payload=answer):
                    self._write(bytes([ACK]))
                    if _answers(payload, answer):
                        return answer
                    self._stale(answer)  # a late copy of an earlier answer; ours follows
                case BadFrame() | Garbage():
                    self.damaged += 1
                    log.info("a damaged answer from the register; asking for it again")
                    self._resync()
                    return None
                case Control(byte=b) if b == NAK:
                    raise LinkError(f"the register on {self.url} lost the answer to {payload[:2].hex()} (switched "
                                    f"off meanwhile?)")
                case _:  # ACK: "still preparing the answer", as to an ENQ while it executes
                    pass

    def _handshake(self) -> None:
        """ENQ until the device says it is ready (NAK); an answer it still holds for an earlier host is dropped."""
        t = self.timeouts
        silent = stale = damaged = 0
        ask = True
        while True:
            if ask:
                self._write(bytes([ENQ]))
            ask = True
            try:
                event = self._next_event(t.control)
            except _Silence:
                silent += 1
                if silent > (0 if self._silent else t.retries):
                    self._silent = True
                    raise LinkError(f"the register on {self.url} does not answer ENQ (switched off, unplugged, "
                                    f"or a wrong port or speed?)") from None
                continue
            self._silent = False
            match event:
                case Control(byte=b) if b == NAK:
                    return
                case Control(byte=b) if b == ACK:
                    stale += 1
                    if stale > t.retries:
                        raise LinkError(f"the register on {self.url} keeps holding an answer it will not give")
                    self._drop_pending()
                case Frame(payload=answer):  # a timed re-send of an answer already taken; our ENQ's reply follows
                    self._write(bytes([ACK]))
                    self._stale(answer)
                    ask = False
                case BadFrame() | Garbage():  # a damaged reply, or a damaged copy of an old answer: start afresh
                    self.damaged += 1
                    damaged += 1
                    if damaged > t.retries:
                        raise LinkError(f"the register's replies on {self.url} keep arriving damaged")
                    self._resync()
                case _:
                    ask = False

    def _drop_pending(self) -> None:
        try:
            event = self._next_event(self.timeouts.answer)
        except _Silence:
            return
        if isinstance(event, Frame):
            self._write(bytes([ACK]))
            self._stale(event.payload)
        elif isinstance(event, BadFrame | Garbage):
            self._resync()  # the handshake's next ENQ asks for it again

    def _drain(self) -> None:
        """Bytes that arrived between commands (a re-sent copy of an answer already taken): acknowledge and drop."""
        if waiting := self._read(wait=False):
            self._events.extend(self._parser.feed(waiting))
        while self._events:
            event = self._events.popleft()
            if isinstance(event, Frame):
                self._write(bytes([ACK]))
                self._stale(event.payload)

    def _stale(self, answer: bytes) -> None:
        self.stale_answers += 1
        log.warning("dropped an answer the register held from before (a host that stopped before its ACK, or a "
                    "re-sent copy): %s", answer.hex(" "))
