"""Group commit: transactions that arrive together commit together, and one failure rolls back alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from kkt_adapter.sqlite import SqliteWorker


@pytest.fixture
async def store(tmp_path: Path):
    worker = SqliteWorker(tmp_path / "t.db", "CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY);")
    await worker.open()
    yield worker
    await worker.close()


def insert(n: int):
    def run(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?)", (n,))
        return n

    return run


async def test_concurrent_transactions_all_commit_and_return_their_results(store: SqliteWorker) -> None:
    results = await asyncio.gather(*(store.transaction(insert(n)) for n in range(50)))
    assert results == list(range(50))
    assert await store.run(lambda conn: conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 50


async def test_a_failing_transaction_rolls_back_alone(store: SqliteWorker) -> None:
    def fails(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1000)")
        raise ValueError("refused")

    outcomes = await asyncio.gather(store.transaction(insert(1)), store.transaction(fails),
                                    store.transaction(insert(2)), return_exceptions=True)
    assert outcomes[0] == 1 and outcomes[2] == 2 and isinstance(outcomes[1], ValueError)
    rows = await store.run(lambda conn: [r[0] for r in conn.execute("SELECT n FROM t ORDER BY n")])
    assert rows == [1, 2]


async def test_a_committed_transaction_is_on_disk_for_another_connection(store: SqliteWorker) -> None:
    await store.transaction(insert(7))
    with sqlite3.connect(store.path) as other:
        assert other.execute("SELECT n FROM t").fetchall() == [(7,)]
