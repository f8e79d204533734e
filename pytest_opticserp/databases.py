"""Per-test PostgreSQL databases cloned from a session template (`CREATE DATABASE ... TEMPLATE ...`).

Loading schema and data once into the template and cloning it per test is much cheaper than loading per
test, and each test still starts from exactly the same state. psycopg is imported when a database is made: a
pytest session that uses no PostgreSQL does not pay its import (45 ms at every pytest start).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import psycopg

    Loader = Path | str | Callable[[psycopg.Connection], Any]


class PostgreSQLHandle(Protocol):
    host: str
    port: int
    user: str

    def url_for(self, dbname: str) -> str: ...

    def connect(self, dbname: str, **kwargs: Any) -> psycopg.Connection: ...


@dataclass(frozen=True)
class Database:
    """A database made for one test: give `url` to the code under test, `connect()` to look inside."""

    name: str
    url: str
    host: str
    port: int
    user: str

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        import psycopg

        return psycopg.connect(self.url, **kwargs)


def unique_name(prefix: str) -> str:
    """A database name no other test or xdist worker uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:10]}"


def create_template(server: PostgreSQLHandle, name: str, load: Iterable[Loader] = ()) -> None:
    """Create database `name`, run the loaders in it, then mark it as a template nobody connects to."""
    from psycopg import sql

    drop_database(server, name)
    with server.connect("postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with server.connect(name) as connection:
        for loader in load:
            if callable(loader):
                loader(connection)
            else:
                connection.execute(Path(loader).read_text())  # type: ignore[arg-type]
            connection.commit()
    with server.connect("postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )


def create_database(server: PostgreSQLHandle, name: str, template: str) -> Database:
    from psycopg import sql

    with server.connect("postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    return Database(name=name, url=server.url_for(name), host=server.host, port=server.port, user=server.user)


def drop_database(server: PostgreSQLHandle, name: str) -> None:
    """Drop `name` even if a test left connections open or it is a template."""
    from psycopg import sql

    with server.connect("postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            return
        identifier = sql.Identifier(name)
        admin.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false ALLOW_CONNECTIONS false").format(identifier))
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        admin.execute(sql.SQL("DROP DATABASE {}").format(identifier))
