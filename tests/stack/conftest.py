"""Fixtures for the development stack's tests: a fresh project copy, and the machine's stack ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack.project import Project, copy_project, default_ports, stack_environment


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of this checkout with a borrowed .venv, and an environment free of the developer's settings."""
    return Project(copy_project(tmp_path / "project"), stack_environment())


@pytest.fixture
def stack_ports() -> Iterator[None]:
    """The real default ports (8000, 9000, 8070, 6380, 5433, 8069, 7778, 7779), free and held by this test alone."""
    with default_ports():
        yield
