"""The Odoo API emulator's HTTP API (the seed's `/api/v1/...`) over an `OdooApiState`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from emulators._admin import (
    BadBody,
    SetDelay,
    SetFailure,
    add_failure_routes,
    document_bodies,
    error_responses,
    install_error_handlers,
    json_body,
)
from emulators._guard import guard_admin
from emulators.odoo_api.heartbeats import Heartbeat, parse_heartbeat
from emulators.odoo_api.state import OdooApiState


def create_app(state: OdooApiState | None = None, *, bind_host: str = "127.0.0.1",
               allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """`bind_host` and `allowed_hosts` are the Host names the admin endpoints answer besides loopback."""
    state = state or OdooApiState()
    app = FastAPI(title="Odoo API emulator", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    guard_admin(app, "/api/v1/admin", bind_host, allowed_hosts)
    app.state.odoo_api = state
    install_error_handlers(app)

    @app.get("/api/v1/health")
    async def health() -> dict[str, Any]:
        # Exactly the seed's keys; counters live under /api/v1/admin/stats.
        return {"status": "healthy", "heartbeats_received": state.heartbeats_received}

    @app.post(
        "/api/v1/kkt/heartbeat",
        responses=error_responses({400: "Not a JSON object", 422: "A field is missing or invalid",
                                   503: "An injected failure, or the emulator is stopping"}),
        openapi_extra=json_body("Heartbeat"),
    )
    async def receive_heartbeat(request: Request) -> JSONResponse:
        """Where a heartbeat arrives. In order: counted, delayed, failure-injected (503, nothing stored),
        validated (400/422 naming the field), stored as the adapter's last heartbeat."""
        state.note_call()
        delay = state.faults.delay
        if delay and not await state.faults.hold(delay):
            return JSONResponse({"status": "error", "message": "the emulator is stopping"}, 503)
        if state.faults.take_failure():
            state.note_injected_failure()
            return JSONResponse({"status": "error", "message": "Odoo temporarily unavailable (injected failure)"}, 503)
        try:
            heartbeat, raw = parse_heartbeat(await request.body())
        except BadBody:
            state.note_rejected()
            raise
        received = state.store(heartbeat.adapter_id, raw)
        return JSONResponse({"status": "ok", "received_at": received.received_at.isoformat()})

    add_failure_routes(app, "/api/v1/admin", state.faults)

    @app.get("/api/v1/admin/heartbeats")
    async def list_heartbeats(adapter_id: str | None = None) -> dict[str, Any]:
        last = state.heartbeats()
        if adapter_id is not None:
            last = {k: v for k, v in last.items() if k == adapter_id}
        return {
            "heartbeats_received": state.heartbeats_received,
            "adapters": {k: v.to_json() for k, v in last.items()},
        }

    @app.get("/api/v1/admin/stats")
    async def stats() -> dict[str, Any]:
        return state.stats()

    @app.post("/api/v1/admin/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {"status": "ok", **state.stats()}

    document_bodies(app, {"Heartbeat": Heartbeat, "SetFailure": SetFailure, "SetDelay": SetDelay})
    return app
