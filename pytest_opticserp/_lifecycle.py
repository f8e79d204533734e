"""What a pytest run started: handles to close at the end no matter what, and how fast they came up.

State lives in the run's `config.stash`, not in module globals, so a pytester run inside a test session
closes only its own servers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol

import pytest

WORKER_OUTPUT_KEY = "opticserp_startup"
WORKER_FIGURES_KEY = "opticserp_figures"


class Closable(Protocol):
    def close(self) -> None: ...


_OPEN_KEY = pytest.StashKey[list[Closable]]()
_STARTUP_KEY = pytest.StashKey[list[str]]()
_FIGURES_KEY = pytest.StashKey[list[str]]()


@contextlib.contextmanager
def tracked(config: pytest.Config, handle: Closable) -> Iterator[None]:
    """Close `handle` on exit, and at unconfigure if teardown never got there (e.g. a second Ctrl-C)."""
    open_handles = config.stash.setdefault(_OPEN_KEY, [])
    open_handles.append(handle)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            open_handles.remove(handle)
        handle.close()


def close_leftovers(config: pytest.Config) -> None:
    for handle in reversed(config.stash.get(_OPEN_KEY, [])):
        with contextlib.suppress(Exception):
            handle.close()
    config.stash[_OPEN_KEY] = []


def record_startup(config: pytest.Config, line: str) -> None:
    config.stash.setdefault(_STARTUP_KEY, []).append(line)
    workeroutput: dict[str, Any] | None = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput.setdefault(WORKER_OUTPUT_KEY, []).append(line)


def record_figure(config: pytest.Config, line: str) -> None:
    """A measured figure (a benchmark's or a scenario's), printed in the terminal summary."""
    config.stash.setdefault(_FIGURES_KEY, []).append(line)
    workeroutput: dict[str, Any] | None = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput.setdefault(WORKER_FIGURES_KEY, []).append(line)


def collect_worker_startup(config: pytest.Config, node: Any) -> None:
    """Under xdist: keep the workers' start-up lines and figures so the controller's summary can show them."""
    worker = getattr(getattr(node, "gateway", None), "id", "worker")
    output = getattr(node, "workeroutput", {})
    for line in output.get(WORKER_OUTPUT_KEY, []):
        config.stash.setdefault(_STARTUP_KEY, []).append(f"[{worker}] {line}")
    config.stash.setdefault(_FIGURES_KEY, []).extend(output.get(WORKER_FIGURES_KEY, []))


def figure_lines(config: pytest.Config) -> list[str]:
    return list(config.stash.get(_FIGURES_KEY, []))


def startup_lines(config: pytest.Config) -> list[str]:
    return list(config.stash.get(_STARTUP_KEY, []))
