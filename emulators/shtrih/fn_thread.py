"""The FN's SQLite file on one dedicated thread, so its blocking work never runs on the device's event loop.

Every operation runs in its own `BEGIN IMMEDIATE` transaction, committed when it returns and rolled back
when it raises (a refusal signs nothing). One thread and one connection: operations run in order.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from fiscal.fn import FiscalDrive
from fiscal.sqlite_schema import create_schema

T = TypeVar("T")


class FnThread:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shtrih-fn")
        await self.call(self._connect)

    def _connect(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a signed document survives a power cut
        create_schema(conn, FiscalDrive.SCHEMA)
        self._conn = conn

    async def close(self) -> None:
        if self._executor is None:
            return
        if self._conn is not None:
            await self.call(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)
        self._executor = None

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the FN's thread (no transaction: for files beside the FN)."""
        if self._executor is None:
            raise RuntimeError("the FN is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def transaction(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        return await self.call(self._in_transaction, operation)

    def _in_transaction(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = operation(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result
