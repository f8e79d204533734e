"""The adapter's FastAPI app, built by a factory so tests and the CLI each get their own instance."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__
from .api import cash, correction, delivery, fn, receipts, recent, shift, status
from .api.access import AccessGuard, document_access_answers
from .api.errors import BodySizeLimit, install_error_handlers
from .api.json_body import document_bodies
from .components import Components, build_driver, build_ofd
from .console import add_console
from .correction import CorrectionIn
from .drivers.base import KktDriver
from .health import heartbeat_snapshot
from .hlc import wall_clock_ms
from .receipt import ReceiptIn
from .settings import Settings


def create_app(settings: Settings, *, driver: KktDriver | None = None,
               wall_ms: Callable[[], int] = wall_clock_ms, wall: Callable[[], float] = time.time,
               monotonic: Callable[[], float] = time.monotonic) -> FastAPI:
    """Raises ConfigurationError at once for settings that cannot work, before anything is served.

    The clocks are the ones `Components.start` takes: tests pass their own to step time.
    """
    driver = driver or build_driver(settings)
    ofd = build_ofd(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.components = await Components.start(settings, driver, wall_ms, ofd=ofd,
                                                      heartbeat_body=heartbeat_snapshot, wall=wall,
                                                      monotonic=monotonic)
        try:
            yield
        finally:
            await app.state.components.stop()

    app = FastAPI(
        title="OpticsERP KKT adapter",
        version=__version__,
        description="Offline-first fiscalization (54-FZ): the POS posts receipts, the adapter signs them on "
        "the register, keeps them durably and delivers them to the OFD.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AccessGuard, allowed_hosts=settings.allowed_hosts, token=settings.kkt_api_token)
    app.include_router(receipts.router)
    app.include_router(shift.router)
    app.include_router(correction.router)
    app.include_router(fn.router)
    app.include_router(cash.router)
    document_bodies(app, {"ReceiptIn": ReceiptIn, "ShiftCallIn": shift.ShiftCallIn, "CorrectionIn": CorrectionIn,
                          "CashMovementIn": cash.CashIn})
    app.include_router(status.router)
    app.include_router(recent.router)
    app.include_router(delivery.router)
    document_access_answers(app)
    add_console(app, settings)
    return app
