"""A cap on request header size and count, for the adapter and the emulators alike.

Uvicorn bounds headers only under h11; under httptools (our default, the faster parser) a header arriving
in many reads is joined by repeated bytes concatenation, quadratic in its size: a 64 MB header froze the
event loop for 3 s. Nothing in the ASGI app can help, since the app sees a request only after its headers
are parsed, so the limit lives in the protocol: bytes and header lines are counted after each read while
a request's head is incomplete, and measured exactly once it is complete; a request over either limit is
answered 431 with the caller's JSON error body and its connection closed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from fiscal.header_limits import DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT

ErrorBody = Callable[[str], dict[str, Any]]


class _Refused(Exception):
    pass


class HeaderLimitedProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with header limits; build a configured subclass with `limited_protocol`."""

    max_header_bytes = DEFAULT_MAX_HEADER_BYTES
    max_header_count = DEFAULT_MAX_HEADER_COUNT

    @staticmethod
    def error_body(problem: str) -> dict[str, Any]:
        return {"error": "headers_too_large", "message": problem}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request line and headers, as opposed to a body
        self._head_bytes = 0
        self._refusal: str | None = None

    def data_received(self, data: bytes) -> None:
        counted = self._in_head
        if counted:
            self._head_bytes += len(data)
        super().data_received(data)
        if counted and self._in_head and self._refusal is None:  # the head is still incomplete
            if self._head_bytes > self.max_header_bytes:
                self._refuse(f"request line and headers exceed {self.max_header_bytes} bytes")
            elif self.headers is not None and len(self.headers) > self.max_header_count:
                self._refuse(f"more than {self.max_header_count} header lines")

    def on_headers_complete(self) -> None:
        # A head that arrived in one read is complete before data_received can count it: measure it here.
        if len(self.headers) > self.max_header_count:
            self._stop(f"more than {self.max_header_count} header lines")
        if len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers) > self.max_header_bytes:
            self._stop(f"request line and headers exceed {self.max_header_bytes} bytes")
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def _stop(self, problem: str) -> None:
        self._refusal = problem
        raise _Refused  # stops the parser; uvicorn then calls send_400_response, which answers 431

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:
            self._refuse(self._refusal)
        else:
            super().send_400_response(msg)

    def _refuse(self, problem: str) -> None:
        self._refusal = problem
        if self.transport.is_closing():
            return
        body = json.dumps(self.error_body(problem), ensure_ascii=False).encode()
        self.logger.warning("Refused a request: %s", problem)
        self.transport.write(b"".join([
            STATUS_LINE[431], b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body,
        ]))
        self.transport.close()


def limited_protocol(max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
                     max_header_count: int = DEFAULT_MAX_HEADER_COUNT,
                     error_body: ErrorBody | None = None) -> type[HeaderLimitedProtocol]:
    """A protocol class for `uvicorn.run(..., http=...)` with these limits and this 431 body."""
    attributes: dict[str, Any] = {"max_header_bytes": max_header_bytes, "max_header_count": max_header_count}
    if error_body is not None:
        attributes["error_body"] = staticmethod(error_body)
    return type("LimitedHttpToolsProtocol", (HeaderLimitedProtocol,), attributes)
