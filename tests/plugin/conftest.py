"""Tests of the pytest plugin: inner pytest runs through pytester, and the plugin's fixtures used directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_opticserp.config import settings_for
from pytest_opticserp.ports import reserve_port, shared_port_dir


@pytest.fixture
def inner_args(request: pytest.FixtureRequest) -> list[str]:
    """Arguments every inner run needs: pytester moves HOME, so point it at the real cluster cache. The plugins
    our project turns off (pyproject's addopts; a second of start-up each) are off in inner runs too."""
    cache_dir = settings_for(request.config).cache_dir
    return ["-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:schemathesis", "-p", "no:hypothesispytest",
            "-p", "no:anyio", f"--opticserp-cache-dir={cache_dir}"]


@pytest.fixture
def unused_port(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A port no server and no other xdist worker uses, for servers a test starts by hand."""
    reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "test")
    yield reservation.port
    reservation.release()
