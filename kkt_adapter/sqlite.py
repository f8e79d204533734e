"""One SQLite connection owned by one thread, driven from asyncio.

SQLite allows one writer at a time, and a transaction must not interleave with another coroutine's
statements. Running every unit of work as a plain function on a single dedicated thread gives both: each
call is atomic with respect to the others and never blocks the event loop. Durability settings (WAL,
synchronous=FULL) are applied here so every store in the project gets the same guarantees.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class SqliteWorker:
    def __init__(self, path: Path, schema: str, name: str = "sqlite") -> None:
        self.path = path
        self._schema = schema
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        await self.run(lambda _conn: None, _opening=True)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(self._schema)
        return conn

    async def run(self, fn: Callable[[sqlite3.Connection], T], *, _opening: bool = False) -> T:
        """Run `fn(conn)` on the database thread and return its result."""
        if self._executor is None:
            raise RuntimeError(f"{self._name} store is not open")

        def call() -> T:
            if self._conn is None:
                if not _opening:
                    raise RuntimeError(f"{self._name} store is closed")
                self._conn = self._connect()
            return fn(self._conn)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` inside BEGIN IMMEDIATE ... COMMIT; roll back if it raises."""

        def call(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self.run(call)

    async def close(self) -> None:
        if self._executor is None:
            return

        def shut(conn: sqlite3.Connection) -> None:
            conn.close()
            self._conn = None

        if self._conn is not None:
            await self.run(shut)
        self._executor.shutdown(wait=True)
        self._executor = None
