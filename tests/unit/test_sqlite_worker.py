"""Group commit: transactions that arrive together commit together, and one failure rolls back alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
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


async def in_one_batch(store: SqliteWorker, *units: tuple[object, bool]) -> list[object]:
    """Commit `units` (fn, savepoint) as one group: the database thread is held until all are queued."""
    gate = threading.Event()
    held = asyncio.ensure_future(store.run(lambda _conn: gate.wait(10)))
    tasks = [asyncio.ensure_future(store.transaction(fn, savepoint=savepoint)) for fn, savepoint in units]
    await asyncio.sleep(0)  # one turn of the loop: each task queues its unit at its first step
    assert len(store._queue) == len(units), "the units did not all queue while the database thread was held"
    gate.set()
    assert await held
    return await asyncio.gather(*tasks, return_exceptions=True)


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


async def test_a_one_statement_unit_without_a_savepoint_that_fails_changes_nothing_and_fails_alone(
        store: SqliteWorker) -> None:
    outcomes = await in_one_batch(store, (insert(1), False), (insert(1), False), (insert(2), False))  # 1 taken
    assert outcomes[0] == 1 and outcomes[2] == 2 and isinstance(outcomes[1], sqlite3.IntegrityError)
    rows = await store.run(lambda conn: [r[0] for r in conn.execute("SELECT n FROM t ORDER BY n")])
    assert rows == [1, 2]


async def test_a_unit_that_ends_the_whole_transaction_fails_every_unit_of_its_batch(store: SqliteWorker) -> None:
    """What SQLite does on a full disk or an I/O error: the transaction is gone, so nothing of the batch stays,
    and no later unit of it may commit on its own outside the transaction."""

    def loses_the_transaction(conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    outcomes = await in_one_batch(store, (insert(1), True), (loses_the_transaction, False), (insert(2), False))
    assert all(isinstance(outcome, sqlite3.OperationalError) for outcome in outcomes), outcomes
    assert await store.run(lambda conn: conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 0
    assert await store.transaction(insert(3), savepoint=False) == 3  # the store goes on working


async def test_a_schema_that_fails_half_way_leaves_no_table_behind(tmp_path: Path) -> None:
    """The schema runs in one transaction (one flush for a new database, not one per statement)."""
    worker = SqliteWorker(tmp_path / "half.db", "CREATE TABLE a (n); CREATE TABLE b (n); CREATE TABLE a (m);")
    with pytest.raises(sqlite3.OperationalError, match="table a already exists"):
        await worker.open()
    await worker.close()
    with sqlite3.connect(tmp_path / "half.db") as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


async def test_a_schema_run_again_on_its_database_changes_nothing(tmp_path: Path) -> None:
    schema = "CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY);"
    for _ in range(2):
        worker = SqliteWorker(tmp_path / "again.db", schema)
        await worker.open()
        await worker.transaction(lambda conn: conn.execute("INSERT INTO t DEFAULT VALUES"))
        await worker.close()
    with sqlite3.connect(tmp_path / "again.db") as conn:
        assert conn.execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]
