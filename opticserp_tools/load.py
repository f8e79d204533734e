"""`opticserp load`: Locust against the KKT adapter, and whether its latency and throughput targets hold.

    opticserp load -u 10 -t 30s                          # a stack of its own; P95 < 100 ms, the seed's target
    opticserp load --url http://127.0.0.1:8000           # an adapter that is running
    opticserp load --compare-noop --tags receipt         # beside a no-op FastAPI app under the same load
    opticserp load --print-delay 200-500 -u 1 --p95-target 550

(`python -m opticserp_tools.load` is the same command.) See docs/performance.md for the figures.

Locust runs as its own process (or a master and workers): it monkey-patches its interpreter with gevent,
which must not happen to a pytest session or to the caller's asyncio code, and it is what a user would run
by hand. Without a URL the runner starts the adapter and the OFD emulator as processes on free ports with a
throw-away data directory. Every process started here (servers, Locust master and workers) is stopped by its
PID when the run ends, fails or is interrupted. Exit status: 0 when every target is met, 1 when one is
missed, 2 when the run could not be made.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import port_for

from pytest_opticserp.adapter import clean_environment
from pytest_opticserp.executors.base import ServerProcess, ServerStartError, log_tail
from pytest_opticserp.executors.opticserp import OpticserpProcess, answers

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LOCUSTFILE = REPO / "locustfiles" / "receipts.py"
NOOP_APP = REPO / "locustfiles" / "noop_app.py"
RECEIPT_ENDPOINT = "POST /v1/kkt/receipt"
LOCUST_EXTRA_SECONDS = 60.0
WORKERS_WAIT = 30
STOP_TIMEOUT = 10.0
# A load run's backlog must never fill the buffer: the run measures latency, not overflow.
LOAD_BUFFER_SIZE = 1_000_000


class LoadError(RuntimeError):
    """The run could not be made (a server did not start, Locust failed); the message says why."""


@dataclass(frozen=True)
class LoadOptions:
    target_url: str | None = None
    users: int = 10
    spawn_rate: float | None = None
    duration: float = 30.0
    p95_target_ms: float = 100.0
    report_dir: Path = Path("load-report")
    print_delay_ms: tuple[int, int] = (0, 0)
    tags: tuple[str, ...] = ()
    think_time: float = 0.0
    compare_noop: bool = False
    noop_durable: bool = False
    min_noop_ratio: float = 0.7
    workers: int = 0
    locust_processes: int = 1
    locustfile: Path = DEFAULT_LOCUSTFILE
    adapter_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.spawn_rate if self.spawn_rate is not None else float(self.users)

    @property
    def noop_title(self) -> str:
        return "durable no-op FastAPI app" if self.noop_durable else "no-op FastAPI app"

    @property
    def seconds(self) -> int:
        return max(1, round(self.duration))

    def validate(self) -> None:
        if self.users < 1:
            raise LoadError("users must be at least 1")
        if self.rate <= 0:
            raise LoadError("spawn rate must be positive")
        low, high = self.print_delay_ms
        if not 0 <= low <= high:
            raise LoadError(f"print delay {low}-{high} ms: give 0 <= min <= max")
        if self.noop_durable and not self.compare_noop:
            raise LoadError("a durable no-op app is only started to compare with: add --compare-noop")
        if self.workers and self.locust_processes > 1:
            raise LoadError("give workers or locust processes, not both")
        if not self.locustfile.is_file():
            raise LoadError(f"locustfile {self.locustfile} not found")
        if self.target_url is not None and self.print_delay_ms != (0, 0):
            raise LoadError("the print delay applies to a stack the runner starts; drop --print-delay or --url")


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

    def endpoint(self, name: str) -> EndpointStats | None:
        return next((e for e in self.endpoints if e.name == name), None)

    @property
    def throughput_row(self) -> EndpointStats:
        """The receipt endpoint when it was loaded, else all requests together."""
        return self.endpoint(RECEIPT_ENDPOINT) or self.aggregated

    def report_files(self) -> list[Path]:
        return [Path(f"{self.csv_prefix}_stats.csv"), self.html]


@dataclass(frozen=True)
class Check:
    name: str
    met: bool
    measured: str


@dataclass
class LoadResult:
    options: LoadOptions
    target: str
    adapter: LocustRun
    noop: LocustRun | None
    checks: list[Check]
    started: list[str]

    @property
    def ok(self) -> bool:
        return all(check.met for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def noop_ratio(self) -> float | None:
        if self.noop is None or self.noop.throughput_row.rps == 0:
            return None
        return self.adapter.throughput_row.rps / self.noop.throughput_row.rps

    def summary_lines(self) -> list[str]:
        o = self.options
        mix = f"tasks tagged {','.join(o.tags)}" if o.tags else "receipts, status and health reads"
        think = f", think time {o.think_time:g} s" if o.think_time else ", no think time"
        if o.workers:
            locust = f"; Locust master + {o.workers} workers ({self.adapter.workers_connected} connected)"
        elif o.locust_processes > 1:
            locust = f"; Locust --processes {o.locust_processes}"
        else:
            locust = "; Locust in one process"
        users = f"{o.users} user" + ("s" if o.users != 1 else "")
        lines = [f"opticserp load: {users} (spawn {o.rate:g}/s) for {o.seconds} s, {mix}{think}{locust}",
                 f"target: {self.target}"]
        lines += _table("adapter", self.adapter)
        if self.noop is not None:
            lines += _table(f"{o.noop_title}, same load", self.noop)
        lines.append(f"cpu over the run, % of one core ({os.cpu_count()} cores): " + _cpu(self.adapter.cpu_percent)
                     + (f" | no-op run: {_cpu(self.noop.cpu_percent)}" if self.noop is not None else ""))
        low, high = o.print_delay_ms
        if o.target_url is None and high > 0:
            mean = (low + high) / 2
            lines.append(f"register print time {low}-{high} ms (mean {mean:g} ms): one register signs at most "
                         f"{1000 / mean:.2f} receipts/s; measured {self.adapter.throughput_row.rps:.2f}/s")
        ratio = self.noop_ratio
        if ratio is not None:
            assert self.noop is not None
            row = self.adapter.throughput_row
            lines.append(f"adapter / no-op throughput ({row.name}): {row.rps:.1f} / "
                         f"{self.noop.throughput_row.rps:.1f} req/s = {ratio:.2f}")
        for check in self.checks:
            lines.append(f"target {check.name}: {'met' if check.met else 'MISSED'} ({check.measured})")
        files = [str(path) for run in (self.adapter, self.noop) if run is not None for path in run.report_files()]
        lines.append("reports: " + ", ".join(files))
        missed = sum(not check.met for check in self.checks)
        lines.append("result: every target met" if not missed else f"result: {missed} target(s) missed")
        return lines


def _table(title: str, run: LocustRun) -> list[str]:
    lines = [f"{title:<40}{'requests':>9}{'failed':>8}{'req/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}  ms"]
    for row in (*run.endpoints, run.aggregated):
        name = "all requests" if row.name == "Aggregated" else row.name
        lines.append(f"  {name:<38}{row.requests:>9}{row.failures:>8}{row.rps:>9.1f}"
                     f"{_ms(row.p50):>7}{_ms(row.p95):>7}{_ms(row.p99):>7}")
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _cpu(percent: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.0f}" for name, value in percent.items())


def run_load(target_url: str | None = None, *, users: int = 10, spawn_rate: float | None = None,
             duration: float = 30.0, p95_target_ms: float = 100.0, report_dir: Path | str = Path("load-report"),
             print_delay_ms: tuple[int, int] = (0, 0), tags: Sequence[str] = (), think_time: float = 0.0,
             compare_noop: bool = False, noop_durable: bool = False, min_noop_ratio: float = 0.7, workers: int = 0,
             locust_processes: int = 1, locustfile: Path | str = DEFAULT_LOCUSTFILE,
             adapter_env: Mapping[str, str] | None = None, out: Callable[[str], None] = print) -> LoadResult:
    """Run Locust headless for `duration` seconds with `users` users and check the targets.

    Without `target_url` an adapter (register print delay `print_delay_ms`, min and max) and an OFD emulator
    are started for the run. With `compare_noop` the same load first runs against a no-op FastAPI app, and
    the adapter's throughput must reach `min_noop_ratio` of its; `noop_durable` makes that app commit each
    receipt to SQLite first (the ceiling for a durable endpoint). `workers` runs Locust as a master and that
    many worker processes on 127.0.0.1; `locust_processes` uses Locust's own `--processes` instead. Reports
    (CSV, HTML, Locust's log, the servers' logs) go to `report_dir`; the summary goes to `out`.
    """
    options = LoadOptions(
        target_url=target_url, users=users, spawn_rate=spawn_rate, duration=duration, p95_target_ms=p95_target_ms,
        report_dir=Path(report_dir), print_delay_ms=print_delay_ms, tags=tuple(tags), think_time=think_time,
        compare_noop=compare_noop, noop_durable=noop_durable, min_noop_ratio=min_noop_ratio, workers=workers,
        locust_processes=locust_processes, locustfile=Path(locustfile), adapter_env=dict(adapter_env or {}),
    )
    result = run(options, out)
    for line in result.summary_lines():
        out(line)
    return result


def run(options: LoadOptions, out: Callable[[str], None] = print) -> LoadResult:
    options.validate()
    options.report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("adapter.log", "ofd.log", "noop.log"):  # the servers append to their logs
        (options.report_dir / stale).unlink(missing_ok=True)
    started: list[str] = []

    def note(line: str) -> None:
        started.append(line)
        out(line)

    noop: LocustRun | None = None
    if options.compare_noop:
        # The no-op server is stopped before the adapter's run, so it takes no CPU from it.
        with _noop_server(options.report_dir, options.noop_durable) as (server, url):
            note(f"started {options.noop_title} (pid {server.pid}) on {url}")
            noop = _locust(options, "noop", url, {"server": server.pid}, note)
    if options.target_url is not None:
        target = f"{options.target_url} (given)"
        adapter_run = _locust(options, "adapter", options.target_url.rstrip("/"), {}, note)
    else:
        with _adapter_stack(options) as (ofd, adapter):
            note(f"started OFD emulator (pid {ofd.pid}) on {ofd.url}")
            note(f"started adapter (pid {adapter.pid}) on {adapter.url}")
            low, high = options.print_delay_ms
            delay = f"{low}-{high} ms" if low != high else f"{high} ms"
            target = f"adapter {adapter.url} started for this run (register print delay {delay}), OFD {ofd.url}"
            adapter_run = _locust(options, "adapter", adapter.url, {"adapter": adapter.pid, "ofd": ofd.pid}, note)
    return LoadResult(options, target, adapter_run, noop, _checks(options, adapter_run, noop), started)


def _checks(options: LoadOptions, adapter: LocustRun, noop: LocustRun | None) -> list[Check]:
    checks = []
    measured = [row for row in adapter.endpoints if row.p95 is not None]
    if measured:
        worst = max(measured, key=lambda row: row.p95 or 0.0)
        checks.append(Check(f"P95 < {options.p95_target_ms:g} ms",
                            all((row.p95 or 0.0) < options.p95_target_ms for row in measured),
                            f"worst: {worst.name} {_ms(worst.p95)} ms"))
    else:
        checks.append(Check(f"P95 < {options.p95_target_ms:g} ms", False, "no request completed"))
    total = adapter.aggregated
    checks.append(Check("no failed requests", total.failures == 0,
                        f"{total.failures} of {total.requests} failed; see {adapter.csv_prefix}_failures.csv"
                        if total.failures else f"0 of {total.requests}"))
    if noop is not None:
        ratio = adapter.throughput_row.rps / noop.throughput_row.rps if noop.throughput_row.rps else 0.0
        checks.append(Check(f"throughput >= {options.min_noop_ratio:.0%} of the {options.noop_title}'s",
                            ratio >= options.min_noop_ratio, f"{ratio:.0%}"))
    return checks


def _environment(changes: Mapping[str, str]) -> dict[str, str]:
    """This environment without the adapter's or the OFD emulator's variables: a developer's exported
    MOCK_OFD_FAILURE_MODE must not inject failures into a load run."""
    env = {name: value for name, value in clean_environment().items() if not name.startswith("MOCK_OFD_")}
    env.update(changes)
    return env


@contextlib.contextmanager
def _adapter_stack(options: LoadOptions) -> Iterator[tuple[OpticserpProcess, OpticserpProcess]]:
    data = Path(tempfile.mkdtemp(prefix="opticserp-load-"))
    try:
        ofd_port, adapter_port = _free_ports(2)
        ofd = OpticserpProcess("ofd", ["emulator", "ofd", "--port", str(ofd_port), "--log-level", "warning"],
                               port=ofd_port, health_path="/ofd/v1/health", logfile=options.report_dir / "ofd.log",
                               cwd=data, inherit=_environment({}))
        low, high = options.print_delay_ms
        env = {"BUFFER_DB_PATH": str(data / "buffer.db"), "OFD_URL": f"http://127.0.0.1:{ofd_port}",
               "ODOO_API_URL": "", "BUFFER_MAX_SIZE": str(LOAD_BUFFER_SIZE), "KKT_PRINT_DELAY_MIN_MS": str(low),
               "KKT_PRINT_DELAY_MAX_MS": str(high), "KKT_ADAPTER_HOST": "127.0.0.1",
               "KKT_ADAPTER_PORT": str(adapter_port), **options.adapter_env}
        adapter = OpticserpProcess("adapter", ["adapter"], port=adapter_port, health_path="/v1/health",
                                   logfile=options.report_dir / "adapter.log", cwd=data, inherit=_environment(env))
        with _stopping(ofd), _stopping(adapter):
            _start(ofd)
            _start(adapter)
            yield ofd, adapter
    finally:
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def _noop_server(report_dir: Path, durable: bool) -> Iterator[tuple[ServerProcess, str]]:
    (port,) = _free_ports(1)
    url = f"http://127.0.0.1:{port}"
    data = Path(tempfile.mkdtemp(prefix="opticserp-load-noop-"))
    command = [sys.executable, str(NOOP_APP), "--host", "127.0.0.1", "--port", str(port)]
    server = ServerProcess("noop", [*command, "--durable", str(data)] if durable else command,
                           logfile=report_dir / "noop.log", is_ready=lambda: answers(f"{url}/v1/health"),
                           startup_timeout=30.0, env=_environment({}))
    try:
        with _stopping(server):
            _start(server)
            yield server, url
    finally:
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def _stopping(server: ServerProcess | OpticserpProcess) -> Iterator[None]:
    try:
        yield
    finally:
        server.stop()


def _start(server: ServerProcess | OpticserpProcess) -> None:
    try:
        server.start()
    except ServerStartError as exc:
        raise LoadError(str(exc)) from None


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(port_for.select_random(exclude_ports=ports))
    return sorted(ports)


def _locust(options: LoadOptions, label: str, url: str, watched: Mapping[str, int | None],
            note: Callable[[str], None]) -> LocustRun:
    """Run Locust headless against `url` and read its CSV; the `watched` processes' CPU is measured meanwhile."""
    report = options.report_dir
    prefix, html, log = report / label, report / f"{label}.html", report / f"{label}-locust.log"
    for stale in report.glob(f"{label}_*.csv"):
        stale.unlink()
    common = [sys.executable, "-m", "locust", "-f", str(options.locustfile), "--think-time", str(options.think_time)]
    if options.tags:
        common += ["--tags", *options.tags]
    command = [*common, "--headless", "--host", url, "-u", str(options.users), "-r", f"{options.rate:g}",
               "-t", f"{options.seconds}s", "--csv", str(prefix), "--html", str(html), "--only-summary"]
    workers: list[list[str]] = []
    timeout = options.seconds + LOCUST_EXTRA_SECONDS
    if options.workers:
        (master_port,) = _free_ports(1)
        command += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
                    "--expect-workers", str(options.workers), "--expect-workers-max-wait", str(WORKERS_WAIT)]
        workers = [[*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)]
                   for _ in range(options.workers)]
        timeout += WORKERS_WAIT
    elif options.locust_processes > 1:
        command += ["--processes", str(options.locust_processes)]

    cpu = CpuMeter({name: pid for name, pid in watched.items() if pid is not None})
    with contextlib.ExitStack() as stack:
        master = stack.enter_context(_process(command, stack.enter_context(log.open("wb"))))
        note(f"started Locust{' master' if workers else ''} (pid {master.pid}) against {url}")
        started = [master]
        for number, worker in enumerate(workers, 1):
            worker_log = stack.enter_context((report / f"{label}-worker{number}.log").open("wb"))
            started.append(stack.enter_context(_process(worker, worker_log)))
            note(f"started Locust worker {number} (pid {started[-1].pid})")
        cpu.watch("locust", [process.pid for process in started])
        with cpu.running():
            exit_code = _wait(master, timeout, log)
            for worker_process in started[1:]:  # the master tells its workers to quit
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker_process.wait(STOP_TIMEOUT)
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
    return LocustRun(label, url, tuple(endpoints), aggregated, prefix, html, log, exit_code, cpu.percent(),
                     _workers_connected(log) if workers else 0)


def _workers_connected(log: Path) -> int:
    """The most workers the master reported connected at once (its INFO log)."""
    counts = re.findall(r"(\d+) workers connected", log.read_text(errors="replace"))
    return max((int(count) for count in counts), default=0)


@contextlib.contextmanager
def _process(command: Sequence[str], output: BinaryIO) -> Iterator[subprocess.Popen[bytes]]:
    """A Locust process in its own session: a Ctrl-C reaches the runner, which stops it by PID."""
    process = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                               start_new_session=True, env=_environment(_token_passed_on()))
    try:
        yield process
    finally:
        _stop(process)


def _token_passed_on() -> dict[str, str]:
    """The adapter's API token, for a run against an adapter that asks for one (`--url`); harmless otherwise."""
    token = os.environ.get("KKT_API_TOKEN", "")
    return {"KKT_API_TOKEN": token} if token.strip() else {}


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the PID (Locust then writes its reports), SIGKILL to its group if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait(process: subprocess.Popen[bytes], timeout: float, log: Path) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        raise LoadError(f"Locust did not finish within {timeout:g} s; last lines of {log}:\n{log_tail(log)}") from None


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
        import psutil  # a dependency of Locust

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
    import psutil

    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def parse_duration(text: str) -> float:
    """`30`, `30s`, `2m`, `1m30s` -> seconds."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not text or match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds, or a time like 30s, 2m, 1m30s")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def parse_print_delay(text: str) -> tuple[int, int]:
    """`0`, `300` or `200-500` (ms) -> (min, max)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give milliseconds, e.g. 0, 300 or 200-500")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) is not None else low
    if low > high:
        raise argparse.ArgumentTypeError(f"{text!r}: the minimum exceeds the maximum")
    return low, high


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opticserp load",
        description="Load the KKT adapter with Locust, print P50/P95/P99 and req/s per endpoint, and exit 1 "
                    "when a target is missed.")
    parser.add_argument("--url", help="an adapter that is running (default: start an adapter and an OFD emulator)")
    parser.add_argument("-u", "--users", type=int, default=10, help="concurrent users (default 10)")
    parser.add_argument("-r", "--spawn-rate", type=float, help="users started per second (default: all at once)")
    parser.add_argument("-t", "--duration", type=parse_duration, default=30.0, help="30, 30s, 2m (default 30s)")
    parser.add_argument("--p95-target", type=float, default=100.0, metavar="MS",
                        help="P95 every endpoint must stay under, in ms (default 100, the seed guide's)")
    parser.add_argument("--report-dir", type=Path, default=Path("load-report"), help="default ./load-report")
    parser.add_argument("--print-delay", type=parse_print_delay, default=(0, 0), metavar="MS",
                        help="the started register's print time: 0, 300 or 200-500 ms (default 0)")
    parser.add_argument("--tags", default="", help="only these locustfile tasks: receipt, status, health")
    parser.add_argument("--think-time", type=float, default=0.0, help="seconds between a user's requests")
    parser.add_argument("--compare-noop", action="store_true",
                        help="first run the same load against a no-op FastAPI app and compare throughput")
    parser.add_argument("--noop-durable", action="store_true",
                        help="the no-op app commits each receipt to SQLite (synchronous=FULL) before answering")
    parser.add_argument("--min-noop-ratio", type=float, default=0.7,
                        help="adapter throughput / no-op throughput that must be reached (default 0.7)")
    parser.add_argument("--workers", type=int, default=0,
                        help="run Locust distributed: a master and this many workers on 127.0.0.1")
    parser.add_argument("--locust-processes", type=int, default=1, help="Locust's own --processes")
    parser.add_argument("--locustfile", type=Path, default=DEFAULT_LOCUSTFILE)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every process started here is stopped by PID.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = run_load(
            args.url, users=args.users, spawn_rate=args.spawn_rate, duration=args.duration,
            p95_target_ms=args.p95_target, report_dir=args.report_dir, print_delay_ms=args.print_delay,
            tags=[tag for tag in args.tags.split(",") if tag], think_time=args.think_time,
            compare_noop=args.compare_noop, noop_durable=args.noop_durable, min_noop_ratio=args.min_noop_ratio,
            workers=args.workers, locust_processes=args.locust_processes, locustfile=args.locustfile,
            out=lambda line: print(line, flush=True),
        )
    except LoadError as exc:
        print(f"opticserp load: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("opticserp load: interrupted; every process it started was stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return result.exit_code


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
