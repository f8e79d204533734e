"""pytest plugin: real Redis, PostgreSQL, emulators and the KKT adapter as fixtures, and failure scenarios."""

from pytest_opticserp.adapter import KktAdapter
from pytest_opticserp.receipts import ReceiptFactory
from pytest_opticserp.scenarios import Scenarios
from pytest_opticserp.waiting import EventuallyTimeout, eventually

__all__ = ["EventuallyTimeout", "KktAdapter", "ReceiptFactory", "Scenarios", "eventually"]
