"""`ShtrihRegister`: a Shtrih-M register (ШТРИХ-М-01Ф) behind the wire, on the fiscal drive model.

It answers one request payload at a time (command code + data -> command code + error byte + data); the
link layer (link.py) does the framing. The FN is `fiscal.fn.FiscalDrive` on `state_dir/fn.db`, registered
(FD 1) on first open as the adapter's mock register does, so both registers share one model and one
behaviour. The layouts are `fiscal.shtrih.commands`'; what the device refuses on its own rules it answers
with its own codes (0x4A check open, 0x4E shift over 24 h, 0x6B no paper, ...), what the FN refuses with the
drive's `device_code`.

Power: `power_cycle()` is the device switched off and on. The FN keeps everything it signed (its file); the
open check is kept too (the device's non-volatile memory, `check.py`), so a host recovering from a crash
finds mode 8 and cancels or completes it; a document being printed is cut off and not printed again, and
TLV tags sent with no check open are lost (RAM).

Choices of ours, with the protocol silent or unknown to us: the default FN has `auto_open_shift` off (a
sale in a closed shift is 0x3D: open it with 0xE0), 0xB0 with nothing to continue is a no-op, the through
document number (0x11, 0x50/0x51) is the FN's last FD plus the cash documents, the device's model byte and
protocol subversion (0xFC).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fiscal.fn import FiscalDrive, FnConfig, FnRefusal
from fiscal.shtrih import commands as c
from fiscal.shtrih.device_layouts import (
    FLAG_RECEIPT_PAPER,
    CashAnswer,
    CloseCheckAnswer,
    DeviceType,
    Empty,
    FullStatus,
    OperatorNumber,
    ShortStatus,
)
from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.fn_layouts import CloseCheckExAnswer, StateReportAnswer
from fiscal.shtrih.frames import answer_payload, split_request
from fiscal.shtrih.layout import LayoutError, password_of
from fiscal.shtrih.modes import Mode, mode_byte
from fiscal.shtrih.taxes import DEFAULT_TAX_TABLE, TaxTable

from . import fn_queries
from .check import CheckMemory
from .checkout import Checkout
from .device_error import DeviceError
from .fn_thread import FnThread
from .printer import Printer, Printout

DEVICE_NAME = "ШТРИХ-М-01Ф"
DEVICE_TYPE = DeviceType(device_type=0, subtype=0, protocol_version=1, protocol_subversion=13, model=0x9A,
                         language=0, name=DEVICE_NAME)
DEFAULT_REG_NUMBER = "0000000001012345"
FIRMWARE_DATE = date(2025, 6, 1)

Handler = Callable[[Any, int], Awaitable[Any]]


def new_fn_serial() -> str:
    """16 digits; 9999 marks a test FN."""
    return "9999" + "".join(secrets.choice("0123456789") for _ in range(12))


class ShtrihRegister:
    def __init__(self, state_dir: Path, *, print_delay: float = 0.0, clock: Callable[[], datetime] | None = None,
                 fn_config: FnConfig | None = None, sign_key: bytes | None = None,
                 tax_table: TaxTable = DEFAULT_TAX_TABLE, monotonic: Callable[[], float] = time.monotonic) -> None:
        """`clock` is the register's own (aware datetimes; the wire carries its local time); `fn_config` the FN's
        requisites and limits (default: a test FN, no automatic shift opening); `sign_key` the FN's fiscal sign
        key (default: kept in `state_dir/fn.key`, made on first open); `monotonic` times printing."""
        self.state_dir = Path(state_dir)
        self._clock = clock or (lambda: datetime.now().astimezone())
        self._config = fn_config or FnConfig(fn_serial=new_fn_serial(), kkt_reg_number=DEFAULT_REG_NUMBER,
                                             auto_open_shift=False)
        self._sign_key = sign_key
        self.taxes = tax_table
        self.printer = Printer(print_delay, monotonic)
        self._fn = FnThread(self.state_dir / "fn.db")
        self._drive: FiscalDrive | None = None
        self._checkout: Checkout | None = None
        self._lock = asyncio.Lock()
        self._handlers: dict[int, Handler] = {
            c.DEVICE_TYPE: self._device_type, c.SHORT_STATUS: self._short_status, c.FULL_STATUS: self._full_status,
            c.OPEN_SHIFT: self._open_shift, c.X_REPORT: self._x_report, c.Z_REPORT: self._z_report,
            c.CASH_IN: self._cash_in, c.CASH_OUT: self._cash_out, c.CONTINUE_PRINTING: self._continue,
            c.OPEN_CHECK: self._open_check, c.SALE: self._sale, c.RETURN_SALE: self._return_sale,
            c.CLOSE_CHECK: self._close_check, c.FN_CLOSE_CHECK_EX: self._close_check_ex,
            c.CANCEL_CHECK: self._cancel_check, c.FN_OPERATION: self._operation, c.FN_SEND_TLV: self._send_tlv,
            c.FN_SEND_ITEM_TLV: self._send_item_tlv, c.FN_BEGIN_CORRECTION: self._begin_correction,
            c.FN_STATE_REPORT: self._state_report,
            **{code: self._fn_query(code) for code in fn_queries.QUERIES},
        }  # fmt: skip

    # -- life ------------------------------------------------------------------------------------------------

    async def open(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        await self._fn.open()
        key = self._sign_key or await self._fn.call(self._stored_key)
        self._drive = FiscalDrive(self._config, key, self._clock)
        self._checkout = Checkout(self._fn, self._drive, self.printer, CheckMemory(self.state_dir / "check.json"),
                                  self.taxes)
        await self._fn.transaction(self._register)
        await self._checkout.load()

    def _stored_key(self) -> bytes:
        path = self.state_dir / "fn.key"
        if not path.exists():
            path.write_bytes(secrets.token_bytes(32))
        return path.read_bytes()

    def _register(self, conn: Any) -> None:
        self.drive.prepare(conn)
        if not self.drive.is_registered(conn):
            self.drive.register(conn)

    async def close(self) -> None:
        await self._fn.close()

    async def power_cycle(self) -> None:
        """Off and on: printing stops for good, the FN and the open check stay (see the module's docstring)."""
        async with self._lock:
            self.printer.power_off()
            await self._fn.close()
            await self._fn.open()
            assert self._checkout is not None
            await self._checkout.load()

    @property
    def paper_present(self) -> bool:
        return self.printer.paper_present

    @paper_present.setter
    def paper_present(self, present: bool) -> None:
        self.printer.paper_present = present

    @property
    def tape(self) -> list[Printout]:
        return self.printer.tape

    @property
    def drive(self) -> FiscalDrive:
        assert self._drive is not None, "the register is not open"
        return self._drive

    @property
    def checkout(self) -> Checkout:
        assert self._checkout is not None, "the register is not open"
        return self._checkout

    # -- one command -----------------------------------------------------------------------------------------

    async def execute(self, request: bytes) -> bytes:
        try:
            code, data = split_request(request)
        except ValueError:
            return request[:1] + bytes([ErrorCode.COMMAND_NOT_SUPPORTED])
        command, handler = c.COMMANDS.get(code), self._handlers.get(code)
        if command is None or handler is None:
            return answer_payload(code, ErrorCode.COMMAND_NOT_SUPPORTED)
        async with self._lock:
            try:
                operator = self._operator(command, data)
                answer = await handler(command.request.decode(data), operator)
            except DeviceError as refused:
                return answer_payload(code, refused.code)
            except FnRefusal as refused:
                return answer_payload(code, refused.device_code)
            except LayoutError:
                return answer_payload(code, ErrorCode.BAD_PARAMETERS)
            return c.encode_answer(code, answer)

    @staticmethod
    def _operator(command: c.Command, data: bytes) -> int:
        """The operator number of the request's password (0 for 0xFC); a wrong password is 0x4F."""
        if not command.password:
            return 0
        password = password_of(data)
        allowed = c.ADMIN_PASSWORDS if command.admin else c.OPERATOR_PASSWORDS
        if password not in allowed:
            raise DeviceError(ErrorCode.WRONG_PASSWORD)
        return password

    # -- status ----------------------------------------------------------------------------------------------

    async def _mode(self) -> int:
        checkout = self.checkout
        if checkout.check is not None:
            return mode_byte(Mode.CHECK_OPEN, checkout.check_type)
        shift = await self._fn.transaction(self.drive.shift_state)
        if not shift["shift_open"]:
            return Mode.SHIFT_CLOSED
        return Mode.SHIFT_EXPIRED if shift["shift_expired"] else Mode.SHIFT_OPEN

    def _flags(self) -> int:
        return FLAG_RECEIPT_PAPER if self.printer.paper_present else 0

    async def _device_type(self, request: Any, operator: int) -> DeviceType:
        return DEVICE_TYPE

    async def _short_status(self, request: Any, operator: int) -> ShortStatus:
        check = self.checkout.check
        return ShortStatus(operator, self._flags(), await self._mode(), self.printer.submode(),
                           len(check.items) if check else 0)

    async def _full_status(self, request: Any, operator: int) -> FullStatus:
        mode = await self._mode()
        status, cash_documents = await self._fn.transaction(
            lambda conn: (self.drive.status(conn), self.drive.cash_operation_count(conn)))
        now = self._clock()
        closed = status["shift_number"] - (1 if status["shift_open"] else 0)
        serial = int("".join(ch for ch in self._config.kkt_serial if ch.isdigit()) or 0) & 0xFFFFFFFF
        return FullStatus(
            operator=operator, firmware_version="C1", firmware_build=1, firmware_date=FIRMWARE_DATE,
            room_number=1, document_number=(status["last_fiscal_doc_number"] + cash_documents) & 0xFFFF,
            flags=self._flags(), mode=mode, submode=self.printer.submode(), port=0, fm_version="C1", fm_build=1,
            fm_date=FIRMWARE_DATE, date=now.date(), time=now.time().replace(microsecond=0, tzinfo=None),
            fm_flags=0, serial_number=serial, last_closed_shift=closed, free_fm_records=0, registrations=1,
            registrations_left=11, inn=int(self._config.user_inn),
        )

    def _fn_query(self, code: int) -> Handler:
        async def query(request: Any, operator: int) -> Any:
            return await fn_queries.answer(self._fn, self.drive, self.checkout, code, request, self._clock)

        return query

    # -- shift and reports -----------------------------------------------------------------------------------

    def _no_check(self) -> None:
        if self.checkout.check is not None:
            raise DeviceError(ErrorCode.CHECK_OPEN)

    async def _open_shift(self, request: Any, operator: int) -> Empty:
        self._no_check()
        self.printer.require(idle=True)
        cashier = fn_queries.cashier(self.checkout.take_cashier())
        document = await self._fn.transaction(lambda conn: self.drive.open_shift(conn, cashier))
        self.printer.print(Printout("open_shift", document.tags))
        return Empty()

    async def _x_report(self, request: Any, operator: int) -> OperatorNumber:
        self._no_check()
        self.printer.require(idle=True)
        report = await self._fn.transaction(self.drive.x_report)
        self.printer.print(Printout("x_report", report), report=True)
        return OperatorNumber(operator)

    async def _z_report(self, request: Any, operator: int) -> OperatorNumber:
        self._no_check()
        self.printer.require(idle=True)
        cashier = fn_queries.cashier(self.checkout.take_cashier())
        document = await self._fn.transaction(lambda conn: self.drive.close_shift(conn, cashier))
        self.printer.print(Printout("z_report", document.tags), report=True)
        return OperatorNumber(operator)

    async def _state_report(self, request: Any, operator: int) -> StateReportAnswer:
        """FF38: document 21, possible with the shift open or closed (not with a check open)."""
        self._no_check()
        self.printer.require(idle=True)
        document = await self._fn.transaction(self.drive.state_report)
        self.printer.print(Printout("state_report", document.tags))
        return StateReportAnswer(document.fd, int(document.fiscal_sign))

    async def _cash(self, kind: str, request: Any, operator: int) -> CashAnswer:
        self._no_check()
        self.printer.require(idle=True)
        drive = self.drive
        shift = await self._fn.transaction(drive.shift_state)
        if shift["shift_expired"]:
            raise DeviceError(ErrorCode.SHIFT_OVER_24H)

        def cash(conn: Any) -> tuple[Any, int]:
            done = drive.cash(conn, kind, request.amount)
            return done, drive.status(conn)["last_fiscal_doc_number"] + drive.cash_operation_count(conn)

        operation, number = await self._fn.transaction(cash)
        self.printer.print(Printout(f"cash_{kind}", operation.to_dict()))
        return CashAnswer(operator, number & 0xFFFF)

    async def _cash_in(self, request: Any, operator: int) -> CashAnswer:
        return await self._cash("in", request, operator)

    async def _cash_out(self, request: Any, operator: int) -> CashAnswer:
        return await self._cash("out", request, operator)

    async def _continue(self, request: Any, operator: int) -> OperatorNumber:
        self.printer.continue_printing()
        return OperatorNumber(operator)

    # -- the check -------------------------------------------------------------------------------------------

    async def _open_check(self, request: Any, operator: int) -> OperatorNumber:
        await self.checkout.open_check(request)
        return OperatorNumber(operator)

    async def _sale(self, request: Any, operator: int) -> OperatorNumber:
        await self.checkout.sale(request, 1)
        return OperatorNumber(operator)

    async def _return_sale(self, request: Any, operator: int) -> OperatorNumber:
        await self.checkout.sale(request, 2)
        return OperatorNumber(operator)

    async def _operation(self, request: Any, operator: int) -> Empty:
        await self.checkout.operation(request)
        return Empty()

    async def _send_tlv(self, request: Any, operator: int) -> Empty:
        await self.checkout.send_tlv(request)
        return Empty()

    async def _send_item_tlv(self, request: Any, operator: int) -> Empty:
        await self.checkout.send_item_tlv(request)
        return Empty()

    async def _begin_correction(self, request: Any, operator: int) -> Empty:
        await self.checkout.begin_correction()
        return Empty()

    async def _close_check(self, request: Any, operator: int) -> CloseCheckAnswer:
        change, _ = await self.checkout.close(request)
        return CloseCheckAnswer(operator, change)

    async def _close_check_ex(self, request: Any, operator: int) -> CloseCheckExAnswer:
        change, document = await self.checkout.close_ex(request)
        return CloseCheckExAnswer(change, document.fd, int(document.fiscal_sign),
                                  fn_queries.local(document.datetime, self._clock))

    async def _cancel_check(self, request: Any, operator: int) -> OperatorNumber:
        await self.checkout.cancel()
        return OperatorNumber(operator)
