"""The Shtrih-M emulator's wire side over a real pty and a real TCP socket, seen by a raw host.

The register is a stand-in (shtrih_host.py), so what is tested is the link layer alone: ENQ/ACK/NAK,
re-sent answers, no double execution, the faults of the line, its speed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.shtrih.handle import ShtrihEmulator
from emulators.shtrih.line import wire_time
from emulators.shtrih.link import LinkTimings
from fiscal.shtrih import ACK, ENQ, NAK, BadFrame, FrameParser, build_frame
from pytest_opticserp.waiting import eventually

from .shtrih_host import BROKEN, ECHO, SHORT_STATUS, RawHost, StandInRegister, answer_frame


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., ShtrihEmulator]]:
    started: list[ShtrihEmulator] = []

    def start(register: StandInRegister | None = None, **options: Any) -> ShtrihEmulator:
        options.setdefault("timings", LinkTimings(byte_timeout=0.1, ack_timeout=2.0, answer_retries=2))
        options.setdefault("link", tmp_path / f"kkt{len(started)}")
        emulator = ShtrihEmulator(register or StandInRegister(), **options)
        started.append(emulator.start())
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(start_emulator: Callable[..., ShtrihEmulator]) -> ShtrihEmulator:
    return start_emulator()


@pytest.fixture
def open_host() -> Iterator[Callable[..., RawHost]]:
    hosts: list[RawHost] = []

    def open_(emulator: ShtrihEmulator, door: str) -> RawHost:
        assert emulator.tcp_port is not None
        hosts.append(RawHost.on_pty(emulator.link_path) if door == "pty" else RawHost.on_tcp(emulator.tcp_port))
        return hosts[-1]

    yield open_
    for host in hosts:
        with contextlib.suppress(OSError):
            host.close()


def executed(emulator: ShtrihEmulator) -> list[bytes]:
    return list(emulator.register.executed)  # type: ignore[attr-defined]


DOORS = pytest.mark.parametrize("door", ["pty", "tcp"])


@DOORS
def test_an_idle_device_answers_enq_with_nak_and_echoes_nothing(emulator, open_host, door: str) -> None:
    host = open_host(emulator, door)

    host.send(bytes([ENQ]))

    assert host.read(1) == bytes([NAK])
    assert host.quiet_for()


@DOORS
def test_the_reference_short_status_exchange_goes_byte_for_byte(emulator, open_host, door: str) -> None:
    host = open_host(emulator, door)

    host.send(bytes([ENQ]))
    assert host.read(1).hex(" ") == "15"
    host.send(bytes.fromhex("02 05 10 01 00 00 00 14"))
    assert host.read(1).hex(" ") == "06"
    answer = host.read(20)
    host.send(bytes([ACK]))

    assert answer[:5].hex(" ") == "02 11 10 00 01" and answer[-1] == 0x67 and len(answer) == 0x11 + 3
    host.send(bytes([ENQ]))
    assert host.read(1) == bytes([NAK]), "an acknowledged answer is no longer pending"
    assert executed(emulator) == [SHORT_STATUS]


def test_the_link_path_is_a_symlink_to_the_pty(emulator) -> None:
    assert emulator.link_path.is_symlink()
    assert os.readlink(emulator.link_path) == emulator.pty_path


def test_the_register_is_opened_at_start_and_closed_at_stop_with_the_link_removed(start_emulator) -> None:
    register = StandInRegister()
    emulator = start_emulator(register)
    link = emulator.link_path
    assert register.life == ["open"]

    emulator.stop()

    assert register.life == ["open", "close"]
    assert not link.is_symlink()


def test_a_register_that_fails_leaves_no_answer_and_the_line_working(emulator, open_host, caplog) -> None:
    host = open_host(emulator, "pty")

    host.send(build_frame(bytes([BROKEN])))
    assert host.read(1) == bytes([ACK])
    assert host.quiet_for()
    host.send(bytes([ENQ]))

    assert host.read(1) == bytes([NAK])
    assert host.ask(SHORT_STATUS) == bytes([ACK]) + answer_frame(SHORT_STATUS)
    assert "a bug in the register" in caplog.text


def test_a_link_path_that_is_no_symlink_is_left_alone(start_emulator, tmp_path: Path) -> None:
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")

    with pytest.raises(FileExistsError, match="not a symlink"):
        start_emulator(link=taken)
    assert taken.read_text() == "mine"


def test_a_stray_byte_is_answered_nak_as_hosts_probing_the_line_expect(emulator, open_host) -> None:
    host = open_host(emulator, "pty")

    host.send(b"\x00")

    assert host.read(1) == bytes([NAK])


@DOORS
def test_a_bad_lrc_gets_nak_and_the_frame_sent_again_executes_once(emulator, open_host, door: str) -> None:
    host = open_host(emulator, door)
    frame = build_frame(SHORT_STATUS)

    host.send(frame[:-1] + bytes([frame[-1] ^ 0xFF]))
    assert host.read(1) == bytes([NAK])
    assert host.ask(SHORT_STATUS) == bytes([ACK]) + answer_frame(SHORT_STATUS)

    assert executed(emulator) == [SHORT_STATUS]
    assert emulator.stats.bad_frames == 1


@DOORS
def test_an_answer_the_host_does_not_acknowledge_is_sent_again_then_kept_for_enq(
    start_emulator, open_host, door: str
) -> None:
    emulator = start_emulator(timings=LinkTimings(ack_timeout=0.1, answer_retries=2))
    host = open_host(emulator, door)
    answer = answer_frame(SHORT_STATUS)

    host.send(build_frame(SHORT_STATUS))
    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    assert host.read(2 * len(answer)) == answer * 2, "two re-sends"
    assert host.quiet_for(), "then it waits for ENQ"
    host.send(bytes([ENQ]))
    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    assert executed(emulator) == [SHORT_STATUS]


def test_enq_while_a_command_runs_gets_ack_at_once_and_the_answer_comes_once(start_emulator, open_host) -> None:
    gate = threading.Event()
    emulator = start_emulator(StandInRegister(gate=gate))
    host = open_host(emulator, "pty")
    answer = answer_frame(SHORT_STATUS)

    host.send(build_frame(SHORT_STATUS))
    assert host.read(1) == bytes([ACK])
    host.send(bytes([ENQ]))  # the host lost patience
    assert host.read(1) == bytes([ACK]), "the answer is being prepared"
    gate.set()

    assert host.read(len(answer)) == answer
    host.send(bytes([ACK]))
    assert host.quiet_for()
    assert executed(emulator) == [SHORT_STATUS]


@DOORS
def test_a_request_sent_again_while_its_answer_is_pending_does_not_execute_twice(
    emulator, open_host, door: str
) -> None:
    host = open_host(emulator, door)
    sale = bytes([ECHO]) + b"sale line"
    answer = answer_frame(sale)

    host.send(build_frame(sale))
    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    host.send(build_frame(sale))  # the host missed the answer and asks again
    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    host.send(bytes([ACK]))

    assert host.quiet_for(0.1)
    assert executed(emulator) == [sale]
    assert emulator.stats.repeated_frames == 1


def test_the_same_request_after_an_acknowledged_answer_is_a_new_command(emulator, open_host) -> None:
    host = open_host(emulator, "pty")
    sale = bytes([ECHO]) + b"one pair of glasses"

    assert host.ask(sale) == host.ask(sale) == bytes([ACK]) + answer_frame(sale)

    assert executed(emulator) == [sale, sale]


@DOORS
def test_a_host_that_comes_back_finds_its_unacknowledged_answer(emulator, open_host, door: str) -> None:
    request = bytes([ECHO]) + b"close check"
    answer = answer_frame(request)
    first = open_host(emulator, door)
    first.send(build_frame(request))
    assert first.read(1 + len(answer)) == bytes([ACK]) + answer
    first.close()  # the driver died before its ACK

    second = open_host(emulator, door)
    second.send(bytes([ENQ]))

    assert second.read(1 + len(answer)) == bytes([ACK]) + answer
    assert executed(emulator) == [request]


@DOORS
def test_a_device_switched_off_answers_nothing_and_works_when_on_again(emulator, open_host, door: str) -> None:
    host = open_host(emulator, door)
    emulator.power_off()

    host.send(bytes([ENQ]) + build_frame(SHORT_STATUS))
    assert host.quiet_for()
    if door == "tcp":
        open_host(emulator, "tcp").close()  # the port still takes connections
    emulator.power_on()
    host.send(bytes([ENQ]))

    assert host.read(1) == bytes([NAK])
    assert host.ask(SHORT_STATUS) == bytes([ACK]) + answer_frame(SHORT_STATUS)
    assert executed(emulator) == [SHORT_STATUS], "what arrived while off was discarded"
    assert emulator.register.power_cycles == 1  # type: ignore[attr-defined]


def test_switching_off_loses_the_answer_the_host_had_not_acknowledged(emulator, open_host) -> None:
    host = open_host(emulator, "pty")
    answer = answer_frame(SHORT_STATUS)
    host.send(build_frame(SHORT_STATUS))
    assert host.read(1 + len(answer)) == bytes([ACK]) + answer

    emulator.power_off()
    emulator.power_on()
    host.send(bytes([ENQ]))

    assert host.read(1) == bytes([NAK])


def test_a_dropped_byte_never_arrives_and_enq_gets_the_answer_again(emulator, open_host) -> None:
    host = open_host(emulator, "pty")
    answer = answer_frame(SHORT_STATUS)
    emulator.drop_next(1, after=1)  # the answer's STX

    host.send(build_frame(SHORT_STATUS))
    assert host.read(len(answer)) == bytes([ACK]) + answer[1:]
    assert host.quiet_for(0.1)
    host.send(bytes([ENQ]))

    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    assert executed(emulator) == [SHORT_STATUS]


@DOORS
def test_a_corrupted_byte_fails_the_lrc_and_nak_then_enq_gets_a_clean_answer(emulator, open_host, door: str) -> None:
    host = open_host(emulator, door)
    answer = answer_frame(SHORT_STATUS)
    emulator.corrupt_next(1, after=3)  # ACK, STX and LEN pass; the command byte is hit

    host.send(build_frame(SHORT_STATUS))
    received = host.read(1 + len(answer))
    assert received != bytes([ACK]) + answer
    assert isinstance(FrameParser().feed(received)[1], BadFrame)
    host.send(bytes([NAK, ENQ]))  # what pyshtrih does on a bad LRC

    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    assert executed(emulator) == [SHORT_STATUS]


def test_a_late_ack_comes_no_sooner_than_its_delay(emulator, open_host) -> None:
    host = open_host(emulator, "pty")
    emulator.late_ack(0.3)

    started = time.monotonic()
    host.send(build_frame(SHORT_STATUS))
    assert host.read(1) == bytes([ACK])

    assert time.monotonic() - started >= 0.3
    assert host.read(len(answer_frame(SHORT_STATUS))) == answer_frame(SHORT_STATUS)


def test_a_missing_ack_then_the_frame_sent_again_executes_once(emulator, open_host) -> None:
    host = open_host(emulator, "pty")
    answer = answer_frame(SHORT_STATUS)
    emulator.miss_ack()

    host.send(build_frame(SHORT_STATUS))
    assert host.read(len(answer)) == answer, "the answer, without its ACK"
    host.send(build_frame(SHORT_STATUS))  # no ACK seen: the host sends the frame again

    assert host.read(1 + len(answer)) == bytes([ACK]) + answer
    assert executed(emulator) == [SHORT_STATUS]


def test_a_frame_cut_short_is_dropped_after_the_byte_timeout(emulator, open_host) -> None:
    host = open_host(emulator, "pty")

    host.send(build_frame(SHORT_STATUS)[:4])
    eventually(lambda: emulator.stats.cut_frames == 1, "the cut frame to be dropped", lambda: emulator.stats)
    host.send(bytes([ENQ]))

    assert host.read(1) == bytes([NAK])
    assert executed(emulator) == []


def test_at_9600_baud_an_answer_takes_at_least_its_wire_time(start_emulator, open_host) -> None:
    emulator = start_emulator(baud=0)
    host = open_host(emulator, "pty")
    request = bytes([ECHO]) + bytes(240)
    expected = bytes([ACK]) + answer_frame(request)

    def exchange() -> float:
        started = time.monotonic()
        assert host.ask(request) == expected
        return time.monotonic() - started

    fastest = min(exchange() for _ in range(3))
    emulator.slow_line(9600)
    slow = exchange()

    assert slow >= wire_time(len(expected), 9600)
    assert fastest < slow / 2, f"{fastest=} {slow=}"


def test_two_doors_take_turns_on_one_register(start_emulator, open_host) -> None:
    emulator = start_emulator(StandInRegister(delay=0.1))
    hosts = [open_host(emulator, "pty"), open_host(emulator, "tcp")]
    requests = [bytes([ECHO]) + b"pty", bytes([ECHO]) + b"tcp"]

    for host, request in zip(hosts, requests, strict=True):
        host.send(build_frame(request))
    for host, request in zip(hosts, requests, strict=True):
        assert host.read(1 + len(answer_frame(request))) == bytes([ACK]) + answer_frame(request)

    assert emulator.register.most_running == 1  # type: ignore[attr-defined]
    assert sorted(executed(emulator)) == sorted(requests)
