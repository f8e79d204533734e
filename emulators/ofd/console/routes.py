"""The console's pages and the JSON its script polls; none of it is part of the OFD's API (not in OpenAPI).

The failure controls on the front page post to the existing admin endpoints (`/ofd/v1/admin/set-*`) from the
page's own origin, which the admin guard lets through; the console adds no second way to change the state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from ..documents import DOC_TYPES, RECEIPT, RECEIPT_TYPES
from ..state import OfdState
from .checker import FIELDS, check_receipt, fields_from_qr
from .feed import ALL, STATUSES, Filters, feed, mode_text
from .slip import build_slip
from .tags import tag_rows

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/console/static"
REGISTRATION = 1


def console_router(state: OfdState) -> APIRouter:
    templates = Jinja2Templates(directory=TEMPLATES)
    fragments = templates.env.get_template("_fragments.html").module
    router = APIRouter(include_in_schema=False)

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"static": STATIC_PATH, **context}, status_code=status_code)

    @router.get("/", response_class=HTMLResponse)
    async def index(request: Request, fn: str = ALL, type: str = ALL, status: str = ALL) -> HTMLResponse:
        current = feed(state, Filters(fn, type, status))
        return page(request, "index.html", {"feed": current, "types": list(DOC_TYPES.values()),
                                            "statuses": STATUSES})

    @router.get("/console/api/documents")
    async def documents(fn: str = ALL, type: str = ALL, status: str = ALL) -> JSONResponse:
        """The front page's poll: the data, and the table body and sequences rendered as on the first load."""
        current = feed(state, Filters(fn, type, status))
        return JSONResponse({**current.to_json(), "rows_html": str(fragments.rows(current.documents)),
                             "sequences_html": str(fragments.sequences(current.sequences))})

    @router.get("/console/api/mode")
    async def mode() -> dict[str, Any]:
        snapshot = state.faults.snapshot()
        return {"text": mode_text(snapshot), **snapshot}

    @router.get("/documents/{fn}/{fd}", response_class=HTMLResponse)
    async def document(request: Request, fn: str, fd: str) -> HTMLResponse:
        found = state.received(fn_serial=fn, fiscal_doc_number=int(fd)) if fd.isdigit() else []
        if not found:
            return page(request, "not_found.html", {"fn": fn, "fd": fd}, 404)
        received = found[0]
        doc_type = received.document.get("doc_type", RECEIPT)
        slip = None
        if doc_type in RECEIPT_TYPES:
            registrations = [r.document for r in state.received(fn_serial=fn)
                             if r.document.get("doc_type") == REGISTRATION]
            slip = build_slip(received.document, registrations[-1] if registrations else None)
        return page(request, "document.html", {
            "fn": fn, "fd": int(fd), "type": DOC_TYPES.get(doc_type, str(doc_type)), "received": received,
            "rows": tag_rows(received.document), "slip": slip,
        })

    @router.get("/check", response_class=HTMLResponse)
    async def check(request: Request, qr: str = "") -> HTMLResponse:
        """The form; with any field given, its result too (a plain GET form, rendered here)."""
        given = {name: request.query_params.get(name, "") for name in FIELDS}
        if qr.strip():
            given = fields_from_qr(qr)
        asked = bool(qr.strip()) or any(name in request.query_params for name in FIELDS)
        result = check_receipt(state, given) if asked else None
        return page(request, "check.html", {"given": given, "qr": qr, "result": result})

    return router
