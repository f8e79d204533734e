"""`OfdEmulator`: the OFD emulator in-process, on a free loopback port, controlled from the test thread."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime

from emulators._handle import HttpEmulatorHandle
from emulators.faults import FaultSettings
from emulators.ofd.documents import VAT_CODES
from emulators.ofd.sequence import FnSequence
from emulators.ofd.state import (
    DEFAULT_OFD_INN,
    DEFAULT_OPERATOR_KEY,
    OfdCounters,
    OfdState,
    ReceivedDocument,
    utc_now,
)

ENV_PREFIX = "MOCK_OFD_"


class OfdEmulator(HttpEmulatorHandle):
    """The OFD on `url`; its methods act on the running emulator's state directly, not over HTTP."""

    def __init__(
        self,
        faults: FaultSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        operator_key: bytes = DEFAULT_OPERATOR_KEY,
        ofd_inn: str = DEFAULT_OFD_INN,
        clock: Callable[[], datetime] = utc_now,
        vat_codes: Mapping[int, str] = VAT_CODES,
    ) -> None:
        self.state = OfdState(faults, operator_key=operator_key, ofd_inn=ofd_inn, clock=clock, vat_codes=vat_codes)
        from emulators.ofd.app import create_app  # FastAPI: paid by the sessions that start one

        super().__init__(create_app(self.state), host=host, port=port, on_shutdown=self.state.faults.release_held)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: object) -> OfdEmulator:
        """Configured by `MOCK_OFD_FAILURE_MODE`, `MOCK_OFD_FAILURE_COUNT`, `MOCK_OFD_RESPONSE_DELAY`."""
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

    def received(
        self,
        *,
        fn_serial: str | None = None,
        fiscal_doc_number: int | None = None,
        since: datetime | None = None,
    ) -> list[ReceivedDocument]:
        return self.state.received(fn_serial=fn_serial, fiscal_doc_number=fiscal_doc_number, since=since)

    def receipts(
        self,
        *,
        fn_serial: str | None = None,
        since: datetime | None = None,
    ) -> list[ReceivedDocument]:
        """`received()` less the FN's shift, registration and report documents."""
        return self.state.receipts(fn_serial=fn_serial, since=since)

    def fn_sequence(self, fn_serial: str) -> FnSequence:
        """What `GET /ofd/v1/fn/{fn}` answers; raises `UnknownFn` for an FN the OFD never heard of."""
        return self.state.fn_sequence(fn_serial)

    @property
    def receipts_received(self) -> int:
        return self.state.receipts_received

    @property
    def counters(self) -> OfdCounters:
        return self.state.counters

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedDocument]:
        """Waits for `count` receipts (not documents of other types) and returns the receipts, in the order they
        arrived: an adapter delivers several at once, so sort by `fiscal_doc_number` where the order matters."""
        return self.state.wait_for(count, timeout)

    def reset(self) -> None:
        self.state.reset()
