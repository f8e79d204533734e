"""Who may talk to a local HTTP service from a browser: the Host allow-list and the cross-site checks.

A web page open on the POS machine can send requests to 127.0.0.1. Two things stop it:

- DNS rebinding: the page's own name (`attacker.example`) is made to resolve to 127.0.0.1, so the browser
  treats the service as same-origin and reads its answers. The request still says `Host: attacker.example`,
  so a service answers only Host names on its allow-list: loopback names, its bind address, and what it
  is configured with (`*` allows any).
- Cross-site requests: a page may POST to any address without asking (a "CORS-simple" request: text/plain,
  a form, multipart, or no body at all). Browsers always send `Origin` on a POST and `Sec-Fetch-Site` on
  every request, so a mutating request whose Origin is not the service itself, or that says
  `Sec-Fetch-Site: cross-site`, is refused. A client that is no browser (curl, the POS's server side, the
  tests) sends neither header and is not affected.

Written by hand rather than with Starlette's TrustedHostMiddleware, which answers in plain text, splits the
port off at the first colon (so `[::1]:8000` never matches) and knows no per-port entries.
"""

from __future__ import annotations

from collections.abc import Iterable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = {"", "0.0.0.0", "::"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None]:
    """`Host` header or allow-list entry → (name, port or None): `[::1]:8000` → ("::1", 8000)."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") > 1:  # a bare IPv6 address
        name, port = value, ""
    else:
        name, _, port = value.partition(":")
    if port and not port.isdigit():
        raise ValueError(f"{value!r}: the port must be a number")
    return name.rstrip("."), int(port) if port else None


def parse_host_list(text: str) -> tuple[str, ...]:
    """`"kkt_adapter, pos.shop:8000"` → ("kkt_adapter", "pos.shop:8000"); ValueError names a bad entry."""
    entries = tuple(entry.strip() for entry in text.split(",") if entry.strip())
    for entry in entries:
        if entry != "*":
            split_host(entry)
    return entries


class HostAllowList:
    """Host names (with any port, or only the one given) a service answers; `*` answers any."""

    def __init__(self, entries: Iterable[str]) -> None:
        entries = list(entries)
        self.any_host = "*" in entries
        self._entries = {split_host(entry) for entry in entries if entry != "*"}

    @classmethod
    def for_server(cls, bind_host: str, extra: Iterable[str] = ()) -> HostAllowList:
        """Loopback names, the bind address (unless it is every interface), and `extra`."""
        names = [*LOOPBACK_NAMES, *extra]
        if bind_host.strip("[]") not in WILDCARD_BINDS:
            names.append(bind_host)
        return cls(names)

    def allows(self, host_header: str | None) -> bool:
        """A request without Host (HTTP/1.0) comes from no browser, so it is answered."""
        if self.any_host or host_header is None:
            return True
        try:
            name, port = split_host(host_header)
        except ValueError:
            return False
        return (name, None) in self._entries or (port is not None and (name, port) in self._entries)

    def __str__(self) -> str:
        shown = sorted(f"[{n}]" if ":" in n else n for n, _ in self._entries)
        return "any host" if self.any_host else ", ".join(dict.fromkeys(shown))


def same_origin(origin: str, host_header: str | None) -> bool:
    """Whether a browser's `Origin` is the service itself (same host and port as the request's Host)."""
    scheme, sep, authority = origin.strip().lower().partition("://")
    if not sep or not authority or host_header is None:
        return False
    try:
        origin_name, origin_port = split_host(authority)
        host_name, host_port = split_host(host_header)
    except ValueError:
        return False
    default = DEFAULT_PORTS.get(scheme)
    return origin_name == host_name and (origin_port or default) == (host_port or default)


def cross_site_reason(origin: str | None, fetch_site: str | None, host_header: str | None) -> str | None:
    """Why a mutating request comes from another site's page, or None when it does not."""
    if origin is not None and not same_origin(origin, host_header):
        return f"a web page at {origin} may not change this service's state"
    if fetch_site is not None and fetch_site.strip().lower() == "cross-site":
        return "a web page on another site may not change this service's state (Sec-Fetch-Site: cross-site)"
    return None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_type(content_type: str | None) -> bool:
    """application/json or any application/...+json type."""
    media = media_type(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def has_body(content_length: str | None, transfer_encoding: str | None) -> bool:
    if transfer_encoding is not None:
        return True
    return content_length is not None and content_length.strip() not in ("", "0")
