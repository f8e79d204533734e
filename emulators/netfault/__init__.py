"""A network fault proxy: Toxiproxy-like toxics between the adapter and the services it calls.

Our own rather than Toxiproxy because Toxiproxy is a Go binary (plus a server to run beside the tests)
that no PyPI package ships, and the machines that run these tests have no Docker. An asyncio proxy of a
few hundred lines runs in-process, starts in milliseconds and can be driven from a test directly.

`ToxicProxy` (proxy.py) does the forwarding on an event loop; `NetfaultProxy` (handle.py) runs it in a
thread for synchronous callers; `create_admin_app` (admin.py) exposes it over HTTP; toxics.py says what
each toxic does.
"""

from emulators.netfault.handle import NetfaultProxy, parse_address
from emulators.netfault.proxy import ToxicProxy
from emulators.netfault.toxics import (
    Bandwidth,
    Blackhole,
    Down,
    Latency,
    ResetPeer,
    SlowClose,
    Toxic,
    build_toxic,
)
from fiscal.lazy import lazy_exports

# Built on FastAPI: imported when first used (see fiscal.lazy).
__getattr__ = lazy_exports(__name__, {"create_admin_app": "emulators.netfault.admin"})

__all__ = [
    "Bandwidth",
    "Blackhole",
    "Down",
    "Latency",
    "NetfaultProxy",
    "ResetPeer",
    "SlowClose",
    "Toxic",
    "ToxicProxy",
    "build_toxic",
    "create_admin_app",
    "parse_address",
]
