"""What the OFD contacts really did, summarised as the seed's `network_status`.

UNKNOWN until the first contact; ONLINE when the last contact was answered; DEGRADED when the OFD answers
but with errors; OFFLINE when it could not be reached (refused, reset, timed out).
"""

from __future__ import annotations

from enum import StrEnum


class NetworkStatus(StrEnum):
    UNKNOWN = "UNKNOWN"
    ONLINE = "ONLINE"
    DEGRADED = "DEGRADED"
    OFFLINE = "OFFLINE"


class NetworkMonitor:
    def __init__(self) -> None:
        self._status = NetworkStatus.UNKNOWN

    @property
    def status(self) -> NetworkStatus:
        return self._status

    def answered(self) -> None:
        self._status = NetworkStatus.ONLINE

    def answered_with_error(self) -> None:
        self._status = NetworkStatus.DEGRADED

    def unreachable(self) -> None:
        self._status = NetworkStatus.OFFLINE
