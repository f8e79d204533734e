"""HTTP clients for the harness's own plumbing, sharing one TLS context per process.

A new `httpx.Client` builds a TLS context and loads the CA bundle: about 35 ms of CPU, even for a plain
http:// URL. Readiness probes poll every 10 ms, so a fresh context per probe kept a whole core busy while
the server being started needed it (on 2 cores, that slowed every adapter start), and a drain benchmark
polling the status took 40% of a core from what it measured. With the context built once, a probe costs
about 0.5 ms. Verification stays on: https URLs are checked against the same CA bundle httpx uses.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import Any

import certifi
import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The context httpx would build: SSL_CERT_FILE or SSL_CERT_DIR when set, else certifi's bundle."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


def client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)` without building a TLS context of its own."""
    return httpx.Client(verify=tls_context(), **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """`httpx.get`, on a short-lived client with the shared TLS context (no connection is kept)."""
    with client() as http:
        return http.get(url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    with client() as http:
        return http.post(url, **kwargs)
