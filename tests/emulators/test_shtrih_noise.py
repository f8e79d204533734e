"""The Shtrih-M emulator's noisy line (bytes corrupted at a rate, seeded) and its counts, over a real pty.

A raw host sees exactly what arrives, so a test can compare it byte by byte with what the device sent.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.shtrih.handle import ShtrihEmulator
from emulators.shtrih.line import wire_time
from emulators.shtrih.link import LinkTimings
from fiscal.shtrih import ACK, build_frame
from pytest_opticserp import http_client
from pytest_opticserp.waiting import eventually

from .shtrih_host import ECHO, RawHost, StandInRegister, answer_frame

REQUESTS = [bytes([ECHO]) + bytes([n % 256]) * 200 for n in range(20)]


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., ShtrihEmulator]]:
    started: list[ShtrihEmulator] = []

    def start(**options: Any) -> ShtrihEmulator:
        options.setdefault("timings", LinkTimings(byte_timeout=0.1, ack_timeout=2.0, answer_retries=2))
        emulator = ShtrihEmulator(StandInRegister(), link=tmp_path / f"kkt{len(started)}", tcp_port=None,
                                  baud=0, **options)
        started.append(emulator.start())
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def received_through(emulator: ShtrihEmulator) -> list[bytes]:
    """What a host gets back for each of `REQUESTS` (the ACK and the answer frame, as they arrive)."""
    host = RawHost.on_pty(emulator.link_path)
    with contextlib.closing(host):
        return [host.ask(request) for request in REQUESTS]


def sent(request: bytes) -> bytes:
    return bytes([ACK]) + answer_frame(request)


def flipped_bits(got: bytes, expected: bytes) -> list[int]:
    assert len(got) == len(expected), "a corrupted byte still arrives"
    return [bin(a ^ b).count("1") for a, b in zip(got, expected, strict=True) if a != b]


def test_a_noisy_line_flips_one_bit_in_about_rate_of_the_bytes_and_counts_the_damaged_frames(start_emulator) -> None:
    emulator = start_emulator()
    emulator.corrupt_rate(0.005, seed=7)

    received = received_through(emulator)

    flips = [flipped_bits(got, sent(request)) for got, request in zip(received, REQUESTS, strict=True)]
    damaged_bytes = sum(len(f) for f in flips)
    total = sum(len(sent(request)) for request in REQUESTS)
    assert all(bits == 1 for f in flips for bits in f), "each damaged byte has exactly one bit flipped"
    assert 0.0025 * total < damaged_bytes < 0.01 * total, f"{damaged_bytes} of {total} bytes"
    assert 0 < emulator.stats.frames_damaged < len(REQUESTS)
    answers_damaged = sum(got[1:] != answer_frame(request) for got, request in zip(received, REQUESTS, strict=True))
    stats = emulator.stats
    assert (stats.frames_sent, stats.frames_damaged) == (len(REQUESTS), answers_damaged)
    assert stats.bytes_sent == total
    host_sent = sum(len(build_frame(request)) + 1 for request in REQUESTS)  # each with its ACK
    eventually(lambda: emulator.stats.bytes_received == host_sent, "the last ACK to be read", lambda: emulator.stats)


def test_the_same_seed_damages_the_same_bytes_and_clearing_the_faults_stops_the_noise(start_emulator) -> None:
    first, second = start_emulator(), start_emulator()
    first.corrupt_rate(0.02, seed=11)
    second.corrupt_rate(0.02, seed=11)

    noisy = received_through(first)
    assert received_through(second) == noisy
    assert noisy != [sent(request) for request in REQUESTS]

    first.clear_faults()
    assert received_through(first) == [sent(request) for request in REQUESTS]
    assert first.describe()["faults"]["corrupt_rate"] == 0


def test_a_rate_outside_0_to_1_is_refused(start_emulator) -> None:
    emulator = start_emulator()
    with pytest.raises(ValueError, match="probability"):
        emulator.corrupt_rate(1.5)


def test_the_admin_api_sets_the_noise_and_names_a_bad_rate(start_emulator) -> None:
    emulator = start_emulator(admin_port=0)
    url = emulator.admin_url

    faults = http_client.post(f"{url}/faults/corrupt-rate", json={"rate": 0.01, "seed": 1}).json()["faults"]
    refused = http_client.post(f"{url}/faults/corrupt-rate", json={"rate": 2})
    cleared = http_client.post(f"{url}/faults/clear").json()["faults"]

    assert (faults["corrupt_rate"], faults["corrupt_seed"]) == (0.01, 1)
    assert refused.status_code == 422 and refused.json()["field"] == "rate"
    assert cleared["corrupt_rate"] == 0


def test_at_9600_baud_the_hosts_frame_takes_its_wire_time_to_reach_the_device(start_emulator) -> None:
    emulator = start_emulator()
    emulator.slow_line(9600)
    request = bytes([ECHO]) + bytes(240)
    host = RawHost.on_pty(emulator.link_path)
    with contextlib.closing(host):
        started = time.monotonic()
        host.send(build_frame(request))
        assert host.read(1) == bytes([ACK])
        acknowledged = time.monotonic() - started
        host.read(len(answer_frame(request)))
        host.send(bytes([ACK]))

    assert acknowledged >= wire_time(len(build_frame(request)) + 1, 9600)  # the frame in, then the ACK out
