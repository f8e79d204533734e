"""A load run's options, declared once: each field's annotation is both its type and its `opticserp load` option.

The typer command's signature is built from these fields (`command.py`), and `run_load(**options)` builds the
same model, so a new option is one line here. Fields without a `typer.Option` (the adapter's extra
environment) are for Python callers only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, field_validator
from typer.models import OptionInfo

RECEIPTS_LOCUSTFILE = "receipts.py"
# Issue 17's targets against the durable no-op; issue 8's (replaced) against the plain one.
DURABLE_NOOP_RATIO = 0.5
DURABLE_NOOP_P95_FACTOR = 2.0
PLAIN_NOOP_RATIO = 0.7


class LoadError(RuntimeError):
    """The run could not be made (bad options, a server did not start, Locust failed); the message says why."""


@dataclass(frozen=True)
class PrintDelay:
    """The started register's print time in ms, drawn between `low` and `high` per receipt."""

    low: int = 0
    high: int = 0

    @classmethod
    def parse(cls, value: object) -> PrintDelay:
        """`0`, `300`, `200-500` (ms), a number or a (min, max) pair."""
        if isinstance(value, PrintDelay):
            return value
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(int(value[0]), int(value[1]))
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(value))
        if match is None:
            raise ValueError(f"{value!r}: give milliseconds, e.g. 0, 300 or 200-500")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if low > high:
            raise ValueError(f"{value!r}: the minimum exceeds the maximum")
        return cls(low, high)

    def __str__(self) -> str:
        return f"{self.low}" if self.low == self.high else f"{self.low}-{self.high}"


def parse_duration(value: object) -> float:
    """`30`, `30s`, `2m`, `1m30s` -> seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not text or match is None:
        raise ValueError(f"{text!r}: give seconds, or a time like 30s, 2m, 1m30s")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


class LoadOptions(BaseModel):
    """What one `opticserp load` run does; see docs/performance.md for what each option is for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_url: Annotated[str | None, typer.Option(
        "--url", help="An adapter that is running (default: start an adapter and an OFD emulator)")] = None
    users: Annotated[int, typer.Option("-u", "--users", help="Concurrent users")] = 10
    spawn_rate: Annotated[float | None, typer.Option(
        "-r", "--spawn-rate", help="Users started per second (default: all at once)")] = None
    duration: Annotated[float, typer.Option(
        "-t", "--duration", parser=parse_duration, metavar="TIME", help="30, 30s, 2m")] = 30.0
    p95_target_ms: Annotated[float, typer.Option(
        "--p95-target", metavar="MS", help="P95 every endpoint must stay under, in ms (the seed guide's 100)")] = 100.0
    report_dir: Annotated[Path, typer.Option("--report-dir", help="Where the CSV, HTML and logs go")] = Path(
        "load-report")
    print_delay_ms: Annotated[PrintDelay, typer.Option(
        "--print-delay", parser=PrintDelay.parse, metavar="MS",
        help="The started register's print time: 0, 300 or 200-500 ms")] = PrintDelay()
    tags: Annotated[list[str], typer.Option(
        "--tags", metavar="TAGS", help="Only these locustfile tasks, comma-separated: receipt, status, health")] = []
    think_time: Annotated[float, typer.Option("--think-time", help="Seconds between a user's requests")] = 0.0
    compare_noop: Annotated[bool, typer.Option(
        "--compare-noop", help="First run the same load against a no-op FastAPI app and compare throughput")] = False
    noop_durable: Annotated[bool, typer.Option(
        "--noop-durable",
        help="The no-op app commits each receipt to SQLite (synchronous=FULL) before answering")] = False
    min_noop_ratio: Annotated[float | None, typer.Option(
        "--min-noop-ratio", help="Adapter throughput / no-op throughput that must be reached "
        f"(default {DURABLE_NOOP_RATIO} against the durable no-op, {PLAIN_NOOP_RATIO} against the plain one)")] = None
    max_noop_p95_factor: Annotated[float | None, typer.Option(
        "--max-noop-p95-factor", metavar="FACTOR", help="The adapter's P95 at most this many times the no-op's "
        f"(default {DURABLE_NOOP_P95_FACTOR:g} against the durable no-op, none against the plain one)")] = None
    workers: Annotated[int, typer.Option(
        "--workers", help="Run Locust distributed: a master and this many workers on 127.0.0.1")] = 0
    locust_processes: Annotated[int, typer.Option("--locust-processes", help="Locust's own --processes")] = 1
    locustfile: Annotated[Path | None, typer.Option(
        "--locustfile", help=f"Default: the packaged {RECEIPTS_LOCUSTFILE}")] = None
    # Python callers only: extra settings for the adapter the run starts.
    adapter_env: dict[str, str] = {}

    @field_validator("print_delay_ms", mode="before")
    @classmethod
    def _print_delay(cls, value: Any) -> PrintDelay:
        return PrintDelay.parse(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> list[str]:
        """`receipt,status` and `["receipt", "status"]` alike (the command line gives the first)."""
        items = [value] if isinstance(value, str) else list(value)
        return [tag.strip() for item in items for tag in str(item).split(",") if tag.strip()]

    @property
    def rate(self) -> float:
        return self.spawn_rate if self.spawn_rate is not None else float(self.users)

    @property
    def noop_title(self) -> str:
        return "durable no-op FastAPI app" if self.noop_durable else "no-op FastAPI app"

    @property
    def noop_ratio_target(self) -> float:
        if self.min_noop_ratio is not None:
            return self.min_noop_ratio
        return DURABLE_NOOP_RATIO if self.noop_durable else PLAIN_NOOP_RATIO

    @property
    def noop_p95_factor_target(self) -> float | None:
        if self.max_noop_p95_factor is not None:
            return self.max_noop_p95_factor
        return DURABLE_NOOP_P95_FACTOR if self.noop_durable else None

    @property
    def seconds(self) -> int:
        return max(1, round(self.duration))

    def validate_run(self) -> None:
        """What no single field says: combinations that make no run, with the option to change."""
        if self.users < 1:
            raise LoadError("users must be at least 1")
        if self.rate <= 0:
            raise LoadError("spawn rate must be positive")
        if not 0 <= self.print_delay_ms.low <= self.print_delay_ms.high:
            raise LoadError(f"print delay {self.print_delay_ms} ms: give 0 <= min <= max")
        if self.noop_durable and not self.compare_noop:
            raise LoadError("a durable no-op app is only started to compare with: add --compare-noop")
        if not self.compare_noop and (self.min_noop_ratio is not None or self.max_noop_p95_factor is not None):
            raise LoadError("--min-noop-ratio and --max-noop-p95-factor compare with a no-op run: add --compare-noop")
        if self.min_noop_ratio is not None and self.min_noop_ratio <= 0:
            raise LoadError(f"--min-noop-ratio {self.min_noop_ratio:g}: give a ratio above 0, e.g. 0.5")
        if self.max_noop_p95_factor is not None and self.max_noop_p95_factor <= 0:
            raise LoadError(f"--max-noop-p95-factor {self.max_noop_p95_factor:g}: give a factor above 0, e.g. 2")
        if self.workers and self.locust_processes > 1:
            raise LoadError("give workers or locust processes, not both")
        if self.locustfile is not None and not self.locustfile.is_file():
            raise LoadError(f"locustfile {self.locustfile} not found")
        if self.target_url is not None and self.print_delay_ms != PrintDelay():
            raise LoadError("the print delay applies to a stack the runner starts; drop --print-delay or --url")


def cli_fields() -> dict[str, tuple[Any, Any]]:
    """Each command-line option as (its `Annotated[type, typer.Option]`, its default), in declaration order."""
    from typing import get_type_hints

    hints = get_type_hints(LoadOptions, include_extras=True)
    return {name: (hints[name], field.default) for name, field in LoadOptions.model_fields.items()
            if any(isinstance(meta, OptionInfo) for meta in field.metadata)}
