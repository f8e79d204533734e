"""The addon's fiscal logic in plain Python: no Odoo import here, so it is tested everywhere against the adapter.

`snapshot` (the order as values) -> `request.build_receipt` (the adapter's body) -> `client.AdapterClient`
(the call, typed errors in `errors`), with `keys` for idempotency keys, `taxes` for VAT rates and `shift` for
what a POS session does with the register's shift.
"""

from .client import AdapterClient, AdapterHealth, FiscalResult, ShiftResult
from .errors import (
    AdapterBusy,
    AdapterError,
    AdapterProtocolError,
    AdapterUnreachable,
    PaymentMismatch,
    ReceiptBuildError,
    ReceiptRejected,
    RegisterRefused,
    TaxMappingError,
    TotalMismatch,
)
from .keys import order_key, shift_key
from .request import build_receipt
from .shift import SessionShift, close_for_session, open_for_session
from .snapshot import Cashier, OrderLine, OrderSnapshot, Payment, Tax
from .taxes import VAT_RATES, amount_with_vat, line_vat_rate, tax_rate

__all__ = [
    "VAT_RATES", "AdapterBusy", "AdapterClient", "AdapterError", "AdapterHealth", "AdapterProtocolError",
    "AdapterUnreachable", "Cashier", "FiscalResult", "OrderLine", "OrderSnapshot", "Payment", "PaymentMismatch",
    "ReceiptBuildError", "ReceiptRejected", "RegisterRefused", "SessionShift", "ShiftResult", "Tax",
    "TaxMappingError", "TotalMismatch", "amount_with_vat", "build_receipt", "close_for_session", "line_vat_rate",
    "open_for_session", "order_key", "shift_key", "tax_rate",
]
