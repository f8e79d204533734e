"""What the development stack runs and where, read once from the environment, `.env` and `.env.dev`.

Precedence is environment > `.env` > `.env.dev`, the same as the adapter's own (it reads `.env` under the
environment), so a developer's `cp .env.dev .env` and edits, or one exported variable, change the stack and
the services alike. Every service process gets the merged variables, so the emulators (which read only
their environment) see `.env` too. The files are read, and the stack's own variables parsed, by
pydantic-settings (`StackSettings`); the rule "OFD_URL wins over MOCK_OFD_URL" is the adapter's own field's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from fiscal.environ import read_environ
from fiscal.environ import variables as declared_variables
from fiscal.redact import redact_url
from kkt_adapter.settings import Settings as AdapterSettings

ENV_DEV = ".env.dev"
ENV_LOCAL = ".env"
RUN_DIR = ".opticserp"
LOOPBACK = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
EMULATOR_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# The adapter's register: its own emulated one, the stack's serial register emulator, or a device of the user's.
KktChoice = Literal["mock", "serial", "device"]


Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=0)]
# A URL set empty leaves its service out; any other variable set empty is unset.
URL_FIELDS = ("redis_url", "ofd_url", "odoo_api_url")


def _adapter_alias(field: str) -> Any:
    """The adapter's own variable names for a setting the stack also reads (OFD_URL, then MOCK_OFD_URL)."""
    return AdapterSettings.model_fields[field].validation_alias


class StackSettings(BaseSettings):
    """The variables the stack itself reads; the adapter and the emulators read theirs in their own processes.

    They are read from the stack's merged variables (`read`), never from this process's environment alone.
    """

    model_config = SettingsConfigDict(extra="ignore")

    redis_url: str = Field("", description="where the stack's Redis listens (its port)")
    ofd_url: str = Field("http://127.0.0.1:9000", validation_alias=_adapter_alias("ofd_url"),
                         description="where the OFD emulator listens")
    odoo_api_url: str = Field("http://127.0.0.1:8070", validation_alias=_adapter_alias("odoo_api_url"),
                              description="where the Odoo API emulator listens; empty leaves it out")
    kkt_adapter_host: str = Field(LOOPBACK, description="the adapter's bind address")
    kkt_adapter_port: Port = Field(8000, description="the adapter's port")
    kkt_adapter_url: str = Field("", description="the adapter's URL as Odoo knows it (kkt_adapter_url)")
    log_level: str = Field("info", description="the emulators' log level (the adapter reads it itself)")
    postgres_db: str = Field("opticserp_dev", description="the database created for Odoo")
    postgres_user: str = Field("odoo", description="the role that owns it")
    postgres_password: str = Field("odoo_dev_password_123", description="that role's password")
    postgres_port: Port = Field(5433, description="PostgreSQL's port")
    odoo_bin: str = Field("", description="the Odoo 17 server command")
    odoo_port: Port = Field(8069, description="Odoo's HTTP port")
    odoo_admin_password: str = Field("admin", description="Odoo's master password (admin_passwd)")
    odoo_workers: Count = Field(0, description="Odoo's workers (0: threaded, auto-reload with --dev)")
    odoo_dev_mode: str = Field("", description="Odoo's --dev features (all, reload, qweb, xml, ...)")
    odoo_log_level: str = Field("info", description="Odoo's log level")
    kkt_mode: str = Field("mock", description="the adapter's register: mock, or real (a serial register)")
    kkt_device: str = Field("", description="KKT_MODE=real: the register's port; unset, the stack's emulator")
    kkt_baudrate: Count = Field(115200, description="the line speed the register emulator emulates")
    kkt_register_port: Port = Field(7778, description="the register emulator's TCP port")
    kkt_register_admin_port: Port = Field(7779, description="the register emulator's admin API port")
    kkt_print_delay_min_ms: Count = Field(200, description="the register's print time, shortest")
    kkt_print_delay_max_ms: Count = Field(500, description="the register's print time, longest")
    kkt_timezone: str = Field("Europe/Moscow", description="the register's local time zone")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **sources: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what `read` gives: the variables merged from the files and the environment."""
        return (init_settings,)

    @classmethod
    def variables(cls) -> set[str]:
        """Every variable the stack reads, aliases included: what .env.dev must explain."""
        return declared_variables(cls)

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> StackSettings:
        values = {name: text for name, text in read_environ(cls, environ).items() if text or name in URL_FIELDS}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0])
            expected = "a port number 1-65535" if field.endswith("_port") else "a whole number >= 0"
            raise StackConfigError(f"{field.upper()}={values.get(field)!r}: expected {expected}") from None


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
    kkt: KktChoice
    register_port: int
    register_admin_port: int
    register_baud: int
    register_print_delay: float
    register_timezone: str

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def register_link(self) -> Path:
        """The register emulator's pty, under a stable name: the adapter's KKT_DEVICE in the `serial` stack."""
        return self.root / "data" / "kkt"

    @property
    def register_state_dir(self) -> Path:
        """The register emulator's fiscal drive (fn.db), kept between runs as the mock register's is."""
        return self.root / "data" / "register"

    @property
    def register_url(self) -> str:
        return f"socket://{LOOPBACK}:{self.register_port}"

    def with_kkt(self, kkt: KktChoice) -> StackConfig:
        return replace(self, kkt=kkt)

    def names_register(self, device: str) -> bool:
        """Whether KKT_DEVICE `device` is the register emulator's pty link or its socket:// URL."""
        device = device.strip()
        if device.startswith("socket://"):
            try:
                parts = urlsplit(device)
                return parts.hostname in LOOPBACK_NAMES and parts.port == self.register_port
            except ValueError:
                return False
        return bool(device) and os.path.normpath(self.root / device) == str(self.register_link)

    def adapter_register_variables(self) -> dict[str, str]:
        """What the adapter's environment gets so that it uses the register chosen for this stack: in the
        `serial` stack the emulator's pty, unless KKT_DEVICE already names the emulator (its socket:// URL)."""
        if self.kkt == "serial":
            configured = self.environ.get("KKT_DEVICE", "")
            device = configured.strip() if self.names_register(configured) else str(self.register_link)
            return {"KKT_MODE": "real", "KKT_DEVICE": device}
        if self.kkt == "mock":
            return {"KKT_MODE": "mock"}
        return {}

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
    # pydantic-settings merges the files (a later one wins); the environment wins over both.
    from_files = DotEnvSettingsSource(StackSettings, env_file=env_files, case_sensitive=True).env_vars
    merged = {name: value or "" for name, value in from_files.items()}
    merged.update(os.environ if environ is None else environ)
    return _build(root, env_files, merged)


def _dev_file(root: Path) -> Path | None:
    """`.env.dev` of the checkout; outside one, the dev profile of the source tree this package runs from."""
    if (root / ENV_DEV).is_file():
        return root / ENV_DEV
    source_tree = Path(__file__).resolve().parents[2] / ENV_DEV
    return source_tree if source_tree.is_file() else None


def _build(root: Path, env_files: tuple[Path, ...], env: dict[str, str]) -> StackConfig:
    settings = StackSettings.read(env)
    redis_port = _url_port(settings.redis_url, ("REDIS_URL",), "Redis", "redis://127.0.0.1:6380/0")
    ofd_port = _url_port(settings.ofd_url, _names("ofd_url"), "the OFD emulator", "http://127.0.0.1:9000")
    odoo_api_port = _url_port(settings.odoo_api_url, _names("odoo_api_url"), "the Odoo API emulator",
                              "http://127.0.0.1:8070")
    if ofd_port is None:
        raise StackConfigError("MOCK_OFD_URL (or OFD_URL) is empty, but the adapter needs an OFD; "
                               "use http://127.0.0.1:9000")
    adapter_host, adapter_port = settings.kkt_adapter_host, settings.kkt_adapter_port
    shown_host = LOOPBACK if adapter_host in ("0.0.0.0", "::") else adapter_host
    odoo, odoo_missing = find_odoo(settings.odoo_bin, root)
    level = settings.log_level.lower()
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
        adapter_url=settings.kkt_adapter_url or f"http://{shown_host}:{adapter_port}",
        postgres_port=settings.postgres_port,
        postgres_db=settings.postgres_db,
        postgres_user=settings.postgres_user,
        postgres_password=settings.postgres_password,
        odoo_port=settings.odoo_port,
        odoo_admin_password=settings.odoo_admin_password,
        odoo_workers=settings.odoo_workers,
        odoo_dev_mode=settings.odoo_dev_mode,
        odoo_log_level=settings.odoo_log_level,
        emulator_log_level=level if level in EMULATOR_LOG_LEVELS else "info",
        odoo=odoo,
        odoo_missing=odoo_missing,
        kkt="mock",
        register_port=settings.kkt_register_port,
        register_admin_port=settings.kkt_register_admin_port,
        register_baud=settings.kkt_baudrate,
        register_print_delay=(settings.kkt_print_delay_min_ms + settings.kkt_print_delay_max_ms) / 2000,
        register_timezone=settings.kkt_timezone,
    )
    config = config.with_kkt(_configured_kkt(config, settings))
    _check_distinct_ports(config)
    return config


def _configured_kkt(config: StackConfig, settings: StackSettings) -> KktChoice:
    """KKT_MODE=real means the stack's register emulator when KKT_DEVICE is unset or is one of its own
    addresses (the pty link, or its socket:// URL); any other KKT_DEVICE is a device of the user's."""
    if settings.kkt_mode.strip().lower() != "real":
        return "mock"
    device = settings.kkt_device.strip()
    return "serial" if not device or config.names_register(device) else "device"


def _names(field: str) -> tuple[str, ...]:
    """A URL's variables, as the adapter reads them (the first one present wins), for messages."""
    return tuple(str(choice) for choice in _adapter_alias(field).choices)


def _url_port(url: str, names: tuple[str, ...], what: str, example: str) -> int | None:
    """The port of `url`; None when the URL is set empty (that service is left out)."""
    url = url.strip()
    if not url:
        return None
    name = " or ".join(names)
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


def _check_distinct_ports(config: StackConfig) -> None:
    taken: dict[int, str] = {}
    for name, port in (("REDIS_URL", config.redis_port), ("MOCK_OFD_URL", config.ofd_port),
                       ("MOCK_ODOO_URL", config.odoo_api_port), ("KKT_ADAPTER_PORT", config.adapter_port),
                       ("POSTGRES_PORT", config.postgres_port), ("ODOO_PORT", config.odoo_port),
                       ("KKT_REGISTER_PORT", config.register_port),
                       ("KKT_REGISTER_ADMIN_PORT", config.register_admin_port)):
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


def find_odoo(given: str, root: Path) -> tuple[OdooInstall | None, str]:
    """Odoo from ODOO_BIN (`given`), else an importable `odoo` package; otherwise (None, how to add it)."""
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
