"""Uvicorn's server, stopping as soon as it is asked to, for the adapter and the emulators alike.

Uvicorn notices a stop request on its next tick (every 0.1 s) and, once it has asked the open connections to
close, pauses a flat 0.1 s before it waits for them: about 0.2 s per stop for nothing. A test suite stops a
server after every test, so that was tenths of a second per test. Here a stop request wakes the server's loop at
once, and the pause ends as soon as the connections are gone (0.1 s at most, as before). Everything else is
uvicorn's own shutdown: requests in flight finish within `timeout_graceful_shutdown`, then the lifespan ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

import uvicorn

logger = logging.getLogger("uvicorn.error")

TICK_SECONDS = 1.0  # uvicorn's tick refreshes the Date header once a second; a stop no longer waits for it
CLOSE_PAUSE_SECONDS = 0.1  # at most this long for asked connections to close before waiting on them
CLOSE_POLL_SECONDS = 0.002


class PromptServer(uvicorn.Server):
    """`uvicorn.Server` whose stop (`should_exit = True`, SIGTERM, Ctrl-C, from any thread) takes effect now."""

    def __init__(self, config: uvicorn.Config) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._should_exit = False
        super().__init__(config)

    @property  # type: ignore[override]  # uvicorn's is a plain attribute; setting it must wake the loop
    def should_exit(self) -> bool:
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._should_exit = value
        loop, wake = self._loop, self._wake
        if value and loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing is waiting any more
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # a multiple of 10: on_tick refreshes the Date header each time
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK_SECONDS):
                    await self._wake.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        logger.info("Shutting down")
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + CLOSE_PAUSE_SECONDS  # idle keep-alive connections close at once
        while self.server_state.connections and time.monotonic() < deadline:  # noqa: ASYNC110 (a set, no event)
            await asyncio.sleep(CLOSE_POLL_SECONDS)
        try:
            await asyncio.wait_for(self._wait_tasks_to_complete(), timeout=self.config.timeout_graceful_shutdown)
        except TimeoutError:
            logger.error("Cancel %s running task(s), timeout graceful shutdown exceeded", len(self.server_state.tasks))
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()
