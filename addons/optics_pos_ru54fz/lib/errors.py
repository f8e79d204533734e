"""What can go wrong between an order and its fiscal data, each kind telling the caller what to do next.

Building the request fails before anything is sent (`ReceiptBuildError`: the order cannot be a receipt as it
is). Sending it fails in four ways that ask for different answers: retry later (`AdapterUnreachable`), retry
after the adapter's `Retry-After` (`AdapterBusy`), show the cashier what the register wants
(`RegisterRefused`), or stop until a person looks (`ReceiptRejected`). Retrying with the same idempotency key
is always safe: the adapter answers a repeat with the first receipt, never a second one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any


class ReceiptBuildError(ValueError):
    """The order cannot become the adapter's receipt; `field` names where (`lines[2].taxes`, `payments`, ...)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TaxMappingError(ReceiptBuildError):
    """A line's taxes name no VAT rate the register takes, or more than one."""


class TotalMismatch(ReceiptBuildError):
    """The receipt's items would not add up to the order's total: no request is made rather than a wrong one."""

    def __init__(self, field: str, receipt_total: Decimal, order_total: Decimal) -> None:
        self.receipt_total = receipt_total
        self.order_total = order_total
        self.difference = receipt_total - order_total
        super().__init__(field, f"the items add up to {receipt_total}, the order's total is {order_total} "
                                f"(difference {self.difference})")


class PaymentMismatch(ReceiptBuildError):
    """The payments do not settle the total (short, or change larger than the cash given)."""


class AdapterError(Exception):
    """Any failed call to the adapter; `status` is the HTTP status (None when there was no answer)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 body: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = dict(body or {})


class AdapterUnreachable(AdapterError):
    """No answer (refused, reset, timed out) or a failure of the adapter itself: retry later with the same key."""


class AdapterBusy(AdapterError):
    """The adapter cannot take it now (`buffer_full`, `still_fiscalizing`): retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RegisterRefused(AdapterError):
    """The register refuses (`shift_expired`, `shift_closed`, `fn_offline_limit`, `fn_expired`, `paper_out`,
    ...), with its `device_code`: show the cashier; once the cause is dealt with, retry with the same key."""

    def __init__(self, message: str, *, device_code: int | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.device_code = device_code


class ReceiptRejected(AdapterError):
    """The adapter refuses the request itself (422 validation, 409 `idempotency_conflict`, 401 token, ...): a
    retry gets the same answer, a person must look. `errors` lists each field and its problem."""

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = [dict(error) for error in errors]


class AdapterProtocolError(AdapterError):
    """An answer that is not the adapter's (not its JSON): the URL points somewhere else, a person must look."""
