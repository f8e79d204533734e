"""One answer per idempotency key, for receipts and register operations (shifts, reports) alike.

Duplicates arrive two ways, so there are two guards. Concurrent ones in this process wait their turn
(`OncePerKey`) and then meet the first one's stored answer. Ones from another process sharing the buffer, or
after a restart, meet the key's row in the buffer (`buffer.KeyTaken`) and get that stored answer (`replay`),
or 409 while the first is still at the register. The answer is stored before it is given, so a retry after a
lost answer returns the same document instead of signing a second one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any


class KeyTaken(Exception):
    """A request under this idempotency key was stored first (a retry, or a duplicate in another process)."""


class IdempotencyConflict(Exception):
    def __init__(self, key: str, what: str = "receipt") -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different {what}; "
            f"use a new key for a new {what}, or resend the original body"
        )


class StillFiscalizing(Exception):
    def __init__(self, key: str, what: str = "receipt") -> None:
        super().__init__(f"the {what} with idempotency key {key!r} is being fiscalized; retry shortly")


@dataclass(frozen=True)
class Outcome:
    response: dict[str, Any]
    replayed: bool


def replay(key: str, fingerprint: str, stored_hash: str, response: dict[str, Any] | None,
           what: str = "receipt") -> Outcome:
    """The stored answer for a retry; a different request under the key, or one not answered yet, raises."""
    if stored_hash != fingerprint:
        raise IdempotencyConflict(key, what)
    if response is None:
        raise StillFiscalizing(key, what)
    return Outcome(response, replayed=True)


def fingerprint(kind: str, body: Any) -> str:
    """What makes two requests under one key the same request: the call and its canonical body."""
    canonical = json.dumps({"kind": kind, "body": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class OncePerKey:
    """One request per key at a time in this process; the others wait for it, then find its stored answer."""

    def __init__(self) -> None:
        self._in_flight: dict[str, asyncio.Future[None]] = {}

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        while True:
            running = self._in_flight.get(key)
            if running is None:
                break
            await asyncio.shield(running)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = done
        try:
            yield
        finally:
            del self._in_flight[key]
            done.set_result(None)
