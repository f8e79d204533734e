"""Who may call the adapter: a Host allow-list, no state changes from other sites' pages, an optional token.

The adapter listens on the POS machine, where a browser also runs. Every request is checked, before any
route sees it, in this order:

1. `Host` must be on the allow-list (loopback names, the bind address, `KKT_ALLOWED_HOSTS`): otherwise 400,
   so a DNS-rebinding page cannot read even /v1/health.
2. A mutating request (POST, PUT, PATCH, DELETE) from another site's page is refused with 403: its `Origin`
   is not the adapter itself, or it says `Sec-Fetch-Site: cross-site`. Browsers always send `Origin` on a
   POST; curl, Odoo's server side and the tests send none, so the guide's bodyless
   `curl -X POST http://localhost:8000/v1/kkt/buffer/sync` keeps working.
3. With `KKT_API_TOKEN` set, every route but /v1/health (and the API description, /docs and
   /openapi.json, and the console's page at / with its assets (console/), which hold no data) needs
   `Authorization: Bearer <token>`: otherwise 401. /v1/health answers everyone, but shows the details only
   to a caller with the token; the console's page asks for the token and sends it with its data calls.
4. A mutating request with a body must say `Content-Type: application/json` (or a +json type): otherwise
   415. A page may send text/plain, a form or multipart to any address without asking the server first
   (no CORS preflight); JSON it may not, so this closes what step 2 might miss.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from fiscal.origin import SAFE_METHODS, HostAllowList, cross_site_reason, has_body, is_json_type

from .errors import error_body

HEALTH_PATH = "/v1/health"
OPEN_PATHS = {HEALTH_PATH, "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}
CONSOLE_PAGE, CONSOLE_ASSETS = "/", "/console/static/"  # a browser loads these without the token


def token_matches(authorization: str | None, token: SecretStr | None) -> bool:
    """True when no token is configured, or `Authorization: Bearer <token>` carries it (constant time)."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").strip().partition(" ")
    expected = token.get_secret_value().strip().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


class AccessGuard:
    """Pure ASGI, so a refused request costs no routing and no body parsing."""

    def __init__(self, app: ASGIApp, allowed_hosts: HostAllowList, token: SecretStr | None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def refusal(self, scope: Scope) -> JSONResponse | None:
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not self.allowed_hosts.allows(host):
            return _refuse(400, "host_not_allowed", "Host", f"host {host!r} is not served here; allowed: "
                           f"{self.allowed_hosts} (set KKT_ALLOWED_HOSTS to add names)")
        mutating = scope["method"] not in SAFE_METHODS
        if mutating:
            reason = cross_site_reason(headers.get("origin"), headers.get("sec-fetch-site"), host)
            if reason is not None:
                return _refuse(403, "cross_site_request", "Origin", reason)
        if not _open(scope["path"]) and not token_matches(headers.get("authorization"), self.token):
            return _refuse(401, "unauthorized", "Authorization", "send Authorization: Bearer <KKT_API_TOKEN>",
                           {"WWW-Authenticate": "Bearer"})
        body = has_body(headers.get("content-length"), headers.get("transfer-encoding"))
        if mutating and body and not is_json_type(headers.get("content-type")):
            given = headers.get("content-type") or "none"
            return _refuse(415, "unsupported_media_type", "Content-Type",
                           f"send Content-Type: application/json (got {given})")
        return None


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path == CONSOLE_PAGE or path.startswith(CONSOLE_ASSETS)


def _refuse(status: int, code: str, field: str, problem: str,
            headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, f"{field}: {problem}", [{"field": field, "problem": problem}]),
                        status_code=status, headers=headers)


ACCESS_ANSWERS = {
    400: "The Host header is not on the allow-list (loopback names, the bind address, KKT_ALLOWED_HOSTS)",
    401: "KKT_API_TOKEN is set and the request has no `Authorization: Bearer` with it",
    403: "A state-changing request from another site's page (its Origin, or Sec-Fetch-Site: cross-site)",
    413: "The body is larger than MAX_REQUEST_BYTES",
    415: "A state-changing request whose body is not declared application/json",
    431: "The headers are larger than MAX_HEADER_BYTES or more than MAX_HEADER_COUNT",
}


def document_access_answers(app: FastAPI) -> None:
    """List on every operation of the OpenAPI document what the server answers before any route sees it."""
    generate = app.openapi
    documented: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not documented:
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    _add_answers(operation.setdefault("responses", {}), path, method.upper() not in SAFE_METHODS)
            documented.append(True)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_answers(answers: dict[str, Any], path: str, mutating: bool) -> None:
    for status, text in ACCESS_ANSWERS.items():
        if (status in (403, 413, 415) and not mutating) or (status == 401 and path in OPEN_PATHS):
            continue
        listed = answers.get(str(status))
        if listed is not None:
            listed["description"] = f"{listed['description']}; or: {text}"
            continue
        answers[str(status)] = {"description": text, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
