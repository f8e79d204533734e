"""The sync lock: only one adapter instance delivers from a shared buffer at a time.

With `REDIS_URL` set, redis-py's `Lock` (a lease that the holder extends while it works) is tried on every
run. Its token names the holder (host, PID, the process's start time): a lock left by a process of this
machine that is gone (killed mid-run, a power cut) is taken over at once instead of after its lease, so an
adapter restarted after a crash delivers right away. A holder on another host, or one whose token we did
not write, is always waited for.

When Redis cannot be reached the adapter keeps delivering under a local lock and says so in /v1/health; two
instances may then both send, which stays safe because the OFD recognises a re-sent
document by its FN serial and fiscal document number and acknowledges it once.
"""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any

import psutil
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
            acquired = await lock.acquire(token=holder_token())
            if not acquired and await self._take_over_from_the_dead():
                acquired = await lock.acquire(token=holder_token())
        except RedisError as exc:
            self._redis_unreachable(exc)
            return True
        self._redis_reachable()
        if acquired:
            self._held = lock
        return bool(acquired)

    async def _take_over_from_the_dead(self) -> bool:
        """Delete the lock if its holder is a process of this host that no longer runs; whether it was."""
        assert self._client is not None
        token = await self._client.get(self._name)
        if token is None or not holder_is_gone(token.decode(errors="replace")):
            return token is None  # released meanwhile: worth one more try
        deleted = await self._client.eval(_DELETE_IF_UNCHANGED, 1, self._name, token)
        if deleted:
            log.warning("took over the sync lock of a process that is gone", extra={"holder": token.decode()})
        return bool(deleted)

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


_DELETE_IF_UNCHANGED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def holder_token() -> str:
    """`host:pid:start-time:random`: who holds the lock, precisely enough to tell when it is gone."""
    me = psutil.Process()
    return f"{socket.gethostname()}:{me.pid}:{round(me.create_time() * 1000)}:{uuid.uuid4().hex}"


def holder_is_gone(token: str) -> bool:
    """True only for a token of ours naming a process of this host that no longer runs (or a reused PID)."""
    host, _, rest = token.partition(":")
    pid, _, rest = rest.partition(":")
    started, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or not started.isdigit():
        return False
    try:
        return round(psutil.Process(int(pid)).create_time() * 1000) != int(started)
    except psutil.NoSuchProcess:
        return True
