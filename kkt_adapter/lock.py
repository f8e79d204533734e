"""The sync lock: only one adapter instance delivers from a shared buffer at a time.

With `REDIS_URL` set, redis-py's `Lock` (a lease that the holder extends while it works) is tried on every
run. When Redis cannot be reached the adapter keeps delivering under a local lock and says so in
/v1/health; two instances may then both send, which stays safe because the OFD recognises a re-sent
document by its FN serial and fiscal document number and acknowledges it once.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import LockError, RedisError

from fiscal.redact import redact_text

log = logging.getLogger(__name__)


class SyncLock:
    def __init__(self, redis_url: str | None, name: str, lease: float) -> None:
        self._url = redis_url
        self._name = name
        self._lease = lease
        self._client: aioredis.Redis | None = None
        self._held: Any = None
        self._redis_state = "not configured" if redis_url is None else "not tried yet"

    @property
    def using_redis(self) -> bool:
        return self._redis_state == "connected"

    def status(self) -> dict[str, str]:
        return {"backend": "redis" if self.using_redis else "local", "redis": self._redis_state, "name": self._name}

    async def open(self) -> None:
        if self._url is not None:
            self._client = aioredis.from_url(self._url, socket_connect_timeout=0.5, socket_timeout=1.0)

    async def close(self) -> None:
        await self.release()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def acquire(self) -> bool:
        """True when this instance may sync now; False when another instance holds the Redis lock."""
        if self._client is None:
            return True
        lock = self._client.lock(self._name, timeout=self._lease, blocking=False)
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            self._redis_unreachable(exc)
            return True
        self._redis_reachable()
        if acquired:
            self._held = lock
        return bool(acquired)

    async def extend(self) -> bool:
        """Renew the lease during a long run; False when the lock was lost to another instance."""
        if self._held is None:
            return True
        try:
            await self._held.extend(self._lease, replace_ttl=True)
        except LockError:
            self._held = None
            return False
        except RedisError as exc:
            self._redis_unreachable(exc)
        return True

    async def release(self) -> None:
        lock, self._held = self._held, None
        if lock is None:
            return
        try:
            await lock.release()
        except (LockError, RedisError) as exc:
            log.info("sync lock release failed", extra={"error": str(exc)})

    def _redis_unreachable(self, exc: Exception) -> None:
        error = redact_text(str(exc))
        state = f"unreachable: {error}"
        if self._redis_state != state:
            log.warning("Redis unreachable, syncing under a local lock", extra={"error": error})
        self._redis_state = state
        self._held = None

    def _redis_reachable(self) -> None:
        if self._redis_state.startswith("unreachable"):
            log.warning("Redis reachable again, syncing under the Redis lock")
        self._redis_state = "connected"
