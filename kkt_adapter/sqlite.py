"""One SQLite connection owned by one thread, driven from asyncio, with group commit.

SQLite allows one writer at a time, and a transaction must not interleave with another coroutine's
statements. Running every unit of work as a plain function on a single dedicated thread gives both: each
call is atomic with respect to the others and never blocks the event loop. Durability settings (WAL,
synchronous=FULL) are applied here so every store in the project gets the same guarantees.

A commit with synchronous=FULL waits for the disk, and that wait dominates a receipt's cost. Transactions
that arrive while one is being committed are therefore committed together (group commit): each runs in its
own savepoint, so one that fails rolls back alone, and every caller is answered only after the shared
COMMIT returned, so "committed" still means "on disk".
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class SqliteWorker:
    def __init__(self, path: Path, schema: str, name: str = "sqlite") -> None:
        self.path = path
        self._schema = schema
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._queue: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._queue_lock = threading.Lock()
        self._flush_scheduled = False

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
        """Run `fn(conn)` in a transaction and return once it is committed; roll it back if it raises."""
        if self._executor is None:
            raise RuntimeError(f"{self._name} store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._queue_lock:
            self._queue.append((fn, future))
            schedule = not self._flush_scheduled
            self._flush_scheduled = True
        if schedule:
            self._executor.submit(self._flush)
        return await future

    def _flush(self) -> None:
        """On the database thread: commit everything queued so far as one transaction."""
        with self._queue_lock:
            batch, self._queue = self._queue, []
            self._flush_scheduled = False
        if not batch:
            return
        outcomes: list[tuple[bool, Any]] = []
        try:
            if self._conn is None:
                raise RuntimeError(f"{self._name} store is closed")
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                for fn, _ in batch:
                    conn.execute("SAVEPOINT unit")
                    try:
                        outcomes.append((True, fn(conn)))
                        conn.execute("RELEASE unit")
                    except BaseException as exc:
                        conn.execute("ROLLBACK TO unit")
                        conn.execute("RELEASE unit")
                        outcomes.append((False, exc))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException as exc:
            outcomes = [(False, exc)] * len(batch)
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            future.get_loop().call_soon_threadsafe(_settle, future, ok, value)

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


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
