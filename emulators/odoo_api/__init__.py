"""The Odoo API stand-in the adapter reports its heartbeat to, with failure injection."""

from emulators.odoo_api.app import create_app
from emulators.odoo_api.handle import OdooApiEmulator
from emulators.odoo_api.heartbeats import Heartbeat
from emulators.odoo_api.state import OdooApiCounters, OdooApiState, ReceivedHeartbeat

__all__ = [
    "Heartbeat",
    "OdooApiCounters",
    "OdooApiEmulator",
    "OdooApiState",
    "ReceivedHeartbeat",
    "create_app",
]
