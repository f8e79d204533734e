"""`opticserp up`, `status`, `down` and `logs`: the development stack as local processes, no Docker needed.

`up` checks every port first, starts the services in parallel (the adapter once Redis and the register
emulator answer, Odoo once PostgreSQL does), records each in the run dir as it comes up, and reports how long
the whole took. In the foreground it then streams their logs until Ctrl-C (or SIGTERM, e.g. from `opticserp
down` in another terminal) and stops them all; with `--detach` it leaves them running and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import psutil
from rich.console import Console

from pytest_opticserp.executors.base import ServerStartError, stop_process, wait_gone

from . import services as service_catalog
from .config import KktChoice, StackConfig, StackConfigError, load_config
from .output import LogFollower, Row, make_console, prefixed, reader_gone, services_table, tail_lines
from .runstate import RunDir, ServiceRecord, busy, start_time
from .services import ORDER, Handle, Service, canonical_name, known_services, stack_services

FOLLOW_INTERVAL = 0.1
LIVENESS_INTERVAL = 1.0
OWNER_EXIT_TIMEOUT = 90.0
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop the way Ctrl-C does."""


class DependencyFailed(Exception):
    """A service was not started because one it needs (named in the message) did not start."""


def up(names: list[str], *, detach: bool = False, with_postgres: bool = False, kkt: KktChoice | None = None,
       console: Console | None = None, cwd: Path | None = None) -> int:
    """`kkt` ("mock" or "serial") overrides the register the configuration chooses (see `_register_in_use`)."""
    console = console or make_console()
    try:
        config = load_config(cwd)
        run_dir = RunDir(config.run_dir)
        records = run_dir.read().services
        config = config.with_kkt(kkt or _register_in_use(config, names, records))
        known = known_services(config)
        wanted = _resolve(names, config, known) if names else stack_services(config, with_postgres)
        if config.kkt == "serial" and "adapter" in wanted and not _runs(records, "register"):
            wanted = _resolve([*wanted, "register"], config, known)  # the adapter cannot work without it
    except StackConfigError as exc:
        console.print(f"[red]Cannot start the stack:[/] {exc}", markup=True)
        return EXIT_USAGE
    running = [name for name in wanted if _runs(records, name)]
    to_start = [name for name in wanted if name not in running]
    if not to_start:
        _print_table(console, config, known, wanted if names else _with_optional(wanted, known))
        console.print("Already running; `opticserp status` shows their health, `opticserp down` stops them.")
        return EXIT_OK
    conflicts = [(name, found) for name in to_start for port in known[name].ports
                 if (found := busy(port)) is not None]
    if conflicts:
        for name, found in conflicts:
            console.print(f"[red]Cannot start {name}:[/] {found.describe()}.", markup=True)
        console.print("Nothing was started. Stop that process, or give the service another port in .env "
                      "(see .env.dev).")
        return EXIT_FAILED
    launch = Launch(config, known, run_dir, owned=not detach)
    with _signals_interrupt():
        try:
            failures = launch.start(to_start, console)
        except (KeyboardInterrupt, Interrupted):
            console.print("Interrupted; stopping what was started.")
            launch.stop(console, everything=False)
            return EXIT_FAILED
        if failures:
            for name, message in failures.items():
                console.print(f"[red]{name} did not start:[/] {message}", markup=True)
            launch.stop(console, everything=False)
            console.print("What this command started is stopped again.")
            return EXIT_FAILED
        elapsed = _seconds_since_command_started()
        _print_table(console, config, known, wanted if names else _with_optional(wanted, known))
        console.print(f"All {len(wanted)} services healthy {elapsed:.1f} s after the command started "
                      f"({len(to_start)} started, {len(running)} already running).")
        pages = _pages(config, known, wanted)
        if pages:
            console.print("Pages: " + "; ".join(pages))
        if config.kkt == "serial" and "register" in to_start and "adapter" in running:
            console.print("The adapter was already running with another register; `opticserp restart adapter` "
                          "points it at this one.")
        if detach:
            console.print(f"Left running. Logs: opticserp logs -f (files in {_shown(config.logs_dir)}); "
                          "stop: opticserp down.")
            _exit_leaving_services_running(console)
        console.print("Streaming their logs; Ctrl-C stops the stack.\n")
        try:
            launch.stream_logs(console)
        except (KeyboardInterrupt, Interrupted):
            pass
        finally:
            launch.stop(console, everything=True)
    return EXIT_OK


def status(console: Console | None = None, cwd: Path | None = None) -> int:
    console = console or make_console()
    try:
        config = load_config(cwd)
    except StackConfigError as exc:
        console.print(f"[red]Invalid configuration:[/] {exc}", markup=True)
        return EXIT_USAGE
    known = known_services(config)
    records = RunDir(config.run_dir).read().services
    names = _with_optional([name for name in ORDER if name in records or name in stack_services(config, False)],
                           known)
    _print_table(console, config, known, names)
    if not any(record.process() for record in records.values()):
        console.print("The stack is not running; start it with `./dev up` (or `opticserp up --detach`).")
    return EXIT_OK


def down(names: list[str], console: Console | None = None, cwd: Path | None = None) -> int:
    console = console or make_console()
    try:
        config = load_config(cwd)
        targets = set(_resolve(names, config, known_services(config), installed_only=False)) if names else None
    except StackConfigError as exc:
        console.print(f"[red]{exc}[/]", markup=True)
        return EXIT_USAGE
    run_dir = RunDir(config.run_dir)
    if targets is None:
        _stop_foreground_owners(run_dir, console)
    stopped = []
    with run_dir.update() as state:
        for name in reversed(ORDER):
            record = state.services.get(name)
            if record is None or (targets is not None and name not in targets):
                continue
            process = record.process()
            if process is not None:
                stop_process(process, record.stop_signal)
                stopped.append(f"{name} (pid {record.pid})")
            del state.services[name]
    if stopped:
        console.print("Stopped " + ", ".join(stopped) + ".")
    else:
        console.print("Nothing was running." if targets is None else f"{', '.join(sorted(targets))}: not running.")
    return EXIT_OK


def restart(names: list[str], console: Console | None = None, cwd: Path | None = None) -> int:
    """Stop the named services (by default, those running) and start them again, left running."""
    console = console or make_console()
    if not names:
        try:
            config = load_config(cwd)
        except StackConfigError as exc:
            console.print(f"[red]{exc}[/]", markup=True)
            return EXIT_USAGE
        records = RunDir(config.run_dir).read().services
        names = [name for name in ORDER if name in records and records[name].process() is not None]
        if not names:
            console.print("Nothing is running; start the stack with `./dev up`.")
            return EXIT_OK
    stopped = down(names, console=console, cwd=cwd)
    if stopped != EXIT_OK:
        return stopped
    return up(names, detach=True, console=console, cwd=cwd)


def logs(names: list[str], *, follow: bool = False, tail: int | None = None, console: Console | None = None,
         cwd: Path | None = None) -> int:
    console = console or make_console()
    try:
        config = load_config(cwd)
        known = known_services(config)
        chosen = _resolve(names, config, known, installed_only=False) if names else list(known)
    except StackConfigError as exc:
        console.print(f"[red]{exc}[/]", markup=True)
        return EXIT_USAGE
    records = RunDir(config.run_dir).read().services
    paths = {name: Path(records[name].log) if name in records else known[name].log for name in chosen}
    present = [name for name in chosen if paths[name].is_file()]
    if not present:
        console.print(f"No logs yet for {', '.join(chosen)}; start the stack with `./dev up`.")
        return EXIT_FAILED
    follower = LogFollower()
    try:
        for name in present:
            if follow:
                follower.watch(name, paths[name], from_start=False)
            for line in tail_lines(paths[name], tail):
                console.print(prefixed(name, line), soft_wrap=True)
        if follow:
            _follow_while_running(console, follower, run_dir=RunDir(config.run_dir), names=present)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how one stops following
    finally:
        follower.close()
    return EXIT_OK


class Launch:
    """The services one `opticserp up` starts: their handles, and their records in the run dir."""

    def __init__(self, config: StackConfig, known: dict[str, Service], run_dir: RunDir, *, owned: bool) -> None:
        self.config = config
        self.known = known
        self.run_dir = run_dir
        self.owned = owned
        self.handles: dict[str, Handle] = {}

    def start(self, names: list[str], console: Console) -> dict[str, str]:
        """Start `names` in parallel, each after the services it needs; {name: why} for those that failed."""
        console.print(f"Starting {', '.join(names)} ...")
        futures: dict[str, Future[None]] = {}
        with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="devstack") as pool:
            for name in names:
                needs = {other: futures[other] for other in self.known[name].after if other in futures}
                futures[name] = pool.submit(self._start_one, name, needs)
            failures = {}
            for name, future in futures.items():
                try:
                    future.result()
                except DependencyFailed as exc:
                    failures[name] = f"not started, because {exc} did not start"
                except ServerStartError as exc:
                    failures[name] = str(exc)
                except Exception as exc:
                    failures[name] = f"{type(exc).__name__}: {exc}"
        return failures

    def _start_one(self, name: str, needs: dict[str, Future[None]]) -> None:
        for need, future in needs.items():
            try:
                future.result()
            except Exception:
                raise DependencyFailed(need) from None
        service = self.known[name]
        handle = service_catalog.start(service, self.config)
        self.handles[name] = handle
        assert handle.pid is not None
        me = psutil.Process()
        record = ServiceRecord(
            name=name, title=service.title, pid=handle.pid, started=start_time(handle.pid), port=service.port,
            url=service.url, log=str(service.log), stop_signal=int(service.stop_signal),
            probe={key: str(value) for key, value in asdict(service.probe).items()},
            owner_pid=me.pid if self.owned else None, owner_started=me.create_time() if self.owned else None,
        )
        with self.run_dir.update() as state:
            state.services[name] = record

    def stream_logs(self, console: Console) -> None:
        follower = LogFollower()
        records = self.run_dir.read().services
        for name, record in records.items():
            follower.watch(name, Path(record.log), from_start=name in self.handles)
        try:
            _follow_while_running(console, follower, run_dir=self.run_dir, names=None, handles=self.handles)
        finally:
            follower.close()

    def stop(self, console: Console, *, everything: bool) -> None:
        """Stop what this command started, or every service in the run dir (ours through their handles,
        others by PID). Ctrl-C and SIGTERM wait until it is done."""
        stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in stopping}
        try:
            with self.run_dir.update() as state:
                names = [name for name in reversed(ORDER)
                         if name in self.handles or (everything and name in state.services)]
                if names:
                    console.print(f"Stopping {', '.join(names)} ...")
                for name in names:
                    record = state.services.pop(name, None)
                    handle = self.handles.pop(name, None)
                    if handle is not None and (record is None or record.pid == handle.pid):
                        handle.stop()
                    elif record is not None and (process := record.process()) is not None:
                        stop_process(process, record.stop_signal)
            console.print("Stopped.")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _follow_while_running(console: Console, follower: LogFollower, *, run_dir: RunDir, names: list[str] | None,
                          handles: dict[str, Handle] | None = None) -> None:
    """Print new log lines until Ctrl-C, until nobody reads them, or until none of the followed services runs."""
    handles = handles or {}
    reported: set[str] = set()
    next_check = 0.0
    while True:
        for name, line in follower.read():
            console.print(prefixed(name, line), soft_wrap=True)
        if reader_gone(console):
            return  # nobody reads the logs any more (the terminal or the pipe is gone)
        if time.monotonic() < next_check:
            time.sleep(FOLLOW_INTERVAL)
            continue
        next_check = time.monotonic() + LIVENESS_INTERVAL
        records = run_dir.read().services
        alive = []
        for name in names if names is not None else sorted(set(records) | set(handles)):
            record = records.get(name)
            if names is None and record is not None:
                follower.watch(name, Path(record.log), from_start=True)
            handle = handles.get(name)
            if handle is not None and (record is None or record.pid == handle.pid):
                running = handle.running()
            else:
                running = record is not None and record.process() is not None
            if running:
                alive.append(name)
                reported.discard(name)
            elif name not in reported and (handle is not None or record is not None):
                reported.add(name)
                console.print(prefixed(name, "(stopped)"), soft_wrap=True)
        if not alive:
            for name, line in follower.read():
                console.print(prefixed(name, line), soft_wrap=True)
            console.print("No service is running any more.")
            return


def _stop_foreground_owners(run_dir: RunDir, console: Console) -> None:
    """Ask each `opticserp up` running in the foreground to stop its stack, as Ctrl-C would, and wait."""
    owners = {}
    for record in run_dir.read().services.values():
        owner = record.owner()
        if owner is not None and owner.pid != os.getpid():
            owners[owner.pid] = owner
    if not owners:
        return
    console.print(f"Asking `opticserp up` (pid {', '.join(map(str, owners))}) to stop its services ...")
    for owner in owners.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            owner.terminate()
    alive = wait_gone(list(owners.values()), OWNER_EXIT_TIMEOUT)
    for owner in alive:
        console.print(f"pid {owner.pid} did not stop within {OWNER_EXIT_TIMEOUT:.0f} s; stopping its services "
                      "by their PIDs.")


def _register_in_use(config: StackConfig, names: list[str], records: dict[str, ServiceRecord]) -> KktChoice:
    """The configured register (KKT_MODE, KKT_DEVICE), except that a stack whose register emulator runs, or is
    named to start, points the adapter at it: `restart adapter` after `up --kkt serial` keeps the register."""
    if config.kkt == "mock" and ("register" in map(canonical_name, names) or _runs(records, "register")):
        return "serial"
    return config.kkt


def _runs(records: dict[str, ServiceRecord], name: str) -> bool:
    return name in records and records[name].process() is not None


def _with_optional(names: list[str], known: dict[str, Service]) -> list[str]:
    """`names` plus PostgreSQL and Odoo, whose rows say how to switch them on when they are off."""
    return [name for name in ORDER if name in known and (name in names or name in ("postgresql", "odoo"))]


def _resolve(names: list[str], config: StackConfig, known: dict[str, Service], installed_only: bool = True
             ) -> list[str]:
    chosen = []
    for given in names:
        name = canonical_name(given)
        if name == "odoo" and installed_only and config.odoo is None:
            raise StackConfigError(config.odoo_missing)
        if name not in known:
            raise StackConfigError(f"unknown service {given!r}; the services are {', '.join(known)}")
        if name not in chosen:
            chosen.append(name)
    return [name for name in ORDER if name in chosen]


def _print_table(console: Console, config: StackConfig, known: dict[str, Service], names: list[str]) -> None:
    records = RunDir(config.run_dir).read().services
    rows = []
    notes = []
    for name in names:
        service = known[name]
        record = records.get(name)
        if record is not None and record.process() is not None:
            probe = service_catalog.Probe(**record.probe)  # type: ignore[arg-type]
            health = probe.check(headers=service_catalog.probe_headers(name, config))
            rows.append(Row(name, service.title, record.url, record.pid, "healthy" if health.ok else "unhealthy",
                            "; ".join((health.summary, *service.addresses))))
        elif record is not None:
            rows.append(Row(name, service.title, record.url, None, "exited",
                            f"see opticserp logs {name}"))
        elif name == "odoo" and config.odoo is None:
            rows.append(Row(name, service.title, service.url, None, "not installed", "see below"))
            notes.append(config.odoo_missing)
        elif name == "postgresql" and config.odoo is None and "postgresql" not in records:
            rows.append(Row(name, service.title, service.url, None, "off", "opticserp up --with-postgres"))
        else:
            rows.append(Row(name, service.title, service.url, None, "stopped", ""))
    files = ", ".join(path.name for path in config.env_files) or "no .env.dev or .env found"
    console.print(f"OpticsERP development stack in {_shown(config.root)} (settings: {files})")
    console.print(services_table(rows))
    for note in notes:
        console.print(note)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd())) or "."
    return str(path)


def _seconds_since_command_started() -> float:
    """Since this process started (for `./dev up`, since the script did: exec keeps the process).

    From /proc, in clock ticks since boot, because psutil's create_time adds the boot time, which Linux
    gives in whole seconds.
    """
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time() - psutil.Process().create_time()


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    def interrupt(signum: int, _frame: object) -> NoReturn:
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    # Ctrl-C works even when started with SIGINT ignored (as background jobs of a script are).
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_leaving_services_running(console: Console) -> NoReturn:
    """Exit without running atexit handlers: the executors' last-resort handler would stop the services."""
    console.file.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_OK)


def _pages(config: StackConfig, known: dict[str, Service], wanted: list[str]) -> list[str]:
    """The web pages of the services up: the OFD emulator's console, and the adapter's page unless it is off."""
    pages = []
    if "ofd" in wanted and "ofd" in known:
        pages.append(f"the OFD emulator's console {known['ofd'].url}/")
    if "adapter" in wanted and "adapter" in known and config.environ.get("KKT_CONSOLE", "on").strip().lower() != "off":
        pages.append(f"the adapter's page {known['adapter'].url}/")
    return pages
