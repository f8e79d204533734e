"""Parallel delivery overtakes by less than its window: a slow call holds the window, not the queue's order.

With OFD_MAX_CONCURRENCY = 8, a document can reach the OFD behind at most 7 later ones, however long its own
call takes. (A semaphore alone let the other slots cycle past a slow call: one CI run saw a receipt arrive 21
places late.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kkt_adapter.breaker import CircuitBreaker
from kkt_adapter.buffer import ReceiptBuffer
from kkt_adapter.lock import SyncLock
from kkt_adapter.metrics import Metrics
from kkt_adapter.network import NetworkMonitor
from kkt_adapter.ofd_client import OfdAnswer
from kkt_adapter.sync import RetryPolicy, SyncWorker
from tests.unit.test_outage_recovery import fill

WIDTH = 8


class OfdWithOneSlowCall:
    """Answers at once, except the first document, which it holds while anything else can still be sent."""

    def __init__(self) -> None:
        self.received: list[int] = []

    async def send(self, document: str) -> OfdAnswer:
        n = json.loads(document)["n"]
        if n == 0:
            for _ in range(500):  # every other call that may start meanwhile gets its turn on the loop
                await asyncio.sleep(0)
        self.received.append(n)
        return OfdAnswer("accepted", ack={"duplicate": False})

    async def probe(self) -> OfdAnswer:
        return OfdAnswer("accepted")


@pytest.fixture
async def buffer(tmp_path: Path) -> AsyncIterator[ReceiptBuffer]:
    store = ReceiptBuffer(tmp_path / "buffer.db")
    await store.open()
    yield store
    await store.close()


async def test_a_slow_call_is_overtaken_by_fewer_documents_than_the_window(buffer: ReceiptBuffer) -> None:
    await fill(buffer, 60)
    ofd, network = OfdWithOneSlowCall(), NetworkMonitor()
    network.answered()  # the OFD is known to answer: full concurrency
    worker = SyncWorker(buffer, ofd, CircuitBreaker(5, 30), network, SyncLock(None, "test", 30), Metrics(),
                        interval=30, batch_size=200, concurrency=WIDTH, retry=RetryPolicy(50, 1, 300))

    report = await worker.sync_now()

    assert report.synced == 60 and sorted(ofd.received) == list(range(60))
    overtaken_by = ofd.received.index(0)
    assert overtaken_by <= WIDTH - 1, f"the slow first document arrived behind {overtaken_by} later ones"
    assert max(abs(ofd.received.index(n) - n) for n in range(60)) <= WIDTH - 1
