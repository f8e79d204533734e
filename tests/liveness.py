"""A second client's view of a server while a hostile one talks to it: does the server stay responsive?

`LatencyProbe` polls a health URL from its own thread and keeps every round trip; `raw_request` sends bytes
exactly as given (a 64 MB header, a body httpx would not write) and reads what comes back, if anything;
`keep_sending` repeats hostile requests until the probe has seen enough replies to judge.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from pytest_opticserp import http_client
from pytest_opticserp.waiting import eventually


@dataclass
class LatencyProbe:
    """GET `url` over and over on a kept-alive connection until the block ends; `worst` is the slowest reply.

    A reply that does not come within `timeout` counts as taking `timeout`, so a frozen server fails the
    check instead of hanging the test.
    """

    url: str
    timeout: float = 2.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __enter__(self) -> LatencyProbe:
        self._thread = threading.Thread(target=self._run, name="latency-probe", daemon=True)
        self._thread.start()
        eventually(lambda: len(self.latencies) >= 3, "the probe's first health replies",
                   last_seen=lambda: self.failures[-1:])
        self.latencies.clear()  # connection set-up is not what is measured
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        with http_client.client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                began = time.perf_counter()
                try:
                    client.get(self.url).raise_for_status()
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    self.latencies.append(max(time.perf_counter() - began, self.timeout))
                    continue
                self.latencies.append(time.perf_counter() - began)

    @property
    def worst(self) -> float:
        return max(self.latencies, default=0.0)

    def summary(self) -> str:
        ordered = sorted(self.latencies)
        median = ordered[len(ordered) // 2] if ordered else 0.0
        return (f"{len(ordered)} health replies, median {median * 1000:.1f} ms, worst {self.worst * 1000:.1f} ms; "
                f"failures: {self.failures[:3]}")


@dataclass
class RawAnswer:
    """What a raw request got: the status and body (parsed if JSON), or None when the server closed without a reply."""

    status: int | None
    body: Any
    seconds: float


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> RawAnswer:
    """Send `data` to 127.0.0.1:`port` as is and read the reply until the server closes or it is complete.

    A server refusing a huge request may close while the client is still sending; the reply, if it was
    read in time, is returned, otherwise the status is None (the connection was cut: refused, not served).
    """
    began = time.perf_counter()
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:  # the server stopped reading and closed: what is already sent back is still readable
            pass
        try:
            while not _complete(received):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except OSError:
            pass
    seconds = time.perf_counter() - began
    if not received.startswith(b"HTTP/1."):
        return RawAnswer(None, None, seconds)
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return RawAnswer(status, json.loads(body), seconds)
    except ValueError:  # not JSON: keep the bytes, for the assertion's message
        return RawAnswer(status, body, seconds)


def _complete(received: bytes) -> bool:
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def request_bytes(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"",
                  extra_head: bytes = b"") -> bytes:
    """An HTTP/1.1 request as bytes; `extra_head` is appended to the header block verbatim."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode() + b"\r\n" + extra_head + b"\r\n" + body


def keep_sending(port: int, requests: dict[str, bytes], probe: LatencyProbe, *, replies: int = 50,
                 deadline: float = 10.0) -> list[tuple[str, RawAnswer]]:
    """Send `requests` round after round until `probe` has `replies` replies (or `deadline` seconds pass).

    The hostile client never waits between requests, so every probe reply is measured while it is active.
    """
    answers = []
    end = time.monotonic() + deadline
    while len(probe.latencies) < replies and time.monotonic() < end:
        for name, data in requests.items():
            answers.append((name, raw_request(port, data, timeout=max(0.1, end - time.monotonic()))))
    return answers


def under_hostile_load(url: str, port: int, requests: dict[str, bytes], budget: float, *, windows: int = 2
                       ) -> tuple[LatencyProbe, list[tuple[str, RawAnswer]]]:
    """Probe `url` while `requests` are sent, in up to `windows` windows; the first window whose worst reply is
    within `budget`, else the last, with every hostile answer seen.

    Input that stalls the server stalls it in every window, since every window is under the same hostile
    traffic; a second window only forgives a scheduling hiccup of a shared 2-core machine (another test's
    process taking the core for a moment), which is not what is being tested.
    """
    answers: list[tuple[str, RawAnswer]] = []
    for _ in range(windows):
        with LatencyProbe(url) as probe:
            answers += keep_sending(port, requests, probe)
        if probe.worst < budget:
            break
    return probe, answers
