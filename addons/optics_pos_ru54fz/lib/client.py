"""The adapter's HTTP API as the POS server calls it, on `requests` (which Odoo ships), with typed errors.

One attempt per call: the caller decides when to retry (the order stays "to send", a cron takes it again), and
retries with the same idempotency key, which the adapter answers with the first result. Errors follow the
adapter's body, `{"error", "message", "errors"}` (plus `device_code` on a register's refusal); see `errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from .errors import (
    AdapterBusy,
    AdapterError,
    AdapterProtocolError,
    AdapterUnreachable,
    ReceiptRejected,
    RegisterRefused,
)
from .snapshot import Cashier

BUSY_CODES = frozenset({"buffer_full", "still_fiscalizing"})
KEY_HEADER = "X-Idempotency-Key"


@dataclass(frozen=True)
class FiscalResult:
    """The register's signature on one receipt: what the order stores and the customer's receipt shows."""

    receipt_id: str
    fiscal_doc_number: int  # FD, tag 1040
    fiscal_sign: str  # FP, tag 1077
    fn_serial: str  # FN, tag 1041
    shift_number: int
    receipt_number: int
    fiscal_datetime: str  # ISO 8601 with the register's offset
    qr: str
    ofd_status: str  # "pending": the OFD gets it later, asynchronously
    replayed: bool  # the adapter's stored answer to an earlier request with the same key
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class ShiftResult:
    """An open-shift report or a Z report (document 2 or 5) as the register signed it."""

    status: str  # "opened" or "closed"
    shift_number: int
    document: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class AdapterHealth:
    """GET /v1/health: what the POS settings show. The details need the token when the adapter has one."""

    status: str  # healthy, degraded, unhealthy
    circuit_breaker: str | None
    network_status: str | None
    pending_count: int | None
    dlq_count: int | None
    percent_full: float | None
    problems: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)


class AdapterClient:
    """Calls to one adapter. `timeout` bounds each call's wait for an answer; `connect_timeout` the connection.

    The session ignores proxy variables of the environment (`trust_env`): the adapter sits on the POS's own
    network, and a proxy meant for the internet must not carry receipts. Pass `session` to do otherwise.
    """

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0,
                 connect_timeout: float = 5.0, session: requests.Session | None = None) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the adapter's URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token or None
        self.timeout = (connect_timeout, timeout)
        if session is None:
            session = requests.Session()
            session.trust_env = False
        self.session = session

    def fiscalize(self, body: Mapping[str, Any], key: str) -> FiscalResult:
        """POST /v1/kkt/receipt; the body from `request.build_receipt`, the key from `keys.order_key`."""
        answer, replayed = self._call("POST", "/v1/kkt/receipt", body, key)
        try:
            fiscal = answer["fiscal"]
            return FiscalResult(
                receipt_id=str(answer["receipt_id"]), fiscal_doc_number=int(fiscal["fiscal_doc_number"]),
                fiscal_sign=str(fiscal["fiscal_sign"]), fn_serial=str(fiscal["fn_serial"]),
                shift_number=int(fiscal["shift_number"]), receipt_number=int(fiscal["receipt_number"]),
                fiscal_datetime=str(fiscal["datetime"]), qr=str(fiscal["qr"]),
                ofd_status=str(answer.get("ofd_status", "pending")), replayed=replayed, raw=answer,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AdapterProtocolError(f"the adapter's answer lacks the fiscal data ({exc!r})", status=200,
                                       body=answer) from None

    def open_shift(self, key: str, cashier: Cashier | None = None) -> ShiftResult:
        """POST /v1/kkt/shift/open: the open-shift report; `RegisterRefused` `shift_already_open` if one is."""
        return self._shift("open", key, cashier)

    def close_shift(self, key: str, cashier: Cashier | None = None) -> ShiftResult:
        """POST /v1/kkt/shift/close: the Z report; `RegisterRefused` `shift_closed` when none is open."""
        return self._shift("close", key, cashier)

    def shift(self) -> dict[str, Any]:
        """GET /v1/kkt/shift: `shift_open`, `shift_number`, `shift_expired`, `shift_expires_at`, ..."""
        return self._call("GET", "/v1/kkt/shift")[0]

    def buffer_status(self) -> dict[str, Any]:
        """GET /v1/kkt/buffer/status: counts of pending, synced, DLQ receipts, `percent_full`, `network_status`."""
        return self._call("GET", "/v1/kkt/buffer/status")[0]

    def health(self) -> AdapterHealth:
        """GET /v1/health; an unhealthy adapter answers 503 with the same body, returned here, not raised."""
        answer, _ = self._call("GET", "/v1/health", ok_statuses=(200, 503))
        buffer = answer.get("buffer") or {}
        return AdapterHealth(
            status=str(answer.get("status", "unknown")), circuit_breaker=answer.get("circuit_breaker"),
            network_status=answer.get("network_status") or buffer.get("network_status"),
            pending_count=buffer.get("pending_count"), dlq_count=buffer.get("dlq_count"),
            percent_full=buffer.get("percent_full"), problems=tuple(answer.get("problems") or ()), raw=answer,
        )

    def close(self) -> None:
        self.session.close()

    def _shift(self, action: str, key: str, cashier: Cashier | None) -> ShiftResult:
        body: dict[str, Any] | None = None
        if cashier is not None:
            body = {"cashier": {"name": cashier.name, **({"inn": cashier.inn} if cashier.inn else {})}}
        answer, replayed = self._call("POST", f"/v1/kkt/shift/{action}", body, key)
        try:
            return ShiftResult(str(answer["status"]), int(answer["shift_number"]), dict(answer["document"]), replayed)
        except (KeyError, TypeError, ValueError) as exc:
            raise AdapterProtocolError(f"the adapter's answer lacks the shift document ({exc!r})", status=200,
                                       body=answer) from None

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None, key: str | None = None,
              ok_statuses: tuple[int, ...] = (200,)) -> tuple[dict[str, Any], bool]:
        """The answer's JSON object and whether it was replayed; an `AdapterError` for anything else."""
        headers = {"Accept": "application/json"}
        if key is not None:
            headers[KEY_HEADER] = key
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.base_url + path
        try:
            response = self.session.request(method, url, json=body, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise AdapterUnreachable(f"the adapter at {self.base_url} did not answer in time ({exc}); retry with the "
                                     f"same key: what it signed meanwhile is returned, never signed twice") from None
        except requests.RequestException as exc:
            raise AdapterUnreachable(f"the adapter at {self.base_url} cannot be reached ({exc})") from None
        answer = _json_object(response)
        if response.status_code in ok_statuses and answer is not None:
            return answer, response.headers.get("Idempotent-Replayed", "").lower() == "true"
        raise _error(response, answer)


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _error(response: requests.Response, answer: dict[str, Any] | None) -> AdapterError:
    status = response.status_code
    if answer is None or not isinstance(answer.get("error"), str):
        text = response.text[:200]
        if status >= 500:
            return AdapterUnreachable(f"the adapter answered {status} without its error body: {text!r}",
                                      status=status)
        return AdapterProtocolError(f"an answer ({status}) that is not the adapter's: {text!r}; is the URL right?",
                                    status=status)
    code, message = answer["error"], str(answer.get("message") or answer["error"])
    details = {"status": status, "code": code, "body": answer}
    if code in BUSY_CODES:
        return AdapterBusy(message, retry_after=_seconds(response.headers.get("Retry-After")), **details)
    if "device_code" in answer:
        device_code = answer["device_code"]
        return RegisterRefused(message, device_code=device_code if isinstance(device_code, int) else None,
                               **details)
    if status >= 500:
        return AdapterUnreachable(message, **details)
    return ReceiptRejected(message, errors=[e for e in answer.get("errors") or () if isinstance(e, dict)], **details)


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds (the adapter sends seconds; an HTTP date is left to the caller's own backoff)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
