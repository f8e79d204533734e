"""PostgreSQL fixture factories, in the pytest-postgresql style.

    orders_proc = postgresql_proc(load=[Path("schema.sql")])   # schema loaded once, into the template
    orders_db = postgresql("orders_proc")                      # a fresh clone of it for every test
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_opticserp._lifecycle import record_startup, tracked
from pytest_opticserp.backends import BackendUnavailable, check_backend_name, choose, run_as_for
from pytest_opticserp.config import settings_for
from pytest_opticserp.databases import Database, create_database, create_template, drop_database, unique_name
from pytest_opticserp.executors.base import ServerStartError
from pytest_opticserp.executors.postgresql import ExternalPostgreSQL, PostgreSQLServer
from pytest_opticserp.handles import ServiceHandle
from pytest_opticserp.ports import reserve_port, shared_port_dir

if TYPE_CHECKING:  # psycopg is imported when a test asks for a database (45 ms at every pytest start otherwise)
    import psycopg

    from pytest_opticserp.databases import Loader

TEMPLATE_DBNAME = "opticserp_template"


def postgresql_proc(
    port: int | None = None, bindir: str | None = None, backend: str | None = None,
    load: Iterable[Loader] = (), template_dbname: str = TEMPLATE_DBNAME, startup_timeout: float | None = None,
) -> Callable[..., Iterator[ServiceHandle]]:
    """A session fixture providing a PostgreSQL server from `backend` (default: --opticserp-backend).

    `load` items (SQL file paths, or callables taking a psycopg connection) run once in the template
    database that every per-test database is cloned from.
    """
    check_backend_name(backend)
    loaders = tuple(load)

    @pytest.fixture(scope="session")
    def postgresql_proc_fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[ServiceHandle]:
        """A PostgreSQL server for the session (one per xdist worker) on 127.0.0.1, with a template database.

        Yields a handle with `.url`, `.url_for(dbname)`, `.host`, `.port`, `.user`, `.version`, `.pid`,
        `.template_dbname` and `.connect(dbname)`. As root, the server runs as an unprivileged user.
        """
        settings = settings_for(request.config)
        timeout = startup_timeout or settings.startup_timeout
        try:
            choice = choose("postgresql", settings, backend, bindir or "")
        except BackendUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
        if choice.backend == "external":
            server: Any = ExternalPostgreSQL(choice.location, timeout)
            yield from _serve(request.config, server, unique_name(template_dbname), loaders)
            return
        reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "postgresql", port)
        try:
            if choice.backend == "docker":
                from pytest_opticserp.executors.docker import PostgreSQLContainerServer

                server = PostgreSQLContainerServer(choice.location, reservation.port, timeout)
            else:
                server = PostgreSQLServer(
                    choice.location, choice.version, reservation.port, cache_dir=settings.cache_dir,
                    startup_timeout=timeout, run_as=run_as_for(settings),
                )
            yield from _serve(request.config, server, template_dbname, loaders)
        finally:
            reservation.release()

    return postgresql_proc_fixture


def postgresql_noproc(
    url: str | None = None, load: Iterable[Loader] = (), template_dbname: str = TEMPLATE_DBNAME,
    startup_timeout: float | None = None,
) -> Callable[..., Iterator[ServiceHandle]]:
    """A session fixture for a PostgreSQL that already runs at `url` (default: --opticserp-postgresql-url)."""
    loaders = tuple(load)

    @pytest.fixture(scope="session")
    def postgresql_noproc_fixture(request: pytest.FixtureRequest) -> Iterator[ExternalPostgreSQL]:
        """An existing PostgreSQL; the session makes its own template there and drops it at the end."""
        settings = settings_for(request.config)
        given = url or settings.postgresql_url
        if not given:
            pytest.fail("postgresql_noproc needs a URL: pass url=... or --opticserp-postgresql-url", pytrace=False)
        server = ExternalPostgreSQL(given, startup_timeout or settings.startup_timeout)
        yield from _serve(request.config, server, unique_name(template_dbname), loaders)

    return postgresql_noproc_fixture


def postgresql_database(proc_fixture_name: str, dbname: str | None = None) -> Callable[..., Iterator[Database]]:
    """A function fixture: a fresh database cloned from the template of server fixture `proc_fixture_name`."""

    @pytest.fixture
    def postgresql_database_fixture(request: pytest.FixtureRequest) -> Iterator[Database]:
        """A database of its own for this test, cloned from the session's template and dropped afterwards.

        Yields a `Database` with `.name`, `.url` (give it to the code under test) and `.connect()`.
        """
        with _fresh_database(request.getfixturevalue(proc_fixture_name), dbname) as database:
            yield database

    return postgresql_database_fixture


def postgresql(fixture_name: str, dbname: str | None = None) -> Callable[..., Iterator[psycopg.Connection]]:
    """A function fixture: a psycopg connection to a clean database.

    `fixture_name` names either a server fixture (a database is cloned for this fixture alone) or a
    database fixture (the connection goes to that test's database).
    """

    @pytest.fixture
    def postgresql_fixture(request: pytest.FixtureRequest) -> Iterator[psycopg.Connection]:
        """A psycopg connection to this test's own database, a clone of the session template."""
        value = request.getfixturevalue(fixture_name)
        with contextlib.ExitStack() as stack:
            database = value if isinstance(value, Database) else stack.enter_context(_fresh_database(value, dbname))
            connection = database.connect()
            stack.callback(connection.close)
            yield connection

    return postgresql_fixture


def _serve(config: pytest.Config, server: Any, template: str, loaders: tuple[Loader, ...]) -> Iterator[Any]:
    import psycopg

    began = time.perf_counter()
    with tracked(config, server):
        try:
            server.start()
            template_began = time.perf_counter()
            create_template(server, template, loaders)
        except (ServerStartError, psycopg.Error) as exc:
            pytest.fail(f"PostgreSQL ({server.describe()}) could not be prepared: {exc}", pytrace=False)
        server.template_dbname = template
        record_startup(config, _startup_line(server, time.perf_counter() - began, time.perf_counter() - template_began))
        try:
            yield server
        finally:
            if server.backend != "local" and server.running():
                drop_database(server, template)


def _startup_line(server: Any, total: float, template: float) -> str:
    line = f"postgresql {server.describe()} ready in {total:.3f} s"
    if isinstance(server, PostgreSQLServer):
        line += (
            f" (cluster from {server.cluster_source} {server.cluster_seconds:.3f} s, "
            f"server start {server.startup_seconds:.3f} s, template {template:.3f} s)"
        )
    return line


@contextlib.contextmanager
def _fresh_database(server: Any, dbname: str | None) -> Iterator[Database]:
    name = dbname or unique_name("test")
    if dbname:
        drop_database(server, name)
    database = create_database(server, name, server.template_dbname)
    try:
        yield database
    finally:
        drop_database(server, name)
