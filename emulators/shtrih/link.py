"""The device's side of the Shtrih-M v1 link layer: ENQ/ACK/NAK, frames, re-sent answers, no double execution.

A driver learns what a device does when bytes go missing only from a device; this state machine is that
device. One `LinkSession` reads one byte stream (the pty, or one TCP connection) and answers it; every
session of a device shares one `Device` (the register, the lock that lets one command run at a time, the
power switch, the line and its faults). What must survive a host reconnecting (the answer it has not
acknowledged yet) is kept per front door in a `DoorMemory`.

The rules, as the protocol describes them:
- ENQ: NAK when idle; ACK then the pending answer frame when the host has not acknowledged one.
- A frame with a bad LRC: NAK (the host sends it again). A good one: ACK, execute, send the answer frame,
  wait for the host's ACK; without it, send the answer again `answer_retries` times, then keep it pending.
- The same request frame again while its answer is pending: the host never got the answer, so the stored
  answer goes again and the command does not run twice. Once the host has acknowledged an answer, an
  identical frame is a new command (two equal sale lines are two sales).
- A NAK from the host after an answer: it asks again with ENQ (as pyshtrih does), so timed re-sends stop.
- A stray byte outside a frame while idle: NAK (hosts probe the line with a 0x00 byte and expect NAK).
- A frame whose bytes stop coming for `byte_timeout` is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import asdict, dataclass, field

from emulators.shtrih.line import Line, Write
from emulators.shtrih.register_api import PowerCycled, Register
from fiscal.shtrih.frames import ACK, ENQ, NAK, STX, BadFrame, Control, Event, Frame, FrameParser, Garbage, build_frame

logger = logging.getLogger(__name__)

READ_SIZE = 4096


@dataclass(frozen=True)
class LinkTimings:
    """Real devices wait ~50 ms between bytes; the default is looser so a loaded test machine is no line fault."""

    byte_timeout: float = 0.1
    ack_timeout: float = 0.5
    answer_retries: int = 2


@dataclass
class LinkStats:
    """What the device saw and sent, for tests, benchmarks and the admin API (counts since start)."""

    frames: int = 0  # request frames received intact
    executed: int = 0
    bad_frames: int = 0
    repeated_frames: int = 0  # re-sent requests answered from memory, not executed
    answers_resent: int = 0  # on a timeout or an ENQ
    cut_frames: int = 0  # dropped by the byte timeout
    discarded_bytes: int = 0  # arrived while switched off
    bytes_received: int = 0  # from the host, every byte that arrived
    bytes_sent: int = 0  # to the host, as the device sent them (before the line's faults)
    frames_sent: int = 0  # answer frames, re-sent ones included
    frames_damaged: int = 0  # of those, how many the line's faults hit (a byte dropped or corrupted)

    def snapshot(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class DoorMemory:
    """The last request and its answer frame while the host has not acknowledged it (`pending`)."""

    last_request: bytes | None = None
    pending: bytes | None = None

    def forget(self) -> None:
        self.last_request = self.pending = None


@dataclass
class Device:
    """One register behind every front door: commands run one at a time; switched off, nothing answers."""

    register: Register
    line: Line
    timings: LinkTimings = field(default_factory=LinkTimings)
    stats: LinkStats = field(default_factory=LinkStats)
    powered: bool = True
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _generation: int = field(default=0, init=False)  # changes at every power-off: an answer across one is lost
    _doors: list[DoorMemory] = field(default_factory=list, init=False)

    def door(self) -> DoorMemory:
        memory = DoorMemory()
        self._doors.append(memory)
        return memory

    async def execute(self, request: bytes) -> bytes | None:
        """The register's answer, or None if the power went off before it could be sent."""
        generation = self._generation
        if not self.powered:
            return None
        async with self.lock:
            if generation != self._generation:
                return None
            try:
                answer = await self.register.execute(request)
            except Exception:  # a bug in the register must not take the line down: no answer, as a hung device
                logger.exception("the register failed on the request %s", request.hex(" "))
                return None
            self.stats.executed += 1
        return answer if generation == self._generation else None

    def power_off(self) -> None:
        """The command running goes on in the register (its FN commits or not, as the register decides);
        its answer is lost, like every answer the host had not acknowledged."""
        self.powered = False
        self._generation += 1
        for memory in self._doors:
            memory.forget()

    async def power_on(self) -> None:
        if self.powered:
            return
        async with self.lock:
            if isinstance(self.register, PowerCycled):
                await self.register.power_cycle()
            self.powered = True

    async def send(self, write: Write, data: bytes, busy_until: float = 0.0) -> float:
        """Through the line (see `Line.send`); a slow answer still on the wire when the power goes off stops."""

        async def while_powered(piece: bytes) -> None:
            if self.powered:
                await write(piece)

        if not self.powered:
            return busy_until
        damaged_before = self.line.faults.damaged_bytes
        free_at = await self.line.send(while_powered, data, busy_until)
        self.stats.bytes_sent += len(data)
        if len(data) > 1 and data[0] == STX:
            self.stats.frames_sent += 1
            if self.line.faults.damaged_bytes != damaged_before:
                self.stats.frames_damaged += 1
        return free_at


class LinkSession:
    """Answers one byte stream until it ends; run it as a task and cancel it to stop.

    A reader task turns bytes into events (the byte timeout and the power switch act there); the session
    takes them one at a time, but keeps listening while a command runs, so a host that lost patience and
    sent ENQ hears ACK ("the answer is being prepared") at once, as from a device.
    """

    def __init__(self, device: Device, reader: asyncio.StreamReader, write: Write, memory: DoorMemory) -> None:
        self._device = device
        self._reader = reader
        self._write = write
        self._memory = memory
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()  # None: the stream has ended
        self._held: deque[Event] = deque()  # arrived while a command ran; handled once its answer is out
        self._ack_deadline: float | None = None
        self._awaiting: bytes | None = None  # the answer frame this session wants an ACK for
        self._resends_left = 0
        self._line_free_at = 0.0  # when this line has sent all it was given (line.py)
        self._heard_until = 0.0  # when the host's bytes read so far have come in over the line (line.py)

    async def run(self) -> None:
        reading = asyncio.create_task(self._read())
        try:
            while True:
                try:
                    async with asyncio.timeout_at(self._ack_deadline):
                        event = self._held.popleft() if self._held else await self._events.get()
                except TimeoutError:
                    await self._no_ack()
                    continue
                if event is None:
                    return
                if self._device.powered:
                    await self._handle(event)
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)

    async def _read(self) -> None:
        """Bytes to events; a frame whose bytes stop coming is dropped, and what arrives while off is lost."""
        parser = FrameParser()
        device = self._device
        while True:
            try:
                async with asyncio.timeout(device.timings.byte_timeout if parser.in_frame else None):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                parser.drop_partial()
                device.stats.cut_frames += 1
                continue
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self._events.put_nowait(None)
                return
            device.stats.bytes_received += len(data)
            self._heard_until = await device.line.receive(len(data), self._heard_until)
            if not device.powered:
                device.stats.discarded_bytes += len(data)
                parser.drop_partial()
                continue
            for event in parser.feed(data):
                self._events.put_nowait(event)

    async def _no_ack(self) -> None:
        if self._awaiting is not None and self._memory.pending is self._awaiting and self._resends_left > 0:
            self._device.stats.answers_resent += 1
            await self._send_answer(self._awaiting, self._resends_left - 1)
        else:
            self._ack_deadline = self._awaiting = None  # kept pending for the host's next ENQ

    async def _handle(self, event: Event) -> None:
        match event:
            case Control(byte=b) if b == ENQ:
                if self._memory.pending is None:
                    await self._send(bytes([NAK]))
                else:
                    self._device.stats.answers_resent += 1
                    await self._send(bytes([ACK]))
                    await self._send_answer(self._memory.pending)
            case Control(byte=b) if b == ACK:
                if self._memory.pending is not None:
                    self._memory.pending = None
                    self._ack_deadline = self._awaiting = None
            case Control():  # NAK: the host asks again with ENQ
                self._ack_deadline = self._awaiting = None
            case Frame(payload=payload):
                self._device.stats.frames += 1
                await self._request(payload)
            case BadFrame():
                self._device.stats.bad_frames += 1
                await self._send(bytes([NAK]))
            case Garbage():
                if self._awaiting is None:
                    await self._send(bytes([NAK]))

    async def _request(self, payload: bytes) -> None:
        memory = self._memory
        if memory.pending is not None and payload == memory.last_request:
            self._device.stats.repeated_frames += 1
            await self._acknowledge()
            await self._send_answer(memory.pending)
            return
        memory.forget()
        self._ack_deadline = self._awaiting = None
        await self._acknowledge()
        answer = await self._execute(payload)
        if answer is None:
            self._held.clear()  # switched off meanwhile: what had arrived is lost with the answer
            return
        try:
            frame = build_frame(answer)
        except ValueError:
            logger.exception("the register's answer to %s does not fit a frame", payload.hex(" "))
            return
        memory.last_request, memory.pending = payload, frame
        await self._send_answer(frame)

    async def _execute(self, payload: bytes) -> bytes | None:
        """The device's answer; meanwhile ENQ gets ACK, anything else waits for the answer to be out."""
        execution = asyncio.ensure_future(self._device.execute(payload))
        arrival: asyncio.Future[Event | None] | None = None
        try:
            while not execution.done():
                arrival = asyncio.ensure_future(self._events.get())
                await asyncio.wait({execution, arrival}, return_when=asyncio.FIRST_COMPLETED)
                if not arrival.done():
                    continue  # the command is done; the `finally` cancels the wait, nothing taken from the queue
                event, arrival = arrival.result(), None
                if event == Control(ENQ):
                    await self._send(bytes([ACK]))
                elif event is None:
                    self._events.put_nowait(None)  # the host is gone; the command still completes
                    return await execution
                else:
                    self._held.append(event)
            return execution.result()
        finally:
            for pending in (execution, arrival):
                if pending is not None and not pending.done():
                    pending.cancel()

    async def _acknowledge(self) -> None:
        delay = self._device.line.faults.take_ack_fault()
        if delay is None:
            return
        if delay > 0:
            await asyncio.sleep(delay)
        await self._send(bytes([ACK]))

    async def _send_answer(self, frame: bytes, resends_left: int | None = None) -> None:
        await self._send(frame)
        self._awaiting = frame
        self._resends_left = self._device.timings.answer_retries if resends_left is None else resends_left
        self._ack_deadline = asyncio.get_running_loop().time() + self._device.timings.ack_timeout

    async def _send(self, data: bytes) -> None:
        self._line_free_at = await self._device.send(self._write, data, self._line_free_at)
