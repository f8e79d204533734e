"""The `opticserp load` typer command; its options are `LoadOptions`' fields, so they are declared once.

Exit status: 0 when every target is met, 1 when one is missed, 2 when the run could not be made (or the
command line is wrong), 130 when interrupted. SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every
process the run started is stopped by its PID.
"""

from __future__ import annotations

import inspect
import signal
import sys
from collections.abc import Sequence
from typing import Any

import typer

from opticserp_tools.load.options import LoadError, LoadOptions, cli_fields

HELP = ("Load the KKT adapter with Locust, print P50/P95/P99 and req/s per endpoint, and exit 1 when a target "
        "is missed (see docs/performance.md).")


def load(**values: Any) -> None:
    from opticserp_tools.load.runner import run

    # SIGTERM unwinds like Ctrl-C, so every process started here is stopped by PID.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = run(LoadOptions(**values), out=lambda line: print(line, flush=True))
        for line in result.summary_lines():
            print(line, flush=True)
    except LoadError as exc:
        print(f"opticserp load: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        print("opticserp load: interrupted; every process it started was stopped", file=sys.stderr)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    raise typer.Exit(result.exit_code)


load.__doc__ = HELP
load.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, (annotation, default) in cli_fields().items()
])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m opticserp_tools.load [options]`: the command on its own; returns the exit status."""
    app = typer.Typer(add_completion=False)
    app.command(name="load")(load)
    try:
        app(args=list(argv) if argv is not None else None, prog_name="opticserp load")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0
