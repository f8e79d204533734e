"""The admin endpoints answer local tools, not web pages: a Host allow-list and no cross-site changes.

The guide's own commands post JSON with curl's default form Content-Type
(`curl -X POST http://localhost:9000/ofd/v1/admin/set-failure -d '{"failure_count": 5}'`), or with no body
at all (`.../set-success`), so the admin endpoints keep reading JSON whatever the Content-Type. What tells
a web page apart is what every browser adds and curl does not: an `Origin` header on a POST (and
`Sec-Fetch-Site`). So, on the admin paths only:

- the `Host` header must be on the allow-list (loopback names, the bind address, `--allowed-host`), or 400:
  a DNS-rebinding page cannot read or change the emulator's state;
- a POST, PUT, PATCH or DELETE whose `Origin` is not the emulator itself, or that says
  `Sec-Fetch-Site: cross-site`, is refused with 403 whatever its body: text/plain, a form, multipart and a
  bodyless POST are exactly what a page may send anywhere without asking first.

The receiving endpoints (/ofd/v1/receipts, /api/v1/kkt/heartbeat) are left alone: the adapter reaches them
by whatever name the deployment gives (`mock_ofd:9000` in docker-compose.dev.yml).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from emulators._admin import EmulatorError
from fiscal.origin import SAFE_METHODS, HostAllowList, cross_site_reason


class AdminGuard:
    """Pure ASGI middleware checking requests under `prefix` ("/" for an admin-only app)."""

    def __init__(self, app: ASGIApp, prefix: str, allowed_hosts: HostAllowList) -> None:
        self.app = app
        self.prefix = prefix
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(scope) if scope["type"] == "http" and scope["path"].startswith(self.prefix) else None
        await (refusal or self.app)(scope, receive, send)

    def refusal(self, scope: Scope) -> JSONResponse | None:
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not self.allowed_hosts.allows(host):
            return _refuse(400, "Host", f"host {host!r} is not served here; allowed: {self.allowed_hosts} "
                           "(start the emulator with --allowed-host to add names)")
        if scope["method"] not in SAFE_METHODS:
            reason = cross_site_reason(headers.get("origin"), headers.get("sec-fetch-site"), host)
            if reason is not None:
                return _refuse(403, "Origin", reason)
        return None


def guard_admin(app: FastAPI, prefix: str, bind_host: str = "127.0.0.1", allowed_hosts: Iterable[str] = ()) -> None:
    """Install `AdminGuard` on a FastAPI app for the admin paths under `prefix`, and list its answers."""
    app.add_middleware(AdminGuard, prefix=prefix, allowed_hosts=HostAllowList.for_server(bind_host, allowed_hosts))
    _document_answers(app, prefix)


GUARD_ANSWERS = {
    400: "The Host header is not on the allow-list (loopback names, the bind address, --allowed-host)",
    403: "A state-changing request from another site's page (its Origin, or Sec-Fetch-Site: cross-site)",
}
HEADERS_TOO_LARGE = "The headers are larger than the server's limit, or too many (serving.py)"


def _document_answers(app: FastAPI, prefix: str) -> None:
    """The OpenAPI document lists what is answered before any route: the guard's refusals, and 431."""
    generate = app.openapi
    documented: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not documented:
            schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
                "EmulatorError", EmulatorError.model_json_schema())
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    answers = operation.setdefault("responses", {})
                    extra = {431: HEADERS_TOO_LARGE}
                    if path.startswith(prefix):
                        extra[400] = GUARD_ANSWERS[400]
                        if method.upper() not in SAFE_METHODS:
                            extra[403] = GUARD_ANSWERS[403]
                    for status, text in extra.items():
                        if str(status) in answers:
                            answers[str(status)]["description"] += f"; or: {text}"
                        else:
                            answers[str(status)] = {"description": text, "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/EmulatorError"}}}}
            documented.append(True)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _refuse(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "field": field, "message": message}, status)
