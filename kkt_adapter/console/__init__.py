"""The adapter's own web page: its health, buffer, FN, recent receipts and DLQ, for a developer at the POS.

The page holds no data: its script reads the adapter's JSON API (the same routes, the same access checks, the
token when one is set) every second. Buttons call the existing DLQ routes; the page adds no way to change state.
Every asset ships in the package (no CDN). KKT_CONSOLE=off leaves it unmounted: `/` and its assets answer 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..api.access import CONSOLE_ASSETS, CONSOLE_PAGE
from ..settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = CONSOLE_ASSETS.rstrip("/")
POLL_MS = 1000


def add_console(app: FastAPI, settings: Settings) -> None:
    """Mount the page at `/` and its assets under `/console/static`, unless KKT_CONSOLE is off."""
    if settings.kkt_console == "off":
        return
    templates = Jinja2Templates(directory=TEMPLATES)
    router = APIRouter(include_in_schema=False)
    token_required = settings.kkt_api_token is not None

    @router.get(CONSOLE_PAGE, response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "index.html", {
            "static": STATIC_PATH, "token_required": token_required, "poll_ms": POLL_MS,
        }, headers={"Cache-Control": "no-store"})

    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="adapter-console-static")


__all__ = ["add_console"]
