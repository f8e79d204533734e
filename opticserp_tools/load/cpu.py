"""CPU time of the processes under load, to tell whether Locust or the server was the limit of a run."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping, Sequence

import psutil


class CpuMeter:
    """CPU time of processes and their children over a run, as a percentage of one core.

    Sampled every quarter second and kept per PID, so a Locust worker that exits before the end still counts
    with what it had used at its last sample. Tells whether Locust, not the server, was the limit.
    """

    INTERVAL = 0.25

    def __init__(self, processes: Mapping[str, int]) -> None:
        self._roots: dict[str, list[int]] = {name: [pid] for name, pid in processes.items()}
        self._first: dict[str, dict[int, float]] = {}
        self._last: dict[str, dict[int, float]] = {}
        self._wall = 0.0
        self._machine: tuple[float, float] = (0.0, 0.0)
        self._done = threading.Event()

    def watch(self, name: str, pids: Sequence[int]) -> None:
        self._roots[name] = list(pids)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._sample(initial=True)
        machine_before = _machine_busy()
        started = time.monotonic()
        thread = threading.Thread(target=self._loop, name="cpu-meter", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._done.set()
            thread.join()
            self._sample()
            self._wall = time.monotonic() - started
            self._machine = (machine_before, _machine_busy())

    def _loop(self) -> None:
        while not self._done.wait(self.INTERVAL):
            self._sample()

    def _sample(self, initial: bool = False) -> None:
        for name, roots in self._roots.items():
            first, last = self._first.setdefault(name, {}), self._last.setdefault(name, {})
            for pid in roots:
                try:
                    root = psutil.Process(pid)
                    members = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for process in members:
                    with contextlib.suppress(psutil.Error):
                        times = process.cpu_times()
                        used = times.user + times.system
                        # A process first seen mid-run (a forked Locust worker) started from nothing.
                        first.setdefault(process.pid, used if initial else 0.0)
                        last[process.pid] = used

    def seconds(self) -> dict[str, float]:
        """Per watched name, the CPU seconds its processes used over the run."""
        return {name: sum(used - self._first[name][pid] for pid, used in self._last[name].items())
                for name in self._roots if name in self._last}

    def percent(self) -> dict[str, float]:
        """Per watched name, and `machine`: every process on the machine, in % of one core (200 = 2 cores)."""
        if self._wall <= 0:
            return {}
        result = {name: 100 * sum(used - self._first[name][pid] for pid, used in self._last[name].items())
                  / self._wall for name in self._roots if name in self._last}
        result["machine"] = 100 * (self._machine[1] - self._machine[0]) / self._wall
        return result


def _machine_busy() -> float:
    """CPU seconds every core spent busy since boot."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))
