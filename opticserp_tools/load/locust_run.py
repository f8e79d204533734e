"""Locust headless against one URL, as its own processes (one, or a master and workers), and what it measured.

Locust runs as its own process: it monkey-patches its interpreter with gevent, which must not happen to a
pytest session or to the caller's asyncio code, and it is what a user would run by hand. Its processes are
the plugin's `ServerProcess` without a readiness check: started, waited for, stopped by PID.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from opticserp_tools.load.cpu import CpuMeter
from opticserp_tools.load.options import LoadError, LoadOptions
from opticserp_tools.load.stack import environment, start
from pytest_opticserp.executors.base import ServerProcess, log_tail
from pytest_opticserp.ports import free_ports

RECEIPT_ENDPOINT = "POST /v1/kkt/receipt"
LOCUST_EXTRA_SECONDS = 60.0
WORKERS_WAIT = 30
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class EndpointStats:
    """One row of Locust's `_stats.csv`, times in ms. Locust rounds percentiles to whole ms below 100 ms, to
    10 ms up to 1 s and to 100 ms above."""

    name: str
    requests: int
    failures: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None
    average: float
    maximum: float

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> EndpointStats:
        def percentile(key: str) -> float | None:
            value = row.get(key, "N/A")
            return None if value in ("", "N/A") else float(value)

        name = row["Name"]
        if name != "Aggregated" and not name.startswith(f"{row['Type']} "):  # ours are named "POST /path"
            name = f"{row['Type']} {name}"
        return cls(name=name, requests=int(row["Request Count"]), failures=int(row["Failure Count"]),
                   rps=float(row["Requests/s"]), p50=percentile("50%"), p95=percentile("95%"),
                   p99=percentile("99%"), average=float(row["Average Response Time"]),
                   maximum=float(row["Max Response Time"]))


@dataclass(frozen=True)
class LocustRun:
    """One Locust run against one server."""

    label: str
    url: str
    endpoints: tuple[EndpointStats, ...]
    aggregated: EndpointStats
    csv_prefix: Path
    html: Path
    log: Path
    exit_code: int
    cpu_percent: Mapping[str, float]
    workers_connected: int = 0
    cpu_seconds: Mapping[str, float] = field(default_factory=dict)

    def endpoint(self, name: str) -> EndpointStats | None:
        return next((e for e in self.endpoints if e.name == name), None)

    @property
    def throughput_row(self) -> EndpointStats:
        """The receipt endpoint when it was loaded, else all requests together."""
        return self.endpoint(RECEIPT_ENDPOINT) or self.aggregated

    def report_files(self) -> list[Path]:
        return [Path(f"{self.csv_prefix}_stats.csv"), self.html]


def run_locust(options: LoadOptions, locustfile: Path, label: str, url: str, watched: Mapping[str, int | None],
               note: Callable[[str], None]) -> LocustRun:
    """Run Locust headless against `url` and read its CSV; the `watched` processes' CPU is measured meanwhile."""
    report = options.report_dir
    prefix, html, log = report / label, report / f"{label}.html", report / f"{label}-locust.log"
    for stale in [*report.glob(f"{label}_*.csv"), *report.glob(f"{label}-*.log")]:
        stale.unlink()
    common = [sys.executable, "-m", "locust", "-f", str(locustfile), "--think-time", str(options.think_time)]
    if options.tags:
        common += ["--tags", *options.tags]
    command = [*common, "--headless", "--host", url, "-u", str(options.users), "-r", f"{options.rate:g}",
               "-t", f"{options.seconds}s", "--csv", str(prefix), "--html", str(html), "--only-summary"]
    workers: list[list[str]] = []
    timeout = options.seconds + LOCUST_EXTRA_SECONDS
    if options.workers:
        (master_port,) = free_ports(1)
        command += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
                    "--expect-workers", str(options.workers), "--expect-workers-max-wait", str(WORKERS_WAIT)]
        workers = [[*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)]
                   for _ in range(options.workers)]
        timeout += WORKERS_WAIT
    elif options.locust_processes > 1:
        command += ["--processes", str(options.locust_processes)]

    cpu = CpuMeter({name: pid for name, pid in watched.items() if pid is not None})
    with contextlib.ExitStack() as stack:
        master = stack.enter_context(start(_locust_process("Locust", command, log)))
        note(f"started Locust{' master' if workers else ''} (pid {master.pid}) against {url}")
        started = [master]
        for number, worker in enumerate(workers, 1):
            name = f"Locust worker {number}"
            started.append(stack.enter_context(start(_locust_process(name, worker,
                                                                     report / f"{label}-worker{number}.log"))))
            note(f"started {name} (pid {started[-1].pid})")
        cpu.watch("locust", [process.pid for process in started if process.pid is not None])
        with cpu.running():
            try:
                exit_code = master.wait(timeout)
            except TimeoutError:
                raise LoadError(f"Locust did not finish within {timeout:g} s; last lines of {log}:\n"
                                f"{log_tail(log)}") from None
            for worker_process in started[1:]:  # the master tells its workers to quit
                with contextlib.suppress(TimeoutError):
                    worker_process.wait(STOP_TIMEOUT)
    return _read_stats(label, url, prefix, html, log, exit_code, cpu.percent(), cpu.seconds(),
                       _workers_connected(log) if workers else 0)


def _locust_process(name: str, command: list[str], log: Path) -> ServerProcess:
    """A Locust process in its own session: a Ctrl-C reaches the runner, which stops it by PID (SIGTERM, so
    Locust still writes its reports)."""
    return ServerProcess(name, command, logfile=log, shutdown_timeout=STOP_TIMEOUT,
                         env=environment(_token_passed_on()))


def _token_passed_on() -> dict[str, str]:
    """The adapter's API token, for a run against an adapter that asks for one (`--url`); harmless otherwise.

    Read where `opticserp status` reads it (the environment, then .env and .env.dev), so both reach the stack.
    """
    from opticserp_tools.devstack import StackConfigError, load_config

    try:
        token = load_config().environ.get("KKT_API_TOKEN", "")
    except StackConfigError:  # a stack setting is wrong; the load run does not need the stack's settings
        token = os.environ.get("KKT_API_TOKEN", "")
    return {"KKT_API_TOKEN": token} if token.strip() else {}


def _read_stats(label: str, url: str, prefix: Path, html: Path, log: Path, exit_code: int,
                cpu_percent: Mapping[str, float], cpu_seconds: Mapping[str, float],
                workers_connected: int) -> LocustRun:
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise LoadError(f"Locust wrote no statistics (exit code {exit_code}); last lines of {log}:\n{log_tail(log)}")
    with stats.open(newline="", encoding="utf-8") as file:
        rows = [EndpointStats.from_row(row) for row in csv.DictReader(file)]
    aggregated = next((row for row in rows if row.name == "Aggregated"), None)
    if aggregated is None:
        raise LoadError(f"{stats} has no Aggregated row; last lines of {log}:\n{log_tail(log)}")
    endpoints = sorted((row for row in rows if row.name != "Aggregated"),
                       key=lambda row: (row.name != RECEIPT_ENDPOINT, row.name))
    return LocustRun(label, url, tuple(endpoints), aggregated, prefix, html, log, exit_code, cpu_percent,
                     workers_connected, cpu_seconds)


def _workers_connected(log: Path) -> int:
    """The most workers the master reported connected at once (its INFO log)."""
    counts = re.findall(r"(\d+) workers connected", log.read_text(errors="replace"))
    return max((int(count) for count in counts), default=0)
