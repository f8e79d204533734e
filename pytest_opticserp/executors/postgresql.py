"""PostgreSQL servers as handles: a local cluster started from a cached initdb, or an external server.

PostgreSQL refuses to run as root, so when the tests do, initdb and postgres run as an unprivileged user
(`RunAs`) in a runtime directory that this user owns, on /dev/shm when it has room, else in the system temp
dir (pytest's own temp dirs are private to root). initdb takes about a second; its result is cached per
binary version and copied on later starts, which makes a ready server a fraction of a second away.

psycopg is imported where a connection is made: the dev stack's everyday commands (`status`, `down`, `logs`)
import this module and connect to nothing (psycopg's import is 45 ms of each such command).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from fiscal.redact import redact_url
from pytest_opticserp.executors.base import (
    RunAs,
    ServerProcess,
    ServerStartError,
    ServiceControlError,
    log_tail,
    wait_gone,
)
from pytest_opticserp.waiting import EventuallyTimeout, eventually

if TYPE_CHECKING:
    import psycopg

HOST = "127.0.0.1"
SUPERUSER = "postgres"
INITDB_OPTIONS = ("-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale", "-N")
# A throwaway test cluster needs no crash safety; these make CREATE DATABASE and commits cheap.
SERVER_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "listen_addresses=127.0.0.1")
MIN_INITDB_TIMEOUT = 120.0
SHARED_MEMORY_DIR = Path("/dev/shm")
MIN_SHARED_MEMORY_FREE = 1 << 30
RUNTIME_PREFIX = "opticserp-postgresql-"
OWNER_FILE = "owner.pid"


def can_connect(conninfo: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(conninfo, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def serves_data_directory(conninfo: str, datadir: Path) -> bool:
    """Ready when the server on our port runs our cluster, not one that held the port before."""
    import psycopg

    try:
        with psycopg.connect(conninfo, connect_timeout=2) as connection:
            row = connection.execute("SHOW data_directory").fetchone()
    except psycopg.OperationalError:
        return False
    return row is not None and Path(row[0]).resolve() == datadir.resolve()


class PostgreSQLServer:
    """A postgres process on 127.0.0.1, run as `run_as` when given, its cluster copied from a cache."""

    backend = "local"
    password = None

    def __init__(
        self, bindir: str, version: str, port: int, *, cache_dir: Path, startup_timeout: float,
        run_as: RunAs | None = None,
    ) -> None:
        self.bindir = Path(bindir)
        self.version = version
        self.host = HOST
        self.port = port
        self.user = SUPERUSER
        self.cache_dir = cache_dir
        self.startup_timeout = startup_timeout
        self.run_as = run_as
        self.runtime_dir: Path | None = None
        self.cluster_source = ""
        self.cluster_seconds: float | None = None
        self.startup_seconds: float | None = None
        self._process: ServerProcess | None = None

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def logfile(self) -> Path | None:
        return self.runtime_dir / "postgresql.log" if self.runtime_dir is not None else None

    def running(self) -> bool:
        return self._process is not None and self._process.running()

    def connect(self, dbname: str = "postgres", **kwargs: object) -> psycopg.Connection:
        import psycopg

        return psycopg.connect(self.url_for(dbname), **kwargs)  # type: ignore[arg-type]

    def start(self) -> PostgreSQLServer:
        if self._process is None:
            self._process = self._prepare()
        began = time.perf_counter()
        self._process.start()
        self.startup_seconds = time.perf_counter() - began
        return self

    def _prepare(self) -> ServerProcess:
        parent = Path(runtime_parent())
        sweep_abandoned_clusters(parent)
        runtime = Path(tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{self.port}-", dir=parent))
        (runtime / OWNER_FILE).write_text(str(os.getpid()))
        self.runtime_dir = runtime
        if self.run_as is not None:
            os.chown(runtime, self.run_as.uid, self.run_as.gid)
        datadir = runtime / "data"
        began = time.perf_counter()
        self.cluster_source = self._prepare_cluster(datadir)
        self.cluster_seconds = time.perf_counter() - began
        command = [
            str(self.bindir / "postgres"), "-D", str(datadir), "-p", str(self.port), "-k", str(runtime),
            *[part for setting in SERVER_SETTINGS for part in ("-c", setting)],
        ]
        return ServerProcess(
            f"postgres on {HOST}:{self.port}", command, logfile=runtime / "postgresql.log", cwd=runtime,
            is_ready=lambda: serves_data_directory(self.url, datadir), startup_timeout=self.startup_timeout,
            stop_signal=signal.SIGINT, run_as=self.run_as, env=_server_environment(),
        )

    def _prepare_cluster(self, datadir: Path) -> str:
        """Copy the cached cluster into `datadir`, running initdb (and caching its result) on a miss."""
        cached = self.cache_dir / self._cache_key()
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with _exclusive_lock(self.cache_dir / f"{cached.name}.lock"):
                if not cached.is_dir():
                    self._initdb(datadir)
                    partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
                    _copy_tree(datadir, partial)
                    partial.rename(cached)
                    return "initdb, now cached"
        except OSError as exc:
            if not datadir.exists():
                self._initdb(datadir)
            return f"initdb, not cached: {exc}"
        _copy_tree(cached, datadir)
        if self.run_as is not None and datadir.stat().st_uid != self.run_as.uid:
            self.run_as.chown_tree(datadir)
        return "cache"

    def _cache_key(self) -> str:
        identity = "\0".join([os.path.realpath(self.bindir), self.version, *INITDB_OPTIONS])
        return f"postgresql-{self.version}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"

    def _initdb(self, datadir: Path) -> None:
        assert self.runtime_dir is not None
        command = [str(self.bindir / "initdb"), "-D", str(datadir), *INITDB_OPTIONS]
        extra = self.run_as.popen_kwargs() if self.run_as is not None else {}
        logfile = self.runtime_dir / "initdb.log"
        timeout = max(self.startup_timeout, MIN_INITDB_TIMEOUT)
        with open(logfile, "wb") as log:
            try:
                subprocess.run(  # type: ignore[call-overload]
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=True,
                    cwd=self.runtime_dir, env=_server_environment(), timeout=timeout, **extra,
                )
            except (subprocess.SubprocessError, OSError) as exc:
                raise ServerStartError(
                    f"initdb failed ({exc}).\nLast lines of {logfile}:\n{log_tail(logfile)}"
                ) from None

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()

    def close(self) -> None:
        """Stop the server and delete its cluster."""
        self.stop()
        self._process = None
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None

    def describe(self) -> str:
        as_user = f", as user {self.run_as.name}" if self.run_as is not None else ""
        return f"local ({self.bindir}, {self.version}{as_user})"

    def __repr__(self) -> str:
        return f"<PostgreSQLServer {self.url} pid={self.pid}>"


class ExternalPostgreSQL:
    """A PostgreSQL someone else runs; the session creates and drops its own databases there."""

    backend = "external"
    pid = None

    def __init__(self, url: str, startup_timeout: float) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise ServerStartError(f"{redact_url(url)!r} is not a PostgreSQL URL: {exc}") from None
        self.url = url
        self.host = str(params.get("host") or "localhost")
        self.port = int(params.get("port") or 5432)
        self.user = str(params.get("user") or "")
        self.password = params.get("password")
        self.version = ""
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None

    def url_for(self, dbname: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.url, dbname=dbname)

    def connect(self, dbname: str | None = None, **kwargs: object) -> psycopg.Connection:
        import psycopg

        conninfo = self.url_for(dbname) if dbname else self.url
        return psycopg.connect(conninfo, **kwargs)  # type: ignore[arg-type]

    def running(self) -> bool:
        return can_connect(self.url)

    def start(self) -> ExternalPostgreSQL:
        """Wait until the external server accepts connections; it is not ours to launch."""
        began = time.perf_counter()
        try:
            eventually(self.running, f"a connection to {redact_url(self.url)}", timeout=self.startup_timeout)
        except EventuallyTimeout:
            raise ServerStartError(
                f"external PostgreSQL is not reachable: cannot connect to {redact_url(self.url)} "
                f"(waited {self.startup_timeout} s)"
            ) from None
        self.startup_seconds = time.perf_counter() - began
        with self.connect() as connection:
            self.version = str(connection.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
        return self

    def stop(self) -> None:
        raise ServiceControlError(f"the external PostgreSQL at {redact_url(self.url)} cannot be stopped by the tests")

    def close(self) -> None:
        """Nothing to release: the session never owned the server."""

    def describe(self) -> str:
        return f"external ({redact_url(self.url)})"


def runtime_parent() -> str:
    """Where clusters live: tmpfs when there is room (CREATE DATABASE is ~20x faster there), else the temp dir.

    A container's default /dev/shm (64 MB) is too small for a cluster and its per-test databases.
    """
    try:
        usage = shutil.disk_usage(SHARED_MEMORY_DIR)
    except OSError:
        return tempfile.gettempdir()
    if usage.free >= MIN_SHARED_MEMORY_FREE and os.access(SHARED_MEMORY_DIR, os.W_OK | os.X_OK):
        return str(SHARED_MEMORY_DIR)
    return tempfile.gettempdir()


KILL_WAIT_SECONDS = 10.0


def sweep_abandoned_clusters(parent: Path) -> None:
    """Stop and delete clusters whose pytest process died without teardown (e.g. killed with SIGKILL).

    Each runtime dir names the process that made it; on tmpfs an abandoned one would hold memory for good.
    """
    for runtime in parent.glob(f"{RUNTIME_PREFIX}*"):
        try:
            owner = int((runtime / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or being set up this very moment
        if _alive(owner):
            continue
        _kill_postmaster(runtime / "data")
        shutil.rmtree(runtime, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_postmaster(datadir: Path) -> None:
    """Kill the server of `datadir` and its backends, after checking the PID really is that server, and wait
    until they are gone (a SIGKILL takes effect when the process next runs: on a busy machine, later), so its
    directory is not deleted under a server still running.

    Another session's sweep may have killed it a moment ago: then the server (its command line already empty)
    or only its backends may still be exiting, and the directory waits for all of them, found by their process
    group (the server's PID) and their name."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = b""  # the server is gone; its backends may not be
    ours = str(datadir).encode() in cmdline
    if cmdline and not ours:
        return  # the PID is another program's now
    group = [process for process in psutil.process_iter() if _in_group(process, pid) and _named_postgres(process)]
    if ours:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    wait_gone(group, KILL_WAIT_SECONDS)


def _named_postgres(process: psutil.Process) -> bool:
    try:
        return process.name() == "postgres"
    except psutil.Error:
        return False


def _in_group(process: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(process.pid) == pgid
    except (ProcessLookupError, PermissionError):
        return False


def _server_environment() -> dict[str, str]:
    """The caller's environment without libpq variables, which must not redirect the server or initdb."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PG")}


@contextlib.contextmanager
def _exclusive_lock(path: Path):  # type: ignore[no-untyped-def]
    """Serialise cache fills across xdist workers and parallel sessions."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_tree(source: Path, target: Path) -> None:
    """`cp -a` keeps owners and modes and is several times faster than shutil for a cluster's ~1000 files."""
    if shutil.which("cp"):
        result = subprocess.run(["cp", "-a", str(source), str(target)], capture_output=True, text=True)
        if result.returncode != 0:
            raise OSError(f"cp -a {source} {target} failed: {result.stderr.strip()}")
    else:
        shutil.copytree(source, target, symlinks=True)

