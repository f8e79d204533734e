"""`OdooApiEmulator`: the Odoo heartbeat API in-process, on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime

from emulators._handle import HttpEmulatorHandle
from emulators.faults import FaultSettings
from emulators.odoo_api.state import OdooApiCounters, OdooApiState, ReceivedHeartbeat, utc_now

# Not in the seed; named after MOCK_OFD_* so both emulators are configured the same way.
ENV_PREFIX = "MOCK_ODOO_"


class OdooApiEmulator(HttpEmulatorHandle):
    """The Odoo API on `url`; its methods act on the running emulator's state directly."""

    def __init__(
        self,
        faults: FaultSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.state = OdooApiState(faults, clock=clock)
        from emulators.odoo_api.app import create_app  # FastAPI: paid by the sessions that start one

        super().__init__(create_app(self.state), host=host, port=port, on_shutdown=self.state.faults.release_held)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: object) -> OdooApiEmulator:
        """Configured by `MOCK_ODOO_FAILURE_MODE`, `MOCK_ODOO_FAILURE_COUNT`, `MOCK_ODOO_RESPONSE_DELAY`."""
        settings = FaultSettings.from_env(os.environ if environ is None else environ, ENV_PREFIX)
        return cls(settings, **kwargs)  # type: ignore[arg-type]

    def fail_next(self, count: int) -> None:
        self.state.faults.fail_next(count)

    def fail_permanently(self) -> None:
        self.state.faults.fail_permanently()

    def recover(self) -> None:
        self.state.faults.recover()

    def delay(self, seconds: float) -> None:
        self.state.faults.set_delay(seconds)

    def heartbeats(self) -> dict[str, ReceivedHeartbeat]:
        return self.state.heartbeats()

    def last_heartbeat(self, adapter_id: str) -> ReceivedHeartbeat | None:
        return self.state.last_heartbeat(adapter_id)

    @property
    def heartbeats_received(self) -> int:
        return self.state.heartbeats_received

    @property
    def counters(self) -> OdooApiCounters:
        return self.state.counters

    def wait_for(self, count: int, timeout: float = 10.0, *, adapter_id: str | None = None) -> None:
        self.state.wait_for(count, timeout, adapter_id=adapter_id)

    def reset(self) -> None:
        self.state.reset()
