"""What the development stack runs and where, read once from the environment, `.env` and `.env.dev`.

Precedence is environment > `.env` > `.env.dev`, the same as the adapter's own (it reads `.env` under the
environment), so a developer's `cp .env.dev .env` and edits, or one exported variable, change the stack and
the services alike. Every service process gets the merged variables, so the emulators (which read only
their environment) see `.env` too.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from fiscal.redact import redact_url

ENV_DEV = ".env.dev"
ENV_LOCAL = ".env"
RUN_DIR = ".opticserp"
LOOPBACK = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
EMULATOR_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

# The variables the stack itself reads; the adapter and the emulators read theirs in their own processes.
STACK_VARIABLES = {
    "REDIS_URL": "where the stack's Redis listens (its port)",
    "OFD_URL": "where the OFD emulator listens (wins over MOCK_OFD_URL, as in the adapter)",
    "MOCK_OFD_URL": "where the OFD emulator listens",
    "ODOO_API_URL": "where the Odoo API emulator listens (wins over MOCK_ODOO_URL)",
    "MOCK_ODOO_URL": "where the Odoo API emulator listens; empty leaves it out",
    "KKT_ADAPTER_HOST": "the adapter's bind address",
    "KKT_ADAPTER_PORT": "the adapter's port",
    "KKT_ADAPTER_URL": "the adapter's URL as Odoo knows it (kkt_adapter_url in Odoo's config)",
    "LOG_LEVEL": "the emulators' log level (the adapter reads it itself)",
    "POSTGRES_DB": "the database created for Odoo",
    "POSTGRES_USER": "the role that owns it",
    "POSTGRES_PASSWORD": "that role's password",
    "POSTGRES_PORT": "PostgreSQL's port",
    "ODOO_BIN": "the Odoo 17 server command",
    "ODOO_PORT": "Odoo's HTTP port",
    "ODOO_ADMIN_PASSWORD": "Odoo's master password (admin_passwd)",
    "ODOO_WORKERS": "Odoo's workers (0: threaded, auto-reload with --dev)",
    "ODOO_DEV_MODE": "Odoo's --dev features (all, reload, qweb, xml, ...)",
    "ODOO_LOG_LEVEL": "Odoo's log level",
}


class StackConfigError(Exception):
    """The stack cannot be started as configured; the message names the variable and what to do."""


@dataclass(frozen=True)
class OdooInstall:
    """How to run an Odoo 17 server, and the addons directories that come with it."""

    command: tuple[str, ...]
    source: str
    addons_dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class StackConfig:
    root: Path
    run_dir: Path
    env_files: tuple[Path, ...]
    environ: Mapping[str, str]
    redis_port: int | None
    ofd_port: int
    odoo_api_port: int | None
    adapter_host: str
    adapter_port: int
    adapter_url: str
    postgres_port: int
    postgres_db: str
    postgres_user: str
    postgres_password: str
    odoo_port: int
    odoo_admin_password: str
    odoo_workers: int
    odoo_dev_mode: str
    odoo_log_level: str
    emulator_log_level: str
    odoo: OdooInstall | None
    odoo_missing: str

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def addons_dir(self) -> Path:
        return self.root / "addons"

    def postgres_url(self, dbname: str | None = None) -> str:
        return f"postgresql://{self.postgres_user}@{LOOPBACK}:{self.postgres_port}/{dbname or self.postgres_db}"


def find_root(start: Path) -> Path:
    """The nearest directory holding `.env.dev` (a checkout of the project), else `start` itself."""
    for directory in (start, *start.parents):
        if (directory / ENV_DEV).is_file():
            return directory
    return start


def load_config(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> StackConfig:
    cwd = (cwd or Path.cwd()).resolve()
    root = find_root(cwd)
    env_files = tuple(path for path in (_dev_file(root), root / ENV_LOCAL) if path is not None and path.is_file())
    merged: dict[str, str] = {}
    for path in env_files:
        merged.update({name: value or "" for name, value in dotenv_values(path).items()})
    merged.update(os.environ if environ is None else environ)
    return _build(root, env_files, merged)


def _dev_file(root: Path) -> Path | None:
    """`.env.dev` of the checkout; outside one, the dev profile of the source tree this package runs from."""
    if (root / ENV_DEV).is_file():
        return root / ENV_DEV
    source_tree = Path(__file__).resolve().parents[2] / ENV_DEV
    return source_tree if source_tree.is_file() else None


def _build(root: Path, env_files: tuple[Path, ...], env: dict[str, str]) -> StackConfig:
    redis_port = _url_port(env, ("REDIS_URL",), "", "Redis", "redis://127.0.0.1:6380/0")
    ofd_port = _url_port(env, ("OFD_URL", "MOCK_OFD_URL"), "http://127.0.0.1:9000", "the OFD emulator",
                         "http://127.0.0.1:9000")
    odoo_api_port = _url_port(env, ("ODOO_API_URL", "MOCK_ODOO_URL"), "http://127.0.0.1:8070",
                              "the Odoo API emulator", "http://127.0.0.1:8070")
    if ofd_port is None:
        raise StackConfigError("MOCK_OFD_URL (or OFD_URL) is empty, but the adapter needs an OFD; "
                               "use http://127.0.0.1:9000")
    adapter_host = env.get("KKT_ADAPTER_HOST", "").strip() or LOOPBACK
    adapter_port = _port(env, "KKT_ADAPTER_PORT", 8000)
    shown_host = LOOPBACK if adapter_host in ("0.0.0.0", "::") else adapter_host
    odoo, odoo_missing = find_odoo(env, root)
    config = StackConfig(
        root=root,
        run_dir=root / RUN_DIR,
        env_files=env_files,
        environ=env,
        redis_port=redis_port,
        ofd_port=ofd_port,
        odoo_api_port=odoo_api_port,
        adapter_host=adapter_host,
        adapter_port=adapter_port,
        adapter_url=env.get("KKT_ADAPTER_URL", "").strip() or f"http://{shown_host}:{adapter_port}",
        postgres_port=_port(env, "POSTGRES_PORT", 5433),
        postgres_db=env.get("POSTGRES_DB", "").strip() or "opticserp_dev",
        postgres_user=env.get("POSTGRES_USER", "").strip() or "odoo",
        postgres_password=env.get("POSTGRES_PASSWORD", "") or "odoo_dev_password_123",
        odoo_port=_port(env, "ODOO_PORT", 8069),
        odoo_admin_password=env.get("ODOO_ADMIN_PASSWORD", "") or "admin",
        odoo_workers=_count(env, "ODOO_WORKERS", 0),
        odoo_dev_mode=env.get("ODOO_DEV_MODE", "").strip(),
        odoo_log_level=env.get("ODOO_LOG_LEVEL", "").strip() or "info",
        emulator_log_level=_emulator_log_level(env),
        odoo=odoo,
        odoo_missing=odoo_missing,
    )
    _check_distinct_ports(config)
    return config


def _given(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """(name, value) of the first variable present, empty or not: the adapter's alias rule."""
    for name in names:
        if name in env:
            return name, env[name].strip()
    return None


def _url_port(env: Mapping[str, str], names: tuple[str, ...], default: str, what: str, example: str) -> int | None:
    """The port of the URL in `names`; None when the URL is set empty (that service is left out)."""
    given = _given(env, names)
    name, url = given if given is not None else (names[-1], default)
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port, parts = None, None
    if parts is None or not parts.hostname or port is None:
        raise StackConfigError(f"{name}={redact_url(url)!r}: expected a URL with a host and a port, like {example}")
    if parts.hostname not in LOOPBACK_NAMES:
        raise StackConfigError(
            f"{name}={redact_url(url)!r} names host {parts.hostname!r}, but the local stack serves {what} on "
            f"{LOOPBACK}; "
            f"use {example} ({parts.hostname!r} looks like a Docker Compose service name, which only "
            "docker-compose.dev.yml resolves)"
        )
    return port


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise StackConfigError(f"{name}={raw!r}: expected a port number 1-65535")
    return int(raw)


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise StackConfigError(f"{name}={raw!r}: expected a whole number >= 0")
    return int(raw)


def _emulator_log_level(env: Mapping[str, str]) -> str:
    level = env.get("LOG_LEVEL", "").strip().lower()
    return level if level in EMULATOR_LOG_LEVELS else "info"


def _check_distinct_ports(config: StackConfig) -> None:
    taken: dict[int, str] = {}
    for name, port in (("REDIS_URL", config.redis_port), ("MOCK_OFD_URL", config.ofd_port),
                       ("MOCK_ODOO_URL", config.odoo_api_port), ("KKT_ADAPTER_PORT", config.adapter_port),
                       ("POSTGRES_PORT", config.postgres_port), ("ODOO_PORT", config.odoo_port)):
        if port is None:
            continue
        if port in taken:
            raise StackConfigError(f"{name} and {taken[port]} both use port {port}; give each service its own")
        taken[port] = name


ODOO_HOW_TO = (
    "set ODOO_BIN in .env to an Odoo 17 server (for a checkout of github.com/odoo/odoo, branch 17.0: "
    "ODOO_BIN=/path/to/odoo/odoo-bin, run by this virtualenv's Python with Odoo's requirements installed), "
    "or install Odoo 17 into this virtualenv; `opticserp up` then also starts PostgreSQL and Odoo"
)


def find_odoo(env: Mapping[str, str], root: Path) -> tuple[OdooInstall | None, str]:
    """Odoo from ODOO_BIN, else an importable `odoo` package; otherwise (None, how to add it)."""
    given = env.get("ODOO_BIN", "").strip()
    if given:
        return _odoo_from_bin(given, root), ""
    spec = importlib.util.find_spec("odoo")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    package = next((Path(p) for p in locations if (Path(p) / "release.py").is_file()), None)
    if package is None:
        return None, f"Odoo is not installed: {ODOO_HOW_TO}"
    script = Path(sys.executable).with_name("odoo")
    command = (str(script),) if script.is_file() else (sys.executable, "-c", "import odoo; odoo.cli.main()")
    return OdooInstall(command, f"odoo package in {package}"), ""


def _odoo_from_bin(given: str, root: Path) -> OdooInstall:
    try:
        parts = shlex.split(given)
    except ValueError as exc:
        raise StackConfigError(f"ODOO_BIN={given!r}: {exc}") from None
    resolved = []
    for part in parts:
        candidate = Path(part) if Path(part).is_absolute() else root / part
        resolved.append(str(candidate) if candidate.exists() else part)
    executable = shutil.which(resolved[0]) or resolved[0]
    if not Path(executable).is_file():
        raise StackConfigError(f"ODOO_BIN={given!r}: {parts[0]} does not exist; {ODOO_HOW_TO}")
    command = [executable, *resolved[1:]]
    if not os.access(executable, os.X_OK) or _python_script(Path(executable)):
        command.insert(0, sys.executable)  # odoo-bin's `env python3` would miss this virtualenv's packages
    script = Path(command[-1]) if len(command) > 1 else Path(executable)
    checkout_addons = script.resolve().parent / "addons"
    addons = (checkout_addons,) if is_addons_dir(checkout_addons) else ()
    return OdooInstall(tuple(command), f"ODOO_BIN={given}", addons)


def _python_script(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            first = file.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def is_addons_dir(path: Path) -> bool:
    """What Odoo accepts on its addons path: a directory with at least one module (a manifest)."""
    if not path.is_dir():
        return False
    return any((module / "__manifest__.py").is_file() for module in path.iterdir() if module.is_dir())


def run_dir_digest(run_dir: Path) -> str:
    return hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]
