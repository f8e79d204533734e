"""A component's one background task: started once, cancelled and awaited on stop.

A cancel can be lost inside the task (Python 3.11's `asyncio.wait_for` drops one that lands as its awaitable
completes), and a stop waiting on such a task would wait for ever: the adapter would hang on SIGTERM until
killed. So `stop` cancels again until the task has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

RECANCEL_SECONDS = 0.05  # a task still running this long after its cancel is cancelled again


class BackgroundTask:
    def __init__(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._loop = loop
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
        with contextlib.suppress(asyncio.CancelledError):
            await task
