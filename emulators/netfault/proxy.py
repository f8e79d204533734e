"""The asyncio TCP proxy that applies toxics to the bytes between a client and an upstream.

Everything here runs inside one event loop and must be called from it (`NetfaultProxy` in `handle.py`
owns that loop in a thread). Toxics are looked up for every chunk, so adding or removing one changes
open connections as well as new ones; a chunk already waiting out a latency finishes its wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from typing import Literal

from emulators.netfault.listener import close_when_accepted
from emulators.netfault.toxics import Bandwidth, Blackhole, Down, Latency, ResetPeer, SlowClose, Toxic

CHUNK = 64 * 1024
StreamDirection = Literal["downstream", "upstream"]


class ToxicProxy:
    """Listens on (host, port) and forwards each connection to `upstream` through the active toxics."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rng: random.Random | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        self.upstream = upstream
        self.host = host
        self.port = port
        self.rng = rng or random.Random()
        self.connect_timeout = connect_timeout
        self.enabled = True
        self._toxics: dict[str, Toxic] = {}
        self._server: asyncio.Server | None = None
        self._placeholder: socket.socket | None = None
        self._connections: set[_Connection] = set()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def toxics(self) -> list[Toxic]:
        return list(self._toxics.values())

    def active(self, kind: type[Toxic], direction: StreamDirection | None = None) -> list[Toxic]:
        return [
            t for t in self._toxics.values() if isinstance(t, kind) and (direction is None or t.applies_to(direction))
        ]

    async def start(self) -> None:
        await self._sync_listener()

    async def close(self) -> None:
        """Stop listening, drop every connection and wait for their tasks to end; the port is let go."""
        self.enabled = False
        await self._sync_listener()
        self._let_port_go()
        await asyncio.sleep(0)  # handlers of connections accepted just before the close start, and drop them
        tasks = [c.task for c in self._connections if c.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def add_toxic(self, toxic: Toxic) -> Toxic:
        if toxic.name in self._toxics:
            raise ValueError(f"a toxic named {toxic.name!r} is already active; remove it first or pick another name")
        self._toxics[toxic.name] = toxic
        if isinstance(toxic, ResetPeer):
            for conn in list(self._connections):
                conn.schedule_reset(toxic.timeout_ms / 1000)
        await self._sync_listener()
        return toxic

    async def remove_toxic(self, name: str) -> Toxic:
        try:
            toxic = self._toxics.pop(name)
        except KeyError:
            raise KeyError(f"no toxic named {name!r}; active: {sorted(self._toxics) or 'none'}") from None
        await self._sync_listener()
        return toxic

    async def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        await self._sync_listener()

    async def reset(self) -> None:
        """No toxics, enabled, listening."""
        self._toxics.clear()
        await self.set_enabled(True)

    async def _sync_listener(self) -> None:
        """Listen exactly when enabled and no `down` toxic is active; closing also drops open connections."""
        want = self.enabled and not self.active(Down)
        if want and self._server is None:
            self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True,
                                                      reuse_port=True)
            self.port = self._server.sockets[0].getsockname()[1]
            self._let_port_go()
        elif not want and self._server is not None:
            # While down, a bound socket that does not listen keeps the port: connections are refused, and no
            # other server (another test's proxy binding port 0) can take the port and answer in our place.
            self._placeholder = _hold_port(self.host, self.port)
            server, self._server = self._server, None
            await close_when_accepted(server)  # closes the listening socket: new connections are refused
            for conn in list(self._connections):
                conn.abort()

    def _let_port_go(self) -> None:
        placeholder, self._placeholder = self._placeholder, None
        if placeholder is not None:
            placeholder.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:
            # Accepted by the kernel just before the listener closed, handed to us after: dropped like the
            # connections open then (a disabled proxy once forwarded a receipt through such a late one).
            writer.transport.abort()
            return
        conn = _Connection(self, reader, writer)
        self._connections.add(conn)
        try:
            await conn.run()
        except asyncio.CancelledError:
            # close() cancels connection tasks; on 3.11 asyncio logs a cancelled callback task as an error.
            conn.abort()
        finally:
            self._connections.discard(conn)


def _hold_port(host: str, port: int) -> socket.socket:
    """Bound, never listening: the port stays ours and a connection to it is refused."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class _Connection:
    """One client connection and its upstream, pumped in both directions."""

    def __init__(self, proxy: ToxicProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client_reader = reader
        self.client_writer = writer
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.task = asyncio.current_task()
        self.closed = False

    async def run(self) -> None:
        resets = self.proxy.active(ResetPeer)
        if resets and min(t.timeout_ms for t in resets) == 0:
            self.reset()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.proxy.upstream), self.proxy.connect_timeout
            )
        except (OSError, TimeoutError):
            self.reset()  # upstream unreachable: the client sees the connection reset
            return
        self.upstream_writer = up_writer
        if self.closed:
            self.abort()
            return
        for toxic in resets:
            self.schedule_reset(toxic.timeout_ms / 1000)
        try:
            await asyncio.gather(
                self._pump(self.client_reader, up_writer, "upstream"),
                self._pump(up_reader, self.client_writer, "downstream"),
            )
        finally:
            if not self.closed:
                self.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: StreamDirection
    ) -> None:
        """Reading and writing are separate stages joined by a small queue, so a latency delays each chunk
        from the moment it arrived instead of adding up over consecutive chunks (as in Toxiproxy)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(maxsize=16)

        async def read_stage() -> None:
            try:
                while data := await reader.read(CHUNK):
                    if self.proxy.active(Blackhole, direction):
                        continue
                    latencies = self.proxy.active(Latency, direction)
                    delay = sum(t.delay_seconds(self.proxy.rng) for t in latencies)  # type: ignore[union-attr]
                    await queue.put((loop.time() + delay, data))
            except (ConnectionError, OSError):
                self.abort()
            await queue.put(None)

        reading = asyncio.create_task(read_stage())
        try:
            while (entry := await queue.get()) is not None:
                due, data = entry
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                await self._write(data, writer, direction)
            if self.closed:
                return
            if direction == "upstream":
                if writer.can_write_eof():
                    writer.write_eof()  # the client finished sending; the upstream may still answer
                return
            slow = self.proxy.active(SlowClose)
            if slow:
                await asyncio.sleep(max(t.delay_ms for t in slow) / 1000)  # type: ignore[union-attr]
            self.close()
        except (ConnectionError, OSError):
            self.abort()
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)

    async def _write(self, data: bytes, writer: asyncio.StreamWriter, direction: StreamDirection) -> None:
        limits = self.proxy.active(Bandwidth, direction)
        if not limits:
            writer.write(data)
            await writer.drain()
            return
        rate = min(t.bytes_per_second for t in limits)  # type: ignore[union-attr]
        step = max(1, int(rate / 20))  # ~50 ms slices keep the rate smooth
        loop = asyncio.get_running_loop()
        started = loop.time()
        for offset in range(0, len(data), step):
            piece = data[offset : offset + step]
            writer.write(piece)
            await writer.drain()
            if (wait := started + (offset + len(piece)) / rate - loop.time()) > 0:
                await asyncio.sleep(wait)

    def schedule_reset(self, delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self._reset_if_still_toxic)

    def _reset_if_still_toxic(self) -> None:
        if self.proxy.active(ResetPeer):
            self.reset()

    def reset(self) -> None:
        """Close the client side with RST (SO_LINGER 0) instead of FIN."""
        sock = self.client_writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.abort()

    def close(self) -> None:
        """Orderly close (FIN) of both sides, after what was written has been flushed."""
        self.closed = True
        self.client_writer.close()
        if self.upstream_writer is not None:
            self.upstream_writer.close()

    def abort(self) -> None:
        self.closed = True
        self.client_writer.transport.abort()
        if self.upstream_writer is not None:
            self.upstream_writer.transport.abort()
