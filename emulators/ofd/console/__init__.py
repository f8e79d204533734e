"""The OFD emulator's web console: the documents it received, the receipts as printed, the failure controls.

Server-rendered pages with a little plain JavaScript; every asset ships in the package (no CDN), so the
console works on a machine with no internet, as the emulator does.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..state import OfdState
from .routes import STATIC, STATIC_PATH, console_router


def add_console(app: FastAPI, state: OfdState) -> None:
    """Mount the console's pages at `/`, `/documents/...`, `/check` and its assets under `/console/static`."""
    app.include_router(console_router(state))
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="console-static")


__all__ = ["add_console"]
