"""Closing an asyncio server without leaving half-accepted connections to the garbage collector.

asyncio accepts a connection in two steps: the socket is accepted at once, and its transport is built by a task
that runs a little later. A server closed in between makes that task fail (the closed server refuses the
transport), and the half-built transport is left for the garbage collector. On Python 3.13.0 that is more than
a leak: its finalizer tells the closed server it is gone, and the second one of a server raises TypeError from
asyncio's `Server._wakeup` inside `__del__`, which pytest reports as a failure of whatever test runs then.
So the fault proxy, which runs on a plain asyncio loop, closes its listener only once the connections it has
accepted are built, and drops them at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

ACCEPT_TASK = "_accept_connection2"  # asyncio's second step (selector loops); uvloop accepts in C and has none
MAX_ROUNDS = 100  # a flood of new connections cannot hold a close up for ever


def _accepting(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    current = asyncio.current_task(loop)
    return [task for task in asyncio.all_tasks(loop)
            if task is not current and getattr(task.get_coro(), "__name__", "") == ACCEPT_TASK]


async def close_when_accepted(server: asyncio.Server) -> None:
    """Close `server` once no accepted connection is still being set up (nothing runs between the last check
    and the close: both happen in one step of this loop)."""
    loop = asyncio.get_running_loop()
    for _ in range(MAX_ROUNDS):
        pending = _accepting(loop)
        if not pending:
            break
        await asyncio.wait(pending)
    server.close()
