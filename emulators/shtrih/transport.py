"""The device's two front doors: a pseudo-terminal (what a driver opens as a serial port) and a TCP port.

Real registers hang on a serial line, and network models speak the same frames over TCP; a driver built on
pyserial's `serial_for_url` reaches either (`/dev/...` or `socket://host:port`). Both doors lead to one
`Device`, whose lock lets one command run at a time.

The pty is raw (no echo, no line discipline) and the device holds its slave end open too, so the pty
survives hosts opening and closing it, and what the host has not acknowledged is still pending when it
comes back. A real line loses bytes nobody reads instead of blocking; when the pty's buffer is full the
unread bytes are flushed for the same effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import termios
import tty
from pathlib import Path

from emulators.serving import bind_socket
from emulators.shtrih.link import READ_SIZE, Device, LinkSession

logger = logging.getLogger(__name__)


def publish_link(link: Path, target: str) -> None:
    """Point the symlink `link` at `target`, replacing an old symlink in one step (never a file or a folder)."""
    if not link.is_symlink() and link.exists():
        raise FileExistsError(f"{link} exists and is not a symlink; refusing to replace it")
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    os.replace(temporary, link)


def withdraw_link(link: Path, target: str) -> None:
    """Remove the symlink if it still points at `target` (another emulator may have taken the name since)."""
    with contextlib.suppress(OSError):
        if os.readlink(link) == target:
            link.unlink()


class PtyDoor:
    """A pty whose slave device (`path`, and the symlink `link` if given) the host opens as its serial port."""

    def __init__(self, device: Device, link: Path | None = None) -> None:
        self.device = device
        self.link = link
        self.path = ""
        self._master = self._slave = -1
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._master, self._slave = os.openpty()
        try:
            tty.setraw(self._slave)
            os.set_blocking(self._master, False)
            self.path = os.ttyname(self._slave)
            if self.link is not None:
                publish_link(self.link, self.path)
        except BaseException:
            self._close_fds()
            raise
        reader = asyncio.StreamReader()
        loop.add_reader(self._master, self._readable, reader)
        self._task = loop.create_task(self._serve(reader), name=f"shtrih-pty:{self.path}")

    async def _serve(self, reader: asyncio.StreamReader) -> None:
        """The pty is the device's line for as long as it runs: a session that fails is logged and replaced."""
        memory = self.device.door()
        while True:
            try:
                await LinkSession(self.device, reader, self._write, memory).run()
                return
            except Exception:
                logger.exception("the link session on %s failed; a new one takes the line", self.path)

    def _readable(self, reader: asyncio.StreamReader) -> None:
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:  # not expected while we hold the slave open; stop reading rather than spin
            logger.error("reading the pty %s failed: %s", self.path, exc)
            asyncio.get_running_loop().remove_reader(self._master)
            reader.feed_eof()
            return
        if data:
            reader.feed_data(data)

    async def _write(self, data: bytes) -> None:
        view = memoryview(data)
        flushed = False
        while view:
            try:
                view = view[os.write(self._master, view):]
            except BlockingIOError:
                if flushed:
                    logger.warning("the pty %s takes no more bytes; %d dropped", self.path, len(view))
                    return
                termios.tcflush(self._slave, termios.TCIFLUSH)  # unread for a whole buffer: nobody reads
                flushed = True
            except OSError as exc:
                logger.warning("writing to the pty %s failed (%s); %d bytes lost", self.path, exc, len(view))
                return

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)
        if self.link is not None and self.path:
            withdraw_link(self.link, self.path)
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1


class TcpDoor:
    """The same frames on a TCP port (0 = a free one, `port` says which); each connection is a session."""

    def __init__(self, device: Device, host: str = "127.0.0.1", port: int = 0) -> None:
        self.device = device
        self.host = host
        self.port = port
        self._memory = device.door()  # one line: a host that reconnects finds its pending answer
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> None:
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        try:
            self._server = await asyncio.start_server(self._accept, sock=sock)
        except BaseException:
            sock.close()
            raise

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer

        async def write(data: bytes) -> None:
            writer.write(data)
            await writer.drain()

        try:
            await LinkSession(self.device, reader, write, self._memory).run()
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:  # close() cancels; on 3.11 a re-raised cancel in a callback task is logged
            writer.transport.abort()
        finally:
            self._connections.pop(task, None)
            writer.close()

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        tasks = list(self._connections)
        for task, writer in list(self._connections.items()):
            writer.transport.abort()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
