"""A run's verdict and its summary: the targets checked against what Locust measured, as lines to print."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from opticserp_tools.load.locust_run import RECEIPT_ENDPOINT, LocustRun
from opticserp_tools.load.options import LoadOptions


@dataclass(frozen=True)
class Check:
    name: str
    met: bool
    measured: str


@dataclass
class LoadResult:
    options: LoadOptions
    target: str
    adapter: LocustRun
    noop: LocustRun | None
    checks: list[Check]
    started: list[str]

    @property
    def ok(self) -> bool:
        return all(check.met for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def noop_ratio(self) -> float | None:
        if self.noop is None or self.noop.throughput_row.rps == 0:
            return None
        return self.adapter.throughput_row.rps / self.noop.throughput_row.rps

    def summary_lines(self) -> list[str]:
        o = self.options
        mix = f"tasks tagged {','.join(o.tags)}" if o.tags else "receipts, status and health reads"
        think = f", think time {o.think_time:g} s" if o.think_time else ", no think time"
        if o.workers:
            locust = f"; Locust master + {o.workers} workers ({self.adapter.workers_connected} connected)"
        elif o.locust_processes > 1:
            locust = f"; Locust --processes {o.locust_processes}"
        else:
            locust = "; Locust in one process"
        users = f"{o.users} user" + ("s" if o.users != 1 else "")
        lines = [f"opticserp load: {users} (spawn {o.rate:g}/s) for {o.seconds} s, {mix}{think}{locust}",
                 f"target: {self.target}"]
        lines += _table("adapter", self.adapter)
        if self.noop is not None:
            lines += _table(f"{o.noop_title}, same load", self.noop)
        lines.append(f"cpu over the run, % of one core ({os.cpu_count()} cores): " + _cpu(self.adapter.cpu_percent)
                     + (f" | no-op run: {_cpu(self.noop.cpu_percent)}" if self.noop is not None else ""))
        per_receipt = cpu_per_receipt(self.adapter)
        if per_receipt:
            lines.append(per_receipt)
        budget = cpu_budget(self.options, self.adapter, self.noop, os.cpu_count() or 1)
        if budget:
            lines.append(budget)
        low, high = o.print_delay_ms.low, o.print_delay_ms.high
        if o.target_url is None and high > 0:
            mean = (low + high) / 2
            lines.append(f"register print time {low}-{high} ms (mean {mean:g} ms): one register signs at most "
                         f"{1000 / mean:.2f} receipts/s; measured {self.adapter.throughput_row.rps:.2f}/s")
        ratio = self.noop_ratio
        if ratio is not None:
            assert self.noop is not None
            row = self.adapter.throughput_row
            lines.append(f"adapter / no-op throughput ({row.name}): {row.rps:.1f} / "
                         f"{self.noop.throughput_row.rps:.1f} req/s = {ratio:.2f}")
            theirs = self.noop.throughput_row.p95
            if row.p95 is not None and theirs is not None:
                lines.append(f"adapter / no-op P95 ({row.name}): {_ms(row.p95)} / {_ms(theirs)} ms"
                             + (f" = {row.p95 / theirs:.1f}x" if theirs else ""))
        for check in self.checks:
            lines.append(f"target {check.name}: {'met' if check.met else 'MISSED'} ({check.measured})")
        files = [str(path) for run in (self.adapter, self.noop) if run is not None for path in run.report_files()]
        lines.append("reports: " + ", ".join(files))
        missed = sum(not check.met for check in self.checks)
        lines.append("result: every target met" if not missed else f"result: {missed} target(s) missed")
        return lines


def checks(options: LoadOptions, adapter: LocustRun, noop: LocustRun | None) -> list[Check]:
    """P95 under the target on every endpoint, no failed request, and the no-op ratio when compared."""
    result = []
    measured = [row for row in adapter.endpoints if row.p95 is not None]
    if measured:
        worst = max(measured, key=lambda row: row.p95 or 0.0)
        result.append(Check(f"P95 < {options.p95_target_ms:g} ms",
                            all((row.p95 or 0.0) < options.p95_target_ms for row in measured),
                            f"worst: {worst.name} {_ms(worst.p95)} ms"))
    else:
        result.append(Check(f"P95 < {options.p95_target_ms:g} ms", False, "no request completed"))
    total = adapter.aggregated
    result.append(Check("no failed requests", total.failures == 0,
                        f"{total.failures} of {total.requests} failed; see {adapter.csv_prefix}_failures.csv"
                        if total.failures else f"0 of {total.requests}"))
    if noop is not None:
        ratio = adapter.throughput_row.rps / noop.throughput_row.rps if noop.throughput_row.rps else 0.0
        target = options.noop_ratio_target
        result.append(Check(f"throughput >= {target:g} of the {options.noop_title}'s", ratio >= target,
                            f"{ratio:.2f}"))
        factor = options.noop_p95_factor_target
        if factor is not None:
            result.append(_p95_against_noop(adapter, noop, factor, options.noop_title))
    return result


def _p95_against_noop(adapter: LocustRun, noop: LocustRun, factor: float, title: str) -> Check:
    """Locust rounds percentiles to whole milliseconds (and 0 means under one), so the no-op's P95 counts as
    at least 1 ms: a factor of a rounded 0 would ask for the impossible."""
    name = f"P95 <= {factor:g}x the {title}'s"
    mine, theirs = adapter.throughput_row.p95, noop.throughput_row.p95
    if mine is None or theirs is None:
        return Check(name, False, "no request completed")
    allowed = factor * max(theirs, 1.0)
    return Check(name, mine <= allowed, f"{_ms(mine)} vs {_ms(theirs)} ms, allowed {allowed:g} ms")


def cpu_per_receipt(run: LocustRun) -> str | None:
    """The adapter's and the OFD emulator's CPU time per receipt signed in the run (reads included in the
    adapter's when the mix had them), or None when no receipt was posted or no CPU was measured."""
    spent = _cpu_ms_per_receipt(run)
    names = {"adapter": "adapter", "ofd": "OFD emulator"}
    measured = {name: spent[name] for name in names if spent and name in spent}
    if not measured:
        return None
    receipts = run.endpoint(RECEIPT_ENDPOINT)
    assert receipts is not None
    others = run.aggregated.requests - receipts.requests
    return ("cpu per receipt: " + ", ".join(f"{names[name]} {ms:.2f} ms" for name, ms in measured.items())
            + f" ({receipts.requests} receipts" + (f"; the adapter's includes {others} reads)" if others else ")"))


def cpu_budget(options: LoadOptions, adapter: LocustRun, noop: LocustRun | None, cores: int) -> str | None:
    """What the machine leaves the adapter per receipt at the compared target's rate, with the OFD emulator and
    Locust at the CPU per receipt they used in this run: says whether a missed ratio is the adapter's to win or
    beyond this machine. One process under one interpreter lock counts as one core at most. None unless the
    run was compared with a no-op and measured all three on its own stack."""
    spent = _cpu_ms_per_receipt(adapter)
    if noop is None or not noop.throughput_row.rps or spent is None:
        return None
    if not all(name in spent for name in ("adapter", "ofd", "locust")):
        return None
    rate = options.noop_ratio_target * noop.throughput_row.rps
    others = (spent["ofd"] + spent["locust"]) / 1000 * rate
    left = max(0.0, cores - others)
    allowed = min(left, 1.0) / rate * 1000
    return (f"cpu budget at the target rate ({rate:.1f} receipts/s): the OFD emulator and Locust would take "
            f"{others:.2f} of the {cores} cores, leaving the adapter {left:.2f} (at most 1 under its one interpreter "
            f"lock): {allowed:.2f} ms per receipt; it used {spent['adapter']:.2f} ms")


def _cpu_ms_per_receipt(run: LocustRun) -> dict[str, float] | None:
    """Each measured process's CPU in ms per receipt posted in the run; None when no receipt was posted."""
    receipts = run.endpoint(RECEIPT_ENDPOINT)
    if receipts is None or not receipts.requests:
        return None
    return {name: seconds / receipts.requests * 1000 for name, seconds in run.cpu_seconds.items()}


def _table(title: str, run: LocustRun) -> list[str]:
    lines = [f"{title:<40}{'requests':>9}{'failed':>8}{'req/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}  ms"]
    for row in (*run.endpoints, run.aggregated):
        name = "all requests" if row.name == "Aggregated" else row.name
        lines.append(f"  {name:<38}{row.requests:>9}{row.failures:>8}{row.rps:>9.1f}"
                     f"{_ms(row.p50):>7}{_ms(row.p95):>7}{_ms(row.p99):>7}")
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _cpu(percent: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.0f}" for name, value in percent.items())
