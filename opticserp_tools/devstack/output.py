"""What people see: the table of services, and service logs prefixed with the service's name."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fiscal.redact import redact_text, redact_url

from .services import ORDER

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red")
STATE_STYLES = {"healthy": "green", "unhealthy": "red", "exited": "red", "stopped": "dim", "off": "dim",
                "not installed": "dim"}
NAME_WIDTH = max(len(name) for name in ORDER)


def make_console() -> Console:
    """A console on stdout, wide enough for the table even when output goes to a pipe or a file."""
    stream = ReaderTolerantStream(sys.stdout)
    console = Console(file=stream, highlight=False)  # type: ignore[arg-type]
    if not console.is_terminal:
        console = Console(file=stream, highlight=False, width=max(console.width, 200))  # type: ignore[arg-type]
    return console


def reader_gone(console: Console) -> bool:
    return isinstance(console.file, ReaderTolerantStream) and console.file.reader_gone


class ReaderTolerantStream:
    """stdout that survives its reader: once the pipe closes (`./dev up | head`, a `tee` stopped by Ctrl-C),
    output is dropped instead of raising in the middle of stopping the services."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.reader_gone = True
        with contextlib.suppress(OSError, ValueError):
            # Point the descriptor at /dev/null, so the interpreter's final flush does not complain either.
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    url: str
    pid: int | None
    state: str
    details: str


def services_table(rows: list[Row]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("SERVICE", "WHAT", "URL", "PID", "STATE", "DETAILS"):
        table.add_column(column, no_wrap=column != "DETAILS")
    for row in rows:
        table.add_row(
            Text(row.name, style=colour_of(row.name)), row.title, redact_url(row.url), str(row.pid or "-"),
            Text(row.state, style=STATE_STYLES.get(row.state, "")), redact_text(row.details),
        )
    return table


def colour_of(name: str) -> str:
    return COLOURS[ORDER.index(name) % len(COLOURS)] if name in ORDER else ""


def prefixed(name: str, line: str) -> Text:
    return Text.assemble((f"{name:<{NAME_WIDTH}} | ", colour_of(name)), line)


class LogFollower:
    """New lines of several log files as they are written; copes with a file replaced by a restart."""

    def __init__(self) -> None:
        self._files: dict[str, _Followed] = {}

    def watch(self, name: str, path: Path, *, from_start: bool) -> None:
        if name not in self._files:
            self._files[name] = _Followed(path, from_start)

    def forget(self, name: str) -> None:
        followed = self._files.pop(name, None)
        if followed is not None:
            followed.close()

    def read(self) -> list[tuple[str, str]]:
        lines = []
        for name in sorted(self._files, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
            lines += [(name, line) for line in self._files[name].read()]
        return lines

    def close(self) -> None:
        for followed in self._files.values():
            followed.close()
        self._files.clear()


class _Followed:
    def __init__(self, path: Path, from_start: bool) -> None:
        self.path = path
        self.from_start = from_start
        self.file: BinaryIO | None = None
        self.inode: int | None = None
        self.partial = b""

    def read(self) -> list[str]:
        self._reopen_if_replaced()
        if self.file is None:
            return []
        data = self.partial + self.file.read()
        *complete, self.partial = data.split(b"\n")
        return [line.decode(errors="replace").rstrip("\r") for line in complete]

    def _reopen_if_replaced(self) -> None:
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            return
        if inode == self.inode:
            return
        self.close()
        self.file = open(self.path, "rb")  # kept open while following
        if not self.from_start and self.inode is None:
            self.file.seek(0, os.SEEK_END)
        self.inode = inode
        self.partial = b""

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def tail_lines(path: Path, count: int | None) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    lines = text.splitlines()
    return lines if count is None else lines[-count:] if count else []
