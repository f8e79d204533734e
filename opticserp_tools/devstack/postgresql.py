"""The stack's PostgreSQL: the executors' server, but with a cluster that outlives `opticserp down`.

Test clusters are throwaway (tmpfs, fsync off, deleted at close); a developer's Odoo database is not, like
the seed's named volume. So the cluster lives in the run dir, keeps the default durability settings and
listens on TCP only (a socket path under a deep checkout could exceed the kernel's 107-byte limit). When
we are root, PostgreSQL runs as an unprivileged user who must reach that directory; if a parent directory
is private, the cluster goes to the system temp dir instead, under a name derived from the run dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
from pathlib import Path

from pytest_opticserp.executors.base import RunAs, ServerProcess, ServerStartError
from pytest_opticserp.executors.postgresql import (
    HOST,
    PostgreSQLServer,
    _server_environment,
    serves_data_directory,
)

from .config import StackConfig, run_dir_digest


class DevPostgreSQL(PostgreSQLServer):
    """A PostgreSQL server whose cluster in `home` is kept between runs; `close()` never deletes it."""

    def __init__(self, bindir: str, version: str, port: int, *, home: Path, cache_dir: Path,
                 startup_timeout: float, run_as: RunAs | None) -> None:
        super().__init__(bindir, version, port, cache_dir=cache_dir, startup_timeout=startup_timeout, run_as=run_as)
        self.home = home

    @property
    def logfile(self) -> Path:
        return self.home / "postgresql.log"

    def _prepare(self) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.run_as is not None:
            os.chown(self.home, self.run_as.uid, self.run_as.gid)
        self.runtime_dir = self.home
        datadir = self.home / "data"
        if (datadir / "PG_VERSION").is_file():
            self._check_major_version(datadir)
            self.cluster_source = "kept from an earlier run"
        else:
            shutil.rmtree(datadir, ignore_errors=True)
            self.cluster_source = self._prepare_cluster(datadir)
        command = [
            str(self.bindir / "postgres"), "-D", str(datadir), "-p", str(self.port),
            "-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories=",
        ]
        return ServerProcess(
            f"postgres on {HOST}:{self.port}", command, logfile=self.logfile, cwd=self.home,
            is_ready=lambda: serves_data_directory(self.url, datadir), startup_timeout=self.startup_timeout,
            stop_signal=signal.SIGINT, run_as=self.run_as, env=_server_environment(),
        )

    def _check_major_version(self, datadir: Path) -> None:
        made_by = (datadir / "PG_VERSION").read_text().strip()
        if made_by != self.version.split(".")[0]:
            raise ServerStartError(
                f"the cluster in {datadir} was made by PostgreSQL {made_by}, but the binaries found are "
                f"{self.version} ({self.bindir}); delete the directory to start afresh, or put PostgreSQL "
                f"{made_by}'s bin directory first on PATH"
            )

    def close(self) -> None:
        self.stop()


def cluster_home(config: StackConfig, run_as: RunAs | None) -> Path:
    """Where the cluster lives: the run dir, unless `run_as` cannot reach it."""
    home = config.run_dir / "postgresql"
    if run_as is None or _reachable(config.run_dir, run_as):
        return home
    return Path(tempfile.gettempdir()) / f"opticserp-dev-postgresql-{run_dir_digest(config.run_dir)}"


def _reachable(path: Path, user: RunAs) -> bool:
    """Whether `user` may traverse every existing directory on the way to `path`."""
    for directory in [path, *path.parents]:
        try:
            info = directory.stat()
        except FileNotFoundError:
            continue
        if info.st_uid == user.uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid == user.gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def ensure_database(server: PostgreSQLServer, config: StackConfig) -> None:
    """The seed's role and database (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), created once.

    The role is a superuser, as the Docker image's POSTGRES_USER is, so Odoo may create databases and
    extensions. The local cluster trusts loopback connections; the password is set so that the same
    connection settings work against the Docker PostgreSQL, which checks it.
    """
    from psycopg import sql  # here: the stack's other commands connect to nothing (psycopg's import: 45 ms)

    user, database = sql.Identifier(config.postgres_user), sql.Identifier(config.postgres_db)
    password = sql.Literal(config.postgres_password)
    with server.connect("postgres", autocommit=True) as connection:
        role = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (config.postgres_user,)).fetchone()
        verb = "ALTER" if role else "CREATE"
        connection.execute(sql.SQL(verb + " ROLE {} LOGIN SUPERUSER PASSWORD {}").format(user, password))
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (config.postgres_db,)
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, user))


def odoo_modules_to_install(config: StackConfig, wanted: list[str]) -> list[str]:
    """Of `base` and `wanted`, those Odoo has not installed in the database (Odoo installs nothing on its own,
    not even `base` into an existing empty database)."""
    import psycopg

    try:
        with psycopg.connect(config.postgres_url(), password=config.postgres_password) as connection:
            row = connection.execute("SELECT to_regclass('public.ir_module_module') IS NOT NULL").fetchone()
            if not (row and row[0]):
                return ["base", *wanted]
            installed = {name for (name,) in connection.execute(
                "SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(%s)", (wanted,))}
    except psycopg.OperationalError:
        return ["base", *wanted]
    return [name for name in wanted if name not in installed]
