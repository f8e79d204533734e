"""Fixtures that run the adapter as a real uvicorn server on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.serving import ServerThread
from kkt_adapter.app import create_app
from kkt_adapter.settings import Settings, load_settings

from .support import RunningAdapter


@pytest.fixture
def adapter_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "buffer_db_path": tmp_path / "buffer.db",
            "kkt_print_delay_min_ms": 0,
            "kkt_print_delay_max_ms": 0,
            "kkt_fn_serial": "9999078900012345",
        }
        values.update(overrides)
        return load_settings(None, **values)

    return make


@pytest.fixture
def start_adapter(adapter_settings: Callable[..., Settings]) -> Iterator[Callable[..., RunningAdapter]]:
    """Start an adapter (or several, one after another, sharing the buffer); all are stopped at the end."""
    running: list[RunningAdapter] = []

    def start(**overrides: Any) -> RunningAdapter:
        settings = adapter_settings(**overrides)
        server = ServerThread(create_app(settings)).start()
        adapter = RunningAdapter(settings, server, httpx.Client(base_url=server.url, timeout=30))
        running.append(adapter)
        return adapter

    yield start
    for adapter in reversed(running):
        adapter.client.close()
        adapter.server.stop()


@pytest.fixture
def adapter(start_adapter: Callable[..., RunningAdapter]) -> RunningAdapter:
    return start_adapter()
