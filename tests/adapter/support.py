"""Helpers for the adapter tests: the seed's receipt and a handle on a running adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from emulators.serving import ServerThread
from kkt_adapter.settings import Settings


def seed_receipt(**changes: Any) -> dict[str, Any]:
    """The guide's §3.6 body, as its curl command sends it."""
    body = {
        "pos_id": "POS-001",
        "items": [{"name": "Очки солнцезащитные Ray-Ban", "quantity": 1, "price": 5000.00, "tax_rate": 20}],
        "total": 5000.00,
        "payment_method": "card",
    }
    body.update(changes)
    return body


@dataclass
class RunningAdapter:
    settings: Settings
    server: ServerThread
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def post_receipt(self, body: dict[str, Any] | None = None, key: str | None = "key-1",
                     **kwargs: Any) -> httpx.Response:
        headers = {"X-Idempotency-Key": key} if key is not None else {}
        return self.client.post("/v1/kkt/receipt", json=body or seed_receipt(), headers=headers, **kwargs)

    def status(self) -> dict[str, Any]:
        response = self.client.get("/v1/kkt/buffer/status")
        response.raise_for_status()
        return response.json()


def stop(adapter: RunningAdapter) -> None:
    adapter.client.close()
    adapter.server.stop()
