"""Benchmarks print their figures at the end of the run; they assert correctness, not speed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_FIGURES: list[str] = []


@pytest.fixture
def report_figure() -> Callable[[str], None]:
    """Record a measured figure; all figures are printed in the terminal summary."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("opticserp figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
