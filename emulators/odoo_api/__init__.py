"""The Odoo API stand-in the adapter reports its heartbeat to, with failure injection."""

from emulators.odoo_api.handle import OdooApiEmulator
from emulators.odoo_api.heartbeats import Heartbeat
from emulators.odoo_api.state import OdooApiCounters, OdooApiState, ReceivedHeartbeat
from fiscal.lazy import lazy_exports

# Built on FastAPI: imported when first used (see fiscal.lazy).
__getattr__ = lazy_exports(__name__, {"create_app": "emulators.odoo_api.app"})

__all__ = [
    "Heartbeat",
    "OdooApiCounters",
    "OdooApiEmulator",
    "OdooApiState",
    "ReceivedHeartbeat",
    "create_app",
]
