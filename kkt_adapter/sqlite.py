"""One SQLite connection owned by one thread, driven from asyncio, with group commit.

SQLite allows one writer at a time, and a transaction must not interleave with another coroutine's
statements. Running every unit of work as a plain function on a single dedicated thread gives both: each
call is atomic with respect to the others and never blocks the event loop. Durability settings (WAL,
synchronous=FULL) are applied here so every store in the project gets the same guarantees.

A commit with synchronous=FULL waits for the disk, and that wait dominates a receipt's cost. Transactions
that arrive while one is being committed are therefore committed together (group commit): each runs in its
own savepoint, so one that fails rolls back alone, and every caller is answered only after the shared
COMMIT returned, so "committed" still means "on disk". A unit that changes the database with at most one
statement needs no savepoint (SQLite undoes a failed statement by itself): `savepoint=False` spares the two
statements around it (a receipt's reserve and complete are such units).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from fiscal.sqlite_schema import create_schema

T = TypeVar("T")


class SqliteWorker:
    def __init__(self, path: Path, schema: str, name: str = "sqlite") -> None:
        self.path = path
        self._schema = schema
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._queue: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any], bool]] = []
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
        create_schema(conn, self._schema)
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

    async def transaction(self, fn: Callable[[sqlite3.Connection], T], *, savepoint: bool = True) -> T:
        """Run `fn(conn)` in a transaction and return once it is committed; roll it back if it raises.

        `savepoint=False` only for an `fn` that writes with at most one statement: if it raises, whatever it
        read is dropped and the statement that failed changed nothing.
        """
        if self._executor is None:
            raise RuntimeError(f"{self._name} store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._queue_lock:
            self._queue.append((fn, future, savepoint))
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
                for fn, _, savepoint in batch:
                    outcomes.append(_in_savepoint(conn, fn) if savepoint else _alone(conn, fn))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException as exc:
            outcomes = [(False, exc)] * len(batch)
        for (_, future, _), (ok, value) in zip(batch, outcomes, strict=True):
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


def _in_savepoint(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]) -> tuple[bool, Any]:
    """One unit of a group commit, rolled back alone if it raises."""
    conn.execute("SAVEPOINT unit")
    try:
        result = (True, fn(conn))
        conn.execute("RELEASE unit")
    except BaseException as exc:
        conn.execute("ROLLBACK TO unit")
        conn.execute("RELEASE unit")
        return False, exc
    return result


def _alone(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]) -> tuple[bool, Any]:
    """A unit that writes with one statement at most: a failed statement changed nothing."""
    try:
        return True, fn(conn)
    except BaseException as exc:
        if not conn.in_transaction:  # SQLite gave the whole transaction up (disk full, I/O): the batch fails
            raise
        return False, exc


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
