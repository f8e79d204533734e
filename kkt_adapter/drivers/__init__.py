"""Register drivers: `mock` emulates a register with a fiscal drive; `real` talks to a serial device."""

from .base import FiscalData, KktDriver, KktError

__all__ = ["FiscalData", "KktDriver", "KktError"]
