"""The proxy's HTTP admin API (its own port), Toxiproxy-like: list, add and remove toxics, enable, disable."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from emulators._admin import (
    BadBody,
    document_bodies,
    error_responses,
    install_error_handlers,
    json_body,
    read_json_object,
)
from emulators._guard import guard_admin
from emulators.netfault.handle import NetfaultProxy
from emulators.netfault.toxics import TOXIC_TYPES, Toxic, build_toxic, toxic_to_json


def _first_problem(exc: ValidationError) -> BadBody:
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"]]
    if loc and loc[0] in TOXIC_TYPES:
        loc = loc[1:]  # pydantic puts the discriminator's value first
    field = ".".join(loc) or "type"
    message = err["msg"] if loc else f"{err['msg']}; known types: {', '.join(TOXIC_TYPES)}"
    return BadBody(field, message)


def create_admin_app(proxy: NetfaultProxy, *, bind_host: str = "127.0.0.1",
                     allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """Handlers run the proxy's blocking hand-over in a worker thread, so this server's loop never waits.

    Every path is an admin path: `bind_host` and `allowed_hosts` are the Host names answered besides loopback.
    """
    app = FastAPI(title="Network fault proxy admin", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    guard_admin(app, "/", bind_host, allowed_hosts)
    install_error_handlers(app)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "healthy", "listening": await asyncio.to_thread(lambda: proxy.listening)}

    @app.get("/proxy")
    async def describe() -> dict[str, Any]:
        return await asyncio.to_thread(proxy.describe)

    @app.post("/proxy/enable")
    async def enable() -> dict[str, Any]:
        await asyncio.to_thread(proxy.enable)
        return await asyncio.to_thread(proxy.describe)

    @app.post("/proxy/disable")
    async def disable() -> dict[str, Any]:
        await asyncio.to_thread(proxy.disable)
        return await asyncio.to_thread(proxy.describe)

    @app.post("/reset")
    async def reset() -> dict[str, Any]:
        await asyncio.to_thread(proxy.reset)
        return await asyncio.to_thread(proxy.describe)

    @app.get("/toxics")
    async def list_toxics() -> list[dict[str, Any]]:
        return [toxic_to_json(t) for t in await asyncio.to_thread(proxy.toxics)]

    @app.post(
        "/toxics",
        status_code=201,
        responses=error_responses({400: "Not a JSON object", 409: "A toxic with this name exists",
                                   422: "An unknown type, or a parameter missing or out of range"}),
        openapi_extra=json_body("Toxic"),
    )
    async def add_toxic(request: Request) -> Any:
        try:
            toxic = build_toxic(await read_json_object(request))
        except ValidationError as exc:
            raise _first_problem(exc) from None
        try:
            added = await asyncio.to_thread(proxy.add, toxic)
        except ValueError as exc:
            return JSONResponse({"status": "error", "field": "name", "message": str(exc)}, 409)
        return toxic_to_json(added)

    @app.get("/toxics/{name}", responses=error_responses({404: "No toxic with this name"}))
    async def get_toxic(name: str) -> Any:
        for toxic in await asyncio.to_thread(proxy.toxics):
            if toxic.name == name:
                return toxic_to_json(toxic)
        return JSONResponse({"status": "error", "field": "name", "message": f"no toxic named {name!r}"}, 404)

    @app.delete("/toxics/{name}", status_code=204, responses=error_responses({404: "No toxic with this name"}))
    async def remove_toxic(name: str) -> Response:
        try:
            await asyncio.to_thread(proxy.remove_toxic, name)
        except KeyError as exc:
            return JSONResponse({"status": "error", "field": "name", "message": exc.args[0]}, 404)
        return Response(status_code=204)

    document_bodies(app, {"Toxic": Toxic})
    return app
