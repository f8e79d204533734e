"""`@pytest.mark.kkt_register(...)`: the register (mock or serial) found in a given state when the adapter starts.

    @pytest.mark.kkt_register(shift_opened_hours_ago=25)      # sales refused: shift_expired (FN 0x16)
    @pytest.mark.kkt_register(oldest_unsent_days=31)          # everything refused: fn_offline_limit (FN 0x15)
    @pytest.mark.kkt_register(fn_expires_in_days=1)           # the FN expires tomorrow (fn_expired, FN 0x05)

The state is written into the adapter's fiscal drive file before the adapter starts, by the fiscal drive
model itself (`fiscal.fn.FiscalDrive`, built as the adapter builds it) with its clock set in the past: the
registration, shifts and receipts are real documents, numbered and signed, so a state the real drive could
not reach (a receipt after the FN expired, a shift opened past the offline limit) is a usage error with the
drive's own refusal. Receipts written here are the FN's alone: the adapter's buffer does not hold them, so
it never delivers them, and a drive blocked by `oldest_unsent_days` stays blocked for the test. The other
documents (registration, shifts) count as acknowledged by the OFD when they were signed, or a drive registered
long ago would be blocked at once; the adapter still sends them at start, as every FN document it finds. To see a
block end when the OFD acknowledges, sell through the adapter while the OFD is down and move the register's
clock (`KKT_REGISTER_CLOCK_OFFSET_SECONDS` at a restart), as `scenarios/test_fn_limits.py` does.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from fiscal.fn import RECEIPT, Cashier, FiscalDrive, FnItem, FnReceipt, FnRefusal
from fiscal.sqlite_schema import create_schema

if TYPE_CHECKING:
    from kkt_adapter.settings import Settings

MARKER = "kkt_register"
MARKER_DESCRIPTION = (
    f"{MARKER}(shift_open=None, shift_opened_hours_ago=None, oldest_unsent_days=None, unsent_receipts=None, "
    "fn_expires_in_days=None, fn_closed=False): the mock register's state when each adapter fixture starts, "
    "written by the fiscal drive model with its clock in the past, e.g. shift_opened_hours_ago=25 (sales refused "
    "with shift_expired), oldest_unsent_days=31 (fn_offline_limit), fn_expires_in_days=1"
)
CASHIER = Cashier("kkt_register marker")
# What each receipt the marker signs holds: 100.00 at VAT 20%, paid in cash.
PREPARED_RECEIPT = FnReceipt(operation=1, items=(FnItem("prepared by kkt_register", 10000, "1.000", 10000, "20"),),
                             total=10000, cash=10000, electronic=0, cashier=CASHIER)


@dataclass(frozen=True, kw_only=True)
class RegisterState:
    """The marker's options. Times are counted back from the register's clock when the adapter's fixture starts."""

    shift_open: bool | None = None  # a shift is open (default: when shift_opened_hours_ago is given)
    shift_opened_hours_ago: float | None = None  # ...and opened this long ago (25: past the 24-hour limit)
    oldest_unsent_days: float | None = None  # the oldest receipt the OFD has not acknowledged is this old
    unsent_receipts: int | None = None  # receipts the OFD has not acknowledged (default 1 with oldest_unsent_days)
    fn_expires_in_days: float | None = None  # the FN was registered so that it expires then (negative: expired)
    fn_closed: bool = False  # the FN's archive was closed (document 6): it signs nothing more

    def __post_init__(self) -> None:
        problems = []
        for name in ("shift_opened_hours_ago", "oldest_unsent_days"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
                problems.append(f"{name} must be a number of at least 0, got {value!r}")
        if self.unsent_receipts is not None and (isinstance(self.unsent_receipts, bool)
                                                 or not isinstance(self.unsent_receipts, int)
                                                 or self.unsent_receipts < 0):
            problems.append(f"unsent_receipts must be a whole number of at least 0, got {self.unsent_receipts!r}")
        if self.oldest_unsent_days is not None and self.unsent_receipts == 0:
            problems.append("oldest_unsent_days needs at least one unsent receipt")
        if self.fn_expires_in_days is not None and (isinstance(self.fn_expires_in_days, bool)
                                                    or not isinstance(self.fn_expires_in_days, int | float)):
            problems.append(f"fn_expires_in_days must be a number, got {self.fn_expires_in_days!r}")
        if self.shift_open is False and self.shift_opened_hours_ago is not None:
            problems.append("shift_open=False contradicts shift_opened_hours_ago")
        if self.fn_closed and self.open_at_start:
            problems.append("a closed FN has no open shift (fn_closed=True with an open shift)")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def open_at_start(self) -> bool:
        return self.shift_open if self.shift_open is not None else self.shift_opened_hours_ago is not None

    @property
    def receipts(self) -> int:
        return self.unsent_receipts if self.unsent_receipts is not None else int(self.oldest_unsent_days is not None)

    @classmethod
    def for_item(cls, item: pytest.Item) -> RegisterState | None:
        """The test's `kkt_register` markers merged (closest last), or None without one."""
        markers = list(item.iter_markers(MARKER))
        if not markers:
            return None
        options: dict[str, Any] = {}
        for marker in reversed(markers):
            if marker.args:
                raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only, got {marker.args!r}")
            options.update(marker.kwargs)
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown option(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(known)}")
        try:
            return cls(**options)
        except ValueError as exc:
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: {exc}") from None

    def write(self, settings: Settings, fn_path: Path) -> None:
        """Write this state into the new drive file `fn_path`, as the adapter with `settings` will read it."""
        if fn_path.exists():
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: the fiscal drive {fn_path} exists already; the marker "
                                    "prepares a new one")
        from kkt_adapter.components import mock_fn, register_clock  # aiohttp and redis: only when a test asks

        now = register_clock(settings)().replace(microsecond=0)
        moment = [now]
        drive = mock_fn(settings, clock=lambda: moment[0])
        # Only receipts wait for the OFD here; the other documents count as acknowledged when signed.
        drive = FiscalDrive(dataclasses.replace(drive.config, waits_for_ofd=frozenset({RECEIPT})),
                            settings.kkt_sign_key.get_secret_value().encode(), lambda: moment[0])
        steps = self._steps(now, drive)
        registered = now - drive.config.valid_for + timedelta(days=self.fn_expires_in_days or 0)
        if self.fn_expires_in_days is None:
            registered = min([at for at, _ in steps] + [now]) - timedelta(minutes=1)
        if registered > now:
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: fn_expires_in_days={self.fn_expires_in_days} is more "
                                    f"than the FN is valid for ({drive.config.valid_for.days} days, FN_VALID_DAYS)")
        if steps and registered > steps[0][0]:
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: an FN expiring in {self.fn_expires_in_days} days was "
                                    f"registered on {registered.isoformat()}, after the state's first document "
                                    f"({steps[0][0].isoformat()})")
        fn_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(fn_path, isolation_level=None)
        try:
            create_schema(conn, FiscalDrive.SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            moment[0] = registered
            drive.register(conn)
            for at, step in steps:
                moment[0] = at
                step(conn)
            conn.execute("COMMIT")
        except FnRefusal as refusal:
            conn.close()
            fn_path.unlink()
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: a real fiscal drive cannot reach {self}: at "
                                    f"{moment[0].isoformat()} it refused with {refusal.code} "
                                    f"(0x{refusal.device_code:02X}): {refusal.message}") from None
        finally:
            conn.close()

    def _steps(self, now: datetime, drive: FiscalDrive) -> list[tuple[datetime, Any]]:
        """The documents to sign, oldest first, each at its moment of the register's clock."""
        steps: list[tuple[datetime, Any]] = []
        opened = now - timedelta(hours=self.shift_opened_hours_ago or 0) if self.open_at_start else None
        if self.receipts:
            sold = now - timedelta(days=self.oldest_unsent_days or 0)
            in_open_shift = opened is not None and opened <= sold
            if in_open_shift:
                steps.append((opened, lambda conn: drive.open_shift(conn, CASHIER)))
            else:
                steps.append((sold, lambda conn: drive.open_shift(conn, CASHIER)))
            steps.append((sold, lambda conn: [drive.sell(conn, PREPARED_RECEIPT, f"kkt-register-marker-{n}")
                                              for n in range(self.receipts)]))
            if not in_open_shift:
                steps.append((sold, lambda conn: drive.close_shift(conn, CASHIER)))
                if opened is not None:
                    steps.append((opened, lambda conn: drive.open_shift(conn, CASHIER)))
        elif opened is not None:
            steps.append((opened, lambda conn: drive.open_shift(conn, CASHIER)))
        if self.fn_closed:
            steps.append((now, drive.close_fn))
        return sorted(steps, key=lambda step: step[0])


REGISTER_APPLIED = pytest.StashKey[bool]()


class _Adapter(Protocol):
    workdir: Path

    @property
    def config(self) -> Settings: ...


def apply_register_marker(item: pytest.Item, adapter: _Adapter) -> None:
    """For an adapter fixture, before its adapter starts: write the test's `kkt_register` state into its drive file
    (`KKT_STATE_PATH`, relative to the adapter's working directory, or `mock_kkt.db` beside the buffer; the
    serial register's `fn.db` when the adapter is pointed at one)."""
    state = RegisterState.for_item(item)
    if state is None:
        return
    settings = adapter.config  # read only now: a test of settings the adapter refuses has no marker
    device = getattr(adapter, "register_device", None)
    if device is not None:  # the serial register's drive, written before the device first opens it
        state.write(settings, device.fiscal_drive_path)
    else:
        path = settings.fn_state_path
        state.write(settings, path if path.is_absolute() else adapter.workdir / path)
    item.stash[REGISTER_APPLIED] = True
