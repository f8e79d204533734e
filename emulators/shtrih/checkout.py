"""Building a check and closing it: the commands between 0x8D (or the first item) and 0x85/FF45 or 0x88.

The device checks what it can itself first (mode, paper, tax row, payments) with its own error codes; the
FN has the last word when the check is closed, and its refusal (0x16 shift over 24 h, 0x15 offline limit,
...) leaves the check open, as on a real register: the host cancels it or tries again.
"""

from __future__ import annotations

from typing import Any

from fiscal.fn import FiscalDrive, FnDocument
from fiscal.settlement import Settlement  # the payment forms, as the adapter and the OFD count them
from fiscal.shtrih import tlv
from fiscal.shtrih.device_layouts import CloseCheck, OpenCheck, Sale
from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.fn_layouts import CloseCheckEx, Operation, SendTlv
from fiscal.shtrih.modes import CHECK_OF_OPERATION, OPERATION_OF_CHECK, CheckType
from fiscal.shtrih.taxes import TaxTable

from .check import Check, CheckItem, CheckMemory
from .device_error import DeviceError
from .fn_thread import FnThread
from .printer import Printer, Printout


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


class Checkout:
    def __init__(self, fn: FnThread, drive: FiscalDrive, printer: Printer, memory: CheckMemory,
                 taxes: TaxTable) -> None:
        self._fn, self._drive, self._printer, self._memory, self._taxes = fn, drive, printer, memory, taxes
        self.check: Check | None = None
        self.pending: dict[str, Any] = {}  # FF0C tags sent with no check open: for the next document

    async def load(self) -> None:
        """After power-on: the check in non-volatile memory is open again; tags not yet in a check are lost."""
        self.check = await self._fn.call(self._memory.load)
        self.pending = {}

    async def _save(self) -> None:
        await self._fn.call(self._memory.save, self.check)

    @property
    def check_type(self) -> int:
        """Mode 8's status nibble."""
        if self.check is None or self.check.operation is None:
            return CheckType.SALE
        return CHECK_OF_OPERATION[self.check.operation]

    def take_cashier(self) -> dict[str, Any]:
        """The cashier tags sent for the next shift document (open shift, Z report)."""
        tags, self.pending = self.pending, {}
        return tags

    # -- opening -------------------------------------------------------------------------------------------

    async def require_can_open(self) -> None:
        """What a check may not start in: a check open, a shift over 24 h or closed, an FN that would refuse."""
        if self.check is not None:
            raise DeviceError(ErrorCode.CHECK_OPEN)
        status = await self._fn.transaction(self._drive.status)
        if status["shift_open"] and status["shift_expired"]:
            raise DeviceError(ErrorCode.SHIFT_OVER_24H)
        if not status["shift_open"] and not self._drive.config.auto_open_shift:
            raise DeviceError(ErrorCode.SHIFT_NOT_OPEN)
        if status["blocked"]:
            raise DeviceError(status["blocked"]["device_code"])

    async def open_check(self, request: OpenCheck) -> None:
        if request.check_type not in OPERATION_OF_CHECK:
            raise DeviceError(ErrorCode.BAD_PARAMETERS)
        self._printer.require(idle=True)
        await self._open(OPERATION_OF_CHECK[CheckType(request.check_type)], correction=False)

    async def begin_correction(self) -> None:
        """FF35: a correction check; its operation comes with its first item (FF46), its 1173/1174 by FF0C."""
        self._printer.require(idle=True)
        await self._open(None, correction=True)

    async def _open(self, operation: int | None, *, correction: bool) -> None:
        await self.require_can_open()
        self.check = Check(operation, correction, tags=self.pending)
        self.pending = {}
        await self._save()

    # -- items -----------------------------------------------------------------------------------------------

    async def sale(self, request: Sale, operation: int) -> None:
        """0x80 (operation 1) and 0x82 (2): a check of that type opens on the first item."""
        rate = self._taxes.rate(request.taxes[0])
        if rate is None or any(request.taxes[1:]) or request.quantity == 0:
            raise DeviceError(ErrorCode.BAD_PARAMETERS)
        amount = _half_up(request.quantity * request.price, 1000)
        await self._add(operation, CheckItem(request.text, request.price, request.quantity, amount, rate))

    async def operation(self, request: Operation) -> None:
        """FF46: the FFD 1.2 item; the FN keeps three decimals of a quantity, so finer ones are refused."""
        rate = self._taxes.rate_of_bits(request.tax_bits)
        if (rate is None or request.operation not in CHECK_OF_OPERATION or request.quantity == 0
                or request.quantity % 1000 or not 1 <= request.payment_method <= 7):
            raise DeviceError(ErrorCode.BAD_PARAMETERS)
        amount = request.amount
        if amount is None:
            amount = _half_up(request.quantity * request.price, 1_000_000)
        item = CheckItem(request.text, request.price, request.quantity // 1000, amount, rate,
                         request.payment_method, request.subject)
        await self._add(request.operation, item)

    async def _add(self, operation: int, item: CheckItem) -> None:
        self._printer.require(idle=False)
        if self.check is None:
            await self._open(operation, correction=False)
        assert self.check is not None
        if self.check.operation is None:
            self.check.operation = operation
        elif self.check.operation != operation:
            raise DeviceError(ErrorCode.BAD_OPERATION)
        self.check.items.append(item)
        await self._save()

    # -- tags ------------------------------------------------------------------------------------------------

    async def send_tlv(self, request: SendTlv) -> None:
        """FF0C: the document's tags; with no check open they wait for the next document."""
        tags: dict[str, Any] = {}
        for tag, value in tlv.parse(request.tlv):
            if tag == tlv.BUYER_CONTACT:
                tags["buyer_contact"] = tlv.as_string(value)
            elif tag == tlv.CASHIER:
                tags["cashier"] = tlv.as_string(value)
            elif tag == tlv.CASHIER_INN:
                tags["cashier_inn"] = tlv.as_string(value).strip()
            elif tag == tlv.CORRECTION_TYPE:
                tags["correction_type"] = tlv.as_number(value)
            elif tag == tlv.CORRECTION_BASIS:
                for inner, part in tlv.parse(value):
                    if inner == tlv.BASIS_DATE:
                        tags["basis_date"] = tlv.as_date(part).isoformat()
                    elif inner == tlv.ORDER_NUMBER:
                        tags["order_number"] = tlv.as_string(part)
            # Other tags are accepted and not kept: the drive model has no field for them.
        if self.check is None:
            self.pending.update(tags)
            return
        self.check.tags.update(tags)
        await self._save()

    async def send_item_tlv(self, request: SendTlv) -> None:
        """FF4D: tags of the last item (2000 marking code, 1162 product code, 1212, 1214)."""
        if self.check is None or not self.check.items:
            raise DeviceError(ErrorCode.WRONG_MODE)
        item = self.check.items[-1]
        for tag, value in tlv.parse(request.tlv):
            if tag == tlv.MARKING_CODE:
                item.marking_code = tlv.as_string(value)
            elif tag == tlv.PRODUCT_CODE:
                item.product_code = value.hex().upper()
            elif tag == tlv.SUBJECT_SIGN:
                item.subject = tlv.as_number(value)
            elif tag == tlv.PAYMENT_METHOD_SIGN:
                item.payment_method = tlv.as_number(value)
        await self._save()

    # -- closing ---------------------------------------------------------------------------------------------

    async def close(self, request: CloseCheck) -> tuple[int, FnDocument]:
        """0x85: payment 1 is cash, 2-4 cashless (all electronic, tag 1081). A discount is not modelled."""
        if request.discount:
            raise DeviceError(ErrorCode.BAD_PARAMETERS)
        cash, *cashless = request.payments
        return await self._close(Settlement(cash=cash, electronic=sum(cashless)))

    async def close_ex(self, request: CloseCheckEx) -> tuple[int, FnDocument]:
        """FF45: rounding is not modelled (must be 0); VAT sums sent are ignored, the drive computes them."""
        if request.rounding:
            raise DeviceError(ErrorCode.BAD_PARAMETERS)
        p = request.payments
        return await self._close(Settlement(p[0], request.electronic, p[13], p[14], p[15]))

    async def _close(self, paid: Settlement) -> tuple[int, FnDocument]:
        check = self.check
        if check is None:
            raise DeviceError(ErrorCode.WRONG_MODE)
        self._printer.require(idle=True)
        if not check.items:
            raise DeviceError(ErrorCode.ZERO_CHECK_TOTAL)
        total, cashless = check.total, paid.paid - paid.cash  # only cash gives change
        if cashless > total:
            raise DeviceError(ErrorCode.CASHLESS_OVER_TOTAL)
        if paid.paid < total:
            raise DeviceError(ErrorCode.PAYMENTS_LESS_THAN_TOTAL)
        kept = total - cashless
        receipt = check.receipt(cash=kept, electronic=paid.electronic, prepayment=paid.prepayment,
                                credit=paid.credit, other=paid.other)
        if check.correction:
            correction = check.correction_of(receipt)
            if correction is None:
                raise DeviceError(ErrorCode.BAD_PARAMETERS)
            document = await self._fn.transaction(lambda conn: self._drive.correct(conn, correction))
        else:
            document = await self._fn.transaction(lambda conn: self._drive.sell(conn, receipt))
        self.check = None
        await self._save()
        self._printer.print(Printout("correction" if check.correction else "receipt", document.tags))
        return paid.cash - kept, document

    async def cancel(self) -> None:
        """0x88: the check is dropped; the FN never saw it, so no FD number is taken."""
        if self.check is None:
            raise DeviceError(ErrorCode.WRONG_MODE)
        self._printer.require(idle=True)
        cancelled, self.check = self.check, None
        await self._save()
        self._printer.print(Printout("cancelled", {"total": cancelled.total, "items": len(cancelled.items)}))
