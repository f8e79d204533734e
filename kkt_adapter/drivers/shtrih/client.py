"""Typed Shtrih-M calls on the driver's one device thread: a request in, the decoded answer or a `DeviceError` out.

Every blocking thing the driver does (the port, its journal's SQLite file) runs on one single-thread executor,
so the event loop never blocks and the device sees one command at a time. The layouts are
`fiscal.shtrih.commands`', shared with the emulator. A command the device refuses because it is still printing
(0x50) or waits for "continue printing" (0x58) is retried once the printer is idle, as real hosts do: the device
refused it, so it did not run, and sending it again is safe.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fiscal.shtrih import commands as c
from fiscal.shtrih.device_layouts import CashAmount, DeviceType, FullStatus, OpenCheck, PasswordOnly, ShortStatus
from fiscal.shtrih.errors import ErrorCode, describe
from fiscal.shtrih.fn_layouts import (
    Acknowledge,
    CloseCheckEx,
    CloseCheckExAnswer,
    FindDocument,
    FnExpiry,
    FnStatus,
    FoundDocument,
    OfdExchange,
    Operation,
    ReadCounters,
    ReadDocument,
    SendTlv,
    ShiftParams,
    StateReportAnswer,
)
from fiscal.shtrih.modes import Submode

from .link import HostLink, LinkError

T = TypeVar("T")
PRINTER_POLL = 0.05  # between two short-status questions while the device prints
WHOLE_READS = 8  # times a damaged FFF1/FFF2 whole is read again before the line counts as broken


class DeviceError(Exception):
    """The device answered with a non-zero error byte: the command did not run (`fiscal.shtrih.errors`)."""

    def __init__(self, command: int, code: int) -> None:
        name = c.COMMANDS[command].name if command in c.COMMANDS else f"command {command:#x}"
        super().__init__(f"{name}: {describe(code)}")
        self.command = command
        self.code = code


class ShtrihClient:
    def __init__(self, link: HostLink, *, operator_password: int = c.DEFAULT_OPERATOR_PASSWORD,
                 admin_password: int = c.DEFAULT_ADMIN_PASSWORD, print_timeout: float = 30.0) -> None:
        """`print_timeout`: how long a command waits for the printer to finish the previous document."""
        self.link = link
        self.operator_password = operator_password
        self.admin_password = admin_password
        self.print_timeout = print_timeout
        self.damaged_reads = 0  # whole documents whose CRC-32 did not match, read again (for logs and tests)
        self._executor: ThreadPoolExecutor | None = None

    async def open(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shtrih-device")
        await self.run(self.link.open)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self.link.close)
            executor.shutdown(wait=True)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on the device thread, after whatever was asked before it."""
        if self._executor is None:
            raise LinkError("the register's driver is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    # -- one command -----------------------------------------------------------------------------------------

    async def call(self, code: int, message: Any = None) -> Any:
        return await self.run(self.call_here, code, message)

    def call_here(self, code: int, message: Any = None) -> Any:
        """On the device thread: the answer's message; `DeviceError` for a refusal, `LinkError` for the line."""
        if not self.link.is_open:  # closed by an I/O failure: the device may be back (a USB adapter plugged in)
            self.link.open()
        if message is None:
            message = PasswordOnly(self.admin_password if c.COMMANDS[code].admin else self.operator_password)
        deadline = time.monotonic() + self.print_timeout
        while True:
            answer = c.decode_answer(self.link.exchange(c.encode_request(code, message)))
            if answer.ok:
                return answer.message
            if answer.error in (ErrorCode.STILL_PRINTING, ErrorCode.WAITING_FOR_CONTINUE) \
                    and time.monotonic() < deadline:
                self._wait_for_printer(code, deadline)
                continue
            raise DeviceError(code, answer.error)

    def _wait_for_printer(self, code: int, deadline: float) -> None:
        """Poll 0x10 until the submode is idle; "continue printing" (0xB0) when the paper is back."""
        while True:
            status: ShortStatus = self.call_here(c.SHORT_STATUS)
            submode = status.submode
            if submode == Submode.IDLE:
                return
            if submode in (Submode.NO_PAPER, Submode.NO_PAPER_PRINTING):
                raise DeviceError(code, ErrorCode.NO_PAPER)
            if submode == Submode.WAITING_CONTINUE:
                self.call_here(c.CONTINUE_PRINTING)
            elif time.monotonic() >= deadline:
                raise DeviceError(code, ErrorCode.STILL_PRINTING)
            else:
                time.sleep(PRINTER_POLL)  # on the device thread: the event loop goes on

    def _read_whole(self, code: int, request: Callable[[int], Any]) -> dict[str, Any]:
        """FFF1 / FFF2: chunk after chunk until the whole JSON is in, checked against the device's CRC-32 (a
        frame's XOR check misses some damage); a damaged whole is read again, a few times at most."""
        for _ in range(WHOLE_READS):
            data, length, crc = b"", None, 0
            while length is None or len(data) < length:
                chunk = self.call_here(code, request(len(data)))
                length, crc = chunk.length, chunk.crc32
                if not chunk.chunk and len(data) < length:
                    raise LinkError(f"the register's answer to {code:#x} stopped at {len(data)} of {length} bytes")
                data += chunk.chunk
            if len(data) == length and zlib.crc32(data) == crc:
                try:
                    parsed: dict[str, Any] = json.loads(data.decode())
                except ValueError:  # the CRC came through damaged too, in the same way: read it again
                    continue
                return parsed
            self.damaged_reads += 1
        raise LinkError(f"the register's answer to {code:#x} arrived damaged {WHOLE_READS} times")

    # -- typed calls (each a coroutine; the `_here` forms run on the device thread) --------------------------

    async def device_type(self) -> DeviceType:
        return await self.call(c.DEVICE_TYPE, c.COMMANDS[c.DEVICE_TYPE].request())

    async def short_status(self) -> ShortStatus:
        return await self.call(c.SHORT_STATUS)

    async def full_status(self) -> FullStatus:
        return await self.call(c.FULL_STATUS)

    async def fn_status(self) -> FnStatus:
        return await self.call(c.FN_STATUS)

    async def fn_expiry(self) -> FnExpiry:
        return await self.call(c.FN_EXPIRY)

    async def ofd_exchange(self) -> OfdExchange:
        return await self.call(c.FN_OFD_EXCHANGE)

    async def shift_params(self) -> ShiftParams:
        return await self.call(c.FN_SHIFT_PARAMS)

    async def find_document(self, fd: int) -> FoundDocument | None:
        """FF0A; None when the FN has no document `fd` (its "no data", 0x08)."""
        try:
            return await self.call(c.FN_FIND_DOCUMENT, FindDocument(fd, self.admin_password))
        except DeviceError as exc:
            if exc.code == ErrorCode.FN_NO_DATA:
                return None
            raise

    async def read_document(self, fd: int) -> dict[str, Any]:
        """FFF1 (ours): document `fd` whole, its tags as the FN model keeps them (plus `acknowledged`)."""
        return await self.run(self._read_whole, c.READ_DOCUMENT,
                              lambda offset: ReadDocument(fd, offset, self.admin_password))

    async def read_counters(self) -> dict[str, Any]:
        """FFF2 (ours): the shift's counters, as the FN model's X report has them."""
        return await self.run(self._read_whole, c.READ_COUNTERS,
                              lambda offset: ReadCounters(offset, self.admin_password))

    async def acknowledge(self, fd: int, operator_sign: str | None) -> bool:
        answer = await self.call(c.ACKNOWLEDGE, Acknowledge(fd, operator_sign or "", self.admin_password))
        return bool(answer.newly)

    async def send_tlv(self, data: bytes) -> None:
        await self.call(c.FN_SEND_TLV, SendTlv(data, self.operator_password))

    async def send_item_tlv(self, data: bytes) -> None:
        await self.call(c.FN_SEND_ITEM_TLV, SendTlv(data, self.operator_password))

    async def open_check(self, check_type: int) -> None:
        await self.call(c.OPEN_CHECK, OpenCheck(check_type, self.operator_password))

    async def begin_correction(self) -> None:
        await self.call(c.FN_BEGIN_CORRECTION)

    async def operation(self, item: Operation) -> None:
        await self.call(c.FN_OPERATION, item)

    async def close_check(self, close: CloseCheckEx) -> CloseCheckExAnswer:
        return await self.call(c.FN_CLOSE_CHECK_EX, close)

    async def cancel_check(self) -> None:
        await self.call(c.CANCEL_CHECK)

    async def open_shift(self) -> None:
        await self.call(c.OPEN_SHIFT)

    async def x_report(self) -> None:
        await self.call(c.X_REPORT)

    async def z_report(self) -> None:
        await self.call(c.Z_REPORT)

    async def state_report(self) -> StateReportAnswer:
        return await self.call(c.FN_STATE_REPORT)

    async def cash(self, kind: str, amount: int) -> None:
        await self.call(c.CASH_IN if kind == "in" else c.CASH_OUT, CashAmount(amount, self.operator_password))
