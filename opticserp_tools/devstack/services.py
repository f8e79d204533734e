"""The stack's services: what each one is, where it listens, how it starts and how to tell it is healthy.

Starting goes through the executors (`RedisServer`, the PostgreSQL server, `OpticserpProcess`,
`ServerProcess`), so a service is ready when it answers as itself, and its output goes to a log file.
"""

from __future__ import annotations

import configparser
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from pytest_opticserp import http_client
from pytest_opticserp.backends import BackendUnavailable, find_postgresql_bindir, find_redis_server, run_as_for
from pytest_opticserp.config import Settings, _default_cache_dir
from pytest_opticserp.executors.base import ServerProcess, ServerStartError
from pytest_opticserp.executors.opticserp import OpticserpProcess, answers
from pytest_opticserp.executors.postgresql import can_connect
from pytest_opticserp.executors.redis import RedisServer, answers_ping

from .config import LOOPBACK, StackConfig, StackConfigError, is_addons_dir
from .postgresql import DevPostgreSQL, cluster_home, ensure_database, odoo_modules_to_install

ORDER = ("redis", "postgresql", "ofd", "odoo-api", "register", "adapter", "odoo")
ALIASES = {
    "postgres": "postgresql", "kkt_adapter": "adapter", "kkt-adapter": "adapter", "mock_ofd": "ofd",
    "mock-ofd": "ofd", "mock_odoo_api": "odoo-api", "mock-odoo-api": "odoo-api", "odoo_api": "odoo-api",
    "kkt": "register", "shtrih": "register",
}
STARTUP_TIMEOUTS = {"redis": 15.0, "postgresql": 120.0, "odoo": 300.0}
# Odoo holds each request until its registry is loaded (a minute while it installs our addons): a probe that
# gave up sooner would leave its request queued there, and a hundred of them exhaust Odoo's connection pool.
ODOO_PROBE_TIMEOUT = 60.0
DEFAULT_STARTUP_TIMEOUT = 30.0


class Handle(Protocol):
    """What the executors' server objects have in common."""

    @property
    def pid(self) -> int | None: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...

    def running(self) -> bool: ...


@dataclass(frozen=True)
class Health:
    ok: bool
    summary: str


@dataclass(frozen=True)
class Probe:
    """How to tell a service is healthy; plain data, because `status` reads it back from the run state."""

    kind: Literal["http", "redis", "postgresql"]
    target: str

    def check(self, timeout: float = 1.0, headers: dict[str, str] | None = None) -> Health:
        if self.kind == "redis":
            host, port = self.target.rsplit(":", 1)
            ok = answers_ping(host, int(port), timeout=timeout)
            return Health(ok, "answers PING" if ok else "does not answer PING")
        if self.kind == "postgresql":
            ok = can_connect(self.target)
            return Health(ok, "accepts connections" if ok else "refuses connections")
        try:
            response = http_client.get(self.target, timeout=timeout, headers=headers)
        except httpx.HTTPError as exc:
            return Health(False, f"no answer ({type(exc).__name__})")
        try:
            body = response.json()
        except ValueError:
            body = None
        summary = _summarize(body) if isinstance(body, dict) else f"HTTP {response.status_code}"
        return Health(response.status_code == 200, summary)


def _summarize(body: dict[str, Any]) -> str:
    status = str(body.get("status", ""))
    if "circuit_breaker" in body:
        pending = (body.get("buffer") or {}).get("pending_count", "?")
        return f"{status}, breaker {body['circuit_breaker']}, {pending} pending"
    if "receipts_received" in body:
        return f"{status}, {body['receipts_received']} receipts received"
    if "heartbeats_received" in body:
        return f"{status}, {body['heartbeats_received']} heartbeats received"
    if "powered" in body:
        return f"{status}, {'powered on' if body['powered'] else 'switched off (POST /power/on)'}"
    return status


@dataclass(frozen=True)
class Service:
    """`port` is where `url` points; `other_ports` are taken too (checked free before start); `addresses` are
    the service's other ways in, shown beside its health."""

    name: str
    title: str
    port: int
    url: str
    probe: Probe
    log: Path
    stop_signal: int = signal.SIGTERM
    after: tuple[str, ...] = ()
    other_ports: tuple[int, ...] = ()
    addresses: tuple[str, ...] = ()

    @property
    def ports(self) -> tuple[int, ...]:
        return (self.port, *self.other_ports)


def probe_headers(name: str, config: StackConfig) -> dict[str, str]:
    """The adapter's bearer token (KKT_API_TOKEN from the environment, .env or .env.dev) for its health
    probe: without it /v1/health says only healthy or not."""
    token = config.environ.get("KKT_API_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if name == "adapter" and token else {}


def canonical_name(name: str) -> str:
    """Our name for a service, accepting the Compose file's service names too (kkt_adapter, mock_ofd...)."""
    lowered = name.strip().lower()
    return ALIASES.get(lowered, lowered)


def known_services(config: StackConfig) -> dict[str, Service]:
    """Every service this configuration can run, installed or not, in start order."""
    found: dict[str, Service] = {}
    run, logs = config.run_dir, config.logs_dir
    if config.redis_port is not None:
        found["redis"] = Service(
            "redis", "Redis", config.redis_port, f"redis://{LOOPBACK}:{config.redis_port}/0",
            Probe("redis", f"{LOOPBACK}:{config.redis_port}"), run / "redis" / "redis-server.log",
        )
    found["postgresql"] = Service(
        "postgresql", "PostgreSQL", config.postgres_port, config.postgres_url(),
        Probe("postgresql", config.postgres_url()), _postgres_log(config), signal.SIGINT,
    )
    found["ofd"] = Service(
        "ofd", "OFD emulator", config.ofd_port, f"http://{LOOPBACK}:{config.ofd_port}",
        Probe("http", f"http://{LOOPBACK}:{config.ofd_port}/ofd/v1/health"), logs / "ofd.log",
    )
    if config.odoo_api_port is not None:
        found["odoo-api"] = Service(
            "odoo-api", "Odoo API emulator", config.odoo_api_port, f"http://{LOOPBACK}:{config.odoo_api_port}",
            Probe("http", f"http://{LOOPBACK}:{config.odoo_api_port}/api/v1/health"), logs / "odoo-api.log",
        )
    admin_url = f"http://{LOOPBACK}:{config.register_admin_port}"
    found["register"] = Service(
        "register", "Register emulator (Shtrih-M)", config.register_port, config.register_url,
        Probe("http", f"{admin_url}/health"), logs / "register.log", other_ports=(config.register_admin_port,),
        addresses=(f"pty {config.register_link.relative_to(config.root)}", f"admin {admin_url}"),
    )
    adapter_url = f"http://{LOOPBACK}:{config.adapter_port}"
    found["adapter"] = Service(
        "adapter", "KKT adapter", config.adapter_port, adapter_url, Probe("http", f"{adapter_url}/v1/health"),
        logs / "adapter.log", after=("redis", "register"),
    )
    odoo_url = f"http://{LOOPBACK}:{config.odoo_port}"
    found["odoo"] = Service(
        "odoo", "Odoo 17", config.odoo_port, odoo_url, Probe("http", f"{odoo_url}/web/health"), logs / "odoo.log",
        after=("postgresql", "adapter"),
    )
    return found


def stack_services(config: StackConfig, with_postgres: bool) -> list[str]:
    """The services `opticserp up` starts without arguments."""
    known = known_services(config)
    wanted = [name for name in ORDER if name in known and name not in ("postgresql", "register", "odoo")]
    if config.kkt == "serial":
        wanted.insert(wanted.index("adapter"), "register")
    if with_postgres or config.odoo is not None:
        wanted.insert(wanted.index("ofd"), "postgresql")
    if config.odoo is not None:
        wanted.append("odoo")
    return wanted


def _postgres_log(config: StackConfig) -> Path:
    try:
        run_as = run_as_for(Settings())
    except ServerStartError:
        run_as = None
    return cluster_home(config, run_as) / "postgresql.log"


def start(service: Service, config: StackConfig) -> Handle:
    """Start `service` and return its handle once it answers; ServerStartError says why it did not."""
    service.log.parent.mkdir(parents=True, exist_ok=True)
    service.log.unlink(missing_ok=True)
    timeout = STARTUP_TIMEOUTS.get(service.name, DEFAULT_STARTUP_TIMEOUT)
    handle = _handle(service, config, timeout)
    handle.start()
    if isinstance(handle, DevPostgreSQL):
        try:
            ensure_database(handle, config)
        except Exception as exc:
            handle.stop()
            raise ServerStartError(f"PostgreSQL started, but creating {config.postgres_db}: {exc}") from None
    return handle


def _handle(service: Service, config: StackConfig, timeout: float) -> Handle:
    env = dict(config.environ)
    if service.name == "redis":
        executable, version = _backend(find_redis_server)
        return RedisServer(executable, service.port, service.log.parent, timeout, version)
    if service.name == "postgresql":
        run_as = run_as_for(Settings())
        bindir, version = _backend(lambda: find_postgresql_bindir("", run_as))
        return DevPostgreSQL(bindir, version, service.port, home=service.log.parent,
                             cache_dir=_default_cache_dir(), startup_timeout=timeout, run_as=run_as)
    if service.name == "ofd":
        args = ["emulator", "ofd", "--host", LOOPBACK, "--port", str(service.port),
                "--log-level", config.emulator_log_level]
        return OpticserpProcess("ofd", args, port=service.port, health_path="/ofd/v1/health", logfile=service.log,
                                env=env, cwd=config.root, startup_timeout=timeout)
    if service.name == "odoo-api":
        args = ["emulator", "odoo-api", "--host", LOOPBACK, "--port", str(service.port),
                "--log-level", config.emulator_log_level]
        return OpticserpProcess("odoo-api", args, port=service.port, health_path="/api/v1/health",
                                logfile=service.log, env=env, cwd=config.root, startup_timeout=timeout)
    if service.name == "register":
        return _register_process(service, config, env, timeout)
    if service.name == "adapter":
        env.update(config.adapter_register_variables())
        args = ["adapter", "--host", config.adapter_host, "--port", str(service.port)]
        return OpticserpProcess("adapter", args, port=service.port, health_path="/v1/health", logfile=service.log,
                                env=env, cwd=config.root, startup_timeout=timeout)
    if service.name == "odoo":
        return _odoo_process(service, config, env, timeout)
    raise StackConfigError(f"unknown service {service.name!r}")


def _register_process(service: Service, config: StackConfig, env: dict[str, str], timeout: float
                      ) -> OpticserpProcess:
    """The Shtrih-M emulator on a pty (`register_link`) and on TCP, its fiscal drive kept in the data folder.

    It prints for the mean of the mock register's print times, emulates the adapter's KKT_BAUDRATE, and
    keeps time on KKT_TIMEZONE (TZ), as the mock register does.
    """
    admin_port = config.register_admin_port
    args = ["emulator", "shtrih", "--host", LOOPBACK, "--link", str(config.register_link),
            "--tcp-port", str(service.port), "--admin-port", str(admin_port),
            "--state-dir", str(config.register_state_dir), "--baud", str(config.register_baud),
            "--print-delay", f"{config.register_print_delay:g}"]
    config.register_link.parent.mkdir(parents=True, exist_ok=True)
    env["TZ"] = config.register_timezone
    return OpticserpProcess("register", args, port=admin_port, health_path="/health", logfile=service.log,
                            env=env, cwd=config.root, startup_timeout=timeout)


def _backend(find: Any) -> tuple[str, str]:
    try:
        return find()
    except BackendUnavailable as exc:
        raise ServerStartError(str(exc)) from None


def _odoo_process(service: Service, config: StackConfig, env: dict[str, str], timeout: float) -> ServerProcess:
    if config.odoo is None:
        raise ServerStartError(config.odoo_missing)
    conf = write_odoo_config(config)
    command = [*config.odoo.command, "-c", str(conf)]
    if config.odoo_dev_mode:
        command.append(f"--dev={config.odoo_dev_mode}")
    install = odoo_modules_to_install(config, project_addons(config))
    if install:
        command += ["-i", ",".join(install)]
    health = service.probe.target
    return ServerProcess(
        f"odoo on {service.url}", command, logfile=service.log,
        is_ready=lambda: answers(health, timeout=ODOO_PROBE_TIMEOUT),
        startup_timeout=timeout, cwd=config.root, env=env,
    )


def project_addons(config: StackConfig) -> list[str]:
    """The project's Odoo addons (`addons/*/__manifest__.py`), which `up` installs into its Odoo."""
    return sorted(manifest.parent.name for manifest in config.addons_dir.glob("*/__manifest__.py"))


def write_odoo_config(config: StackConfig) -> Path:
    """Odoo's configuration from .env.dev / .env, in the run dir (the seed's odoo.conf, for this stack).

    `admin_passwd` and the custom `kkt_adapter_url` exist only as config-file options, hence a file rather
    than command-line flags. Our `addons/` goes on the addons path once it holds a module (Odoo refuses a
    directory without one).
    """
    assert config.odoo is not None
    addons = [path for path in (config.addons_dir, *config.odoo.addons_dirs) if is_addons_dir(path)]
    options = {
        "db_host": LOOPBACK,
        "db_port": str(config.postgres_port),
        "db_user": config.postgres_user,
        "db_password": config.postgres_password,
        "db_name": config.postgres_db,
        "dbfilter": f"^{config.postgres_db}$",
        "admin_passwd": config.odoo_admin_password,
        "http_interface": LOOPBACK,
        "http_port": str(config.odoo_port),
        "workers": str(config.odoo_workers),
        "max_cron_threads": "1",  # the POS addon's cron fiscalizes the orders left "to send"
        "log_level": config.odoo_log_level,
        "data_dir": str(config.run_dir / "odoo"),
        "kkt_adapter_url": config.adapter_url,
    }
    if addons:
        options["addons_path"] = ",".join(str(path) for path in addons)
    parser = configparser.ConfigParser(interpolation=None)
    parser["options"] = options
    path = config.run_dir / "odoo.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as file:
        file.write("; Written by `opticserp up` from .env.dev and .env; edit those, not this file.\n")
        parser.write(file)
    path.chmod(0o600)
    return path
