"""The adapter's state as people, monitors and Odoo see it: buffer status, health, heartbeat body."""

from __future__ import annotations

from typing import Any

from . import __version__
from .breaker import BreakerState
from .components import Components

DEGRADED_FILL_PERCENT = 80.0


async def buffer_status(parts: Components) -> dict[str, Any]:
    counts = await parts.buffer.counts()
    capacity = parts.settings.buffer_max_size
    return {
        "pending_count": counts.pending,
        "synced_count": counts.synced,
        "failed_count": counts.failed,
        "dlq_count": counts.dlq,
        "fiscalizing_count": counts.fiscalizing,
        # The FN's other documents (registration, shifts, reports) on their way to the OFD; the counts above are
        # receipts only, as the guide means them.
        "documents_pending": counts.documents_pending,
        "documents_failed": counts.documents_failed,
        "documents_dlq": counts.documents_dlq,
        "capacity": capacity,
        "percent_full": round(100 * counts.undelivered / capacity, 1),
        "network_status": parts.network.status.value,
    }


async def health_report(parts: Components) -> tuple[dict[str, Any], bool]:
    """The health body and whether the adapter is unhealthy (its buffer or register cannot be used).

    A register that answers but refuses sales (`kkt.blocked`: a shift over 24 h, the FN's 30-day limit, ...)
    makes it `degraded`, naming why in `problems`: the adapter works and says so to the POS with each refusal;
    someone must act on the register, and restarting the adapter would not help.
    """
    problems: list[str] = []
    unhealthy = False
    buffer: dict[str, Any] | None = None
    kkt: dict[str, Any] | None = None
    try:
        buffer = await buffer_status(parts)
    except Exception as exc:
        unhealthy = True
        problems.append(f"buffer unavailable: {exc}")
    try:
        kkt = await parts.driver.status()
    except Exception as exc:
        unhealthy = True
        problems.append(f"register unavailable: {exc}")
    breaker = parts.breaker.state
    if buffer is not None and buffer["percent_full"] >= DEGRADED_FILL_PERCENT:
        problems.append(f"buffer {buffer['percent_full']}% full")
    if breaker is not BreakerState.CLOSED:
        problems.append(f"circuit breaker {breaker.value}: OFD deliveries paused")
    blocked = (kkt or {}).get("blocked")
    if blocked:
        problems.append(register_blocked(blocked))
    lock = parts.lock.status()
    if lock["redis"].startswith("unreachable"):
        problems.append(f"Redis {lock['redis']}; syncing under a local lock")
    status = "unhealthy" if unhealthy else ("degraded" if problems else "healthy")
    return {
        "status": status,
        "circuit_breaker": breaker.value,
        "failures": parts.breaker.failures,
        "network_status": parts.network.status.value,
        "problems": problems,
        "buffer": buffer,
        "kkt": kkt,
        "sync_lock": lock,
        "last_sync": parts.worker.last_report.to_dict() if parts.worker.last_report else None,
        "heartbeat": parts.heartbeat.status() if parts.heartbeat else None,
        "kkt_mode": parts.settings.kkt_mode,
        "ofd_mode": parts.settings.ofd_mode,
        "version": __version__,
    }, unhealthy


def register_blocked(blocked: dict[str, Any]) -> str:
    """Why the register refuses sales now, as a person reads it: the stable code, the device's code, the cause."""
    device = blocked.get("device_code")
    device_text = f", device code 0x{device:02X}" if isinstance(device, int) else ""
    return f"the register cannot sign receipts ({blocked.get('code')}{device_text}): {blocked.get('message')}"


async def heartbeat_snapshot(parts: Components) -> dict[str, Any]:
    report, _ = await health_report(parts)
    return {key: report[key] for key in ("status", "circuit_breaker", "network_status", "buffer", "version")}
