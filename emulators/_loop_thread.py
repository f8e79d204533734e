"""An event loop of its own in a background thread, driven from the caller's (synchronous) thread.

An emulator that must keep serving while a test blocks on a synchronous client (the fault proxy, the serial
register) cannot share the caller's loop. Every call hands a coroutine to this loop and waits for it; the loop
is the emulator's only owner, so nothing else needs a lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str, call_timeout: float, owner: str) -> None:
        """`owner` names the emulator in errors ("the proxy", "the emulator")."""
        self.name = name
        self.call_timeout = call_timeout
        self._owner = owner
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None and self._loop.is_running()

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(loop,), name=self.name, daemon=True)
        self._thread.start()
        self._loop = loop

    def rename(self, name: str) -> None:
        if self._thread is not None:
            self._thread.name = name

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    def stop(self, closing: Coroutine[Any, Any, Any] | None = None) -> None:
        """Run `closing` on the loop if it still runs, then stop the loop and its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            if closing is not None:
                closing.close()
            return
        try:
            if closing is not None:
                if loop.is_running():
                    self.call(closing)
                else:
                    closing.close()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(self.call_timeout)
            if not thread.is_alive():
                loop.close()
            self._loop = self._thread = None

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError(f"{self._owner} is not running; call start() first")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(f"called from {self._owner}'s own loop; await it there instead")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.call_timeout)

    def on_loop(self, action: Callable[[], T]) -> T:
        """Run a plain function on the loop, so it never sees the emulator half-changed."""

        async def run() -> T:
            return action()

        return self.call(run())
