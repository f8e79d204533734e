"""One load run, in order: the no-op app's run when compared (stopped before the adapter's, so it takes no
CPU from it), then the adapter's, on a stack of its own or at a given URL; then the verdict."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from locustfiles import locustfile_path
from opticserp_tools.load.locust_run import LocustRun, run_locust
from opticserp_tools.load.options import RECEIPTS_LOCUSTFILE, LoadError, LoadOptions
from opticserp_tools.load.report import LoadResult, checks
from opticserp_tools.load.stack import adapter_stack, noop_server


def run_load(target_url: str | None = None, *, out: Callable[[str], None] = print, **options: Any) -> LoadResult:
    """Run Locust headless with the `LoadOptions` given as keywords, check the targets and print the summary.

    Without `target_url` an adapter (register print delay `print_delay_ms`) and an OFD emulator are started
    for the run. Reports (CSV, HTML, Locust's log, the servers' logs) go to `report_dir`; lines go to `out`.
    """
    try:
        parsed = LoadOptions(target_url=target_url, **options)
    except ValidationError as exc:
        raise LoadError(str(exc)) from None
    result = run(parsed, out)
    for line in result.summary_lines():
        out(line)
    return result


def run(options: LoadOptions, out: Callable[[str], None] = print) -> LoadResult:
    options.validate_run()
    options.report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("adapter.log", "ofd.log", "noop.log"):  # the servers append to their logs
        (options.report_dir / stale).unlink(missing_ok=True)
    started: list[str] = []

    def note(line: str) -> None:
        started.append(line)
        out(line)

    with contextlib.ExitStack() as stack:
        locustfile = options.locustfile or stack.enter_context(locustfile_path(RECEIPTS_LOCUSTFILE))
        noop: LocustRun | None = None
        if options.compare_noop:
            with noop_server(options) as (server, url):
                note(f"started {options.noop_title} (pid {server.pid}) on {url}")
                noop = run_locust(options, locustfile, "noop", url, {"server": server.pid}, note)
        if options.target_url is not None:
            target = f"{options.target_url} (given)"
            adapter_run = run_locust(options, locustfile, "adapter", options.target_url.rstrip("/"), {}, note)
        else:
            with adapter_stack(options) as (ofd, adapter):
                note(f"started OFD emulator (pid {ofd.pid}) on {ofd.url}")
                note(f"started adapter (pid {adapter.pid}) on {adapter.url}")
                target = (f"adapter {adapter.url} started for this run (register print delay "
                          f"{options.print_delay_ms} ms), OFD {ofd.url}")
                adapter_run = run_locust(options, locustfile, "adapter", adapter.url,
                                         {"adapter": adapter.pid, "ofd": ofd.pid}, note)
    return LoadResult(options, target, adapter_run, noop, checks(options, adapter_run, noop), started)

