"""A component's background task stops when asked, even when the task loses the cancel once."""

from __future__ import annotations

import asyncio

from kkt_adapter.background import BackgroundTask


def test_a_task_that_swallows_the_first_cancel_is_cancelled_again_and_stops() -> None:
    rounds: list[str] = []

    async def stubborn_loop() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if "swallowed" in rounds:
                    raise
                rounds.append("swallowed")  # as Python 3.11's wait_for does when its event is set at the same time

    async def scenario() -> bool:
        task = BackgroundTask("stubborn", stubborn_loop)
        task.start()
        await asyncio.sleep(0)
        stopping = asyncio.create_task(task.stop())
        await asyncio.wait({stopping}, timeout=5)  # unlike wait_for, cancels nothing when it times out
        stopped = stopping.done()
        stopping.cancel()
        return stopped

    stopped = asyncio.run(scenario())

    assert stopped, "stop() still waiting on the task 5 s after it was asked"
    assert rounds == ["swallowed"]


def test_a_task_that_ends_on_the_first_cancel_is_stopped_once() -> None:
    cancels = []

    async def loop() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancels.append(1)
            raise

    async def scenario() -> None:
        task = BackgroundTask("plain", loop)
        task.start()
        await asyncio.sleep(0)
        await task.stop()
        await task.stop()  # a second stop has nothing left to do

    asyncio.run(scenario())

    assert cancels == [1]
