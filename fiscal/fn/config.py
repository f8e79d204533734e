"""What a fiscal drive is registered with, and the limits it enforces.

Limits are the law's (24-hour shift, 30 days without an OFD acknowledgement) by default; they are settings
so a test can reach them in minutes of the drive's clock instead of days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from ..taxation import TAXATION_SYSTEMS

FFD_1_2 = 4  # tag 1209
WAITS_FOR_OFD = frozenset({1, 2, 3, 5, 6, 11, 21, 31})  # every fiscal document type goes to the OFD

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_problem(inn: str) -> str | None:
    """Why `inn` is not a taxpayer number (10 digits for an organisation, 12 for a person), or None.

    An OFD checks the control digits, so a register must not sign with a number that fails them."""
    if not re.fullmatch(r"\d{10}|\d{12}", inn):
        return "an INN is 10 digits (organisation) or 12 (person)"
    if len(inn) == 10:
        valid = _check_digit(inn, _INN10) == int(inn[9])
    else:
        valid = _check_digit(inn, _INN11) == int(inn[10]) and _check_digit(inn, _INN12) == int(inn[11])
    return None if valid else f"{inn} fails the INN control digits"


@dataclass(frozen=True)
class FnConfig:
    fn_serial: str  # 1041, used when the drive is registered; a registered drive keeps its own
    kkt_reg_number: str  # 1037
    kkt_serial: str = "0000000000000001"  # 1013
    user_inn: str = "7700000009"  # 1018
    user_name: str = "OpticsERP development shop"  # 1048
    address: str = "Moscow, test street 1"  # 1009
    place: str = "optics shop"  # 1187
    taxation_system: int = 1  # 1055 on receipts; 1062 on the registration report
    ffd_version: int = FFD_1_2  # 1209
    max_shift: timedelta = timedelta(hours=24)
    offline_limit: timedelta = timedelta(days=30)
    valid_for: timedelta = timedelta(days=456)  # 15 months from registration
    storage_limit: int = 250_000  # unacknowledged documents the drive holds
    auto_open_shift: bool = True  # a sale with no open shift opens one (the seed's curl relies on it)
    # Document types that count as unsent until the OFD acknowledges them: all, as on a real drive. A front-end
    # whose transport does not yet deliver some types narrows it; the others count as delivered when signed.
    waits_for_ofd: frozenset[int] = field(default=WAITS_FOR_OFD)

    def __post_init__(self) -> None:
        problems = []
        if not re.fullmatch(r"\d{16}", self.fn_serial):
            problems.append("fn_serial must be 16 digits")
        if not re.fullmatch(r"\d{1,20}", self.kkt_reg_number):
            problems.append("kkt_reg_number must be 1 to 20 digits")
        if not re.fullmatch(r"[0-9A-Za-z]{1,20}", self.kkt_serial):
            problems.append("kkt_serial must be 1 to 20 letters or digits")
        if (inn := inn_problem(self.user_inn)) is not None:
            problems.append(f"user_inn: {inn}")
        for name in ("user_name", "address", "place"):
            if not 1 <= len(getattr(self, name)) <= 256:
                problems.append(f"{name} must be 1 to 256 characters")
        if self.taxation_system not in TAXATION_SYSTEMS:
            problems.append(f"taxation_system must be one of {sorted(TAXATION_SYSTEMS)}")
        for name in ("max_shift", "offline_limit", "valid_for"):
            if getattr(self, name) <= timedelta(0):
                problems.append(f"{name} must be positive")
        if self.storage_limit < 1:
            problems.append("storage_limit must be at least 1")
        if problems:
            raise ValueError("; ".join(problems))
