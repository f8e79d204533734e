"""`BadBody`: a request body an emulator refuses, in a module of its own so that what raises it (the heartbeat
model, read by the pytest plugin's Odoo API handle) does not import FastAPI with the admin routes."""

from __future__ import annotations


class BadBody(Exception):
    """A request body the emulator refuses; answered as `{"status": "error", "field", "message"}`."""

    def __init__(self, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code
