"""The adapter fixture factory: a real adapter process per test, wired to the emulators.

    @pytest.mark.kkt_adapter(buffer_max_size=3, sync_interval=0.5)   # per-test settings
    def test_overflow(kkt_adapter): ...
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_opticserp._lifecycle import record_startup, tracked
from pytest_opticserp.adapter import TEST_TIMINGS, KktAdapter
from pytest_opticserp.executors.base import ServerStartError
from pytest_opticserp.ports import reserve_port, shared_port_dir

MARKER = "kkt_adapter"
_REPORTED = pytest.StashKey[bool]()
_OWN_OPTIONS = {"redis"}


def adapter_options(node: pytest.Item) -> dict[str, Any]:
    """The test's `kkt_adapter` markers merged, closest last; unknown setting names are an error."""
    from pytest_opticserp.adapter import adapter_variables

    options: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only, got {marker.args!r}")
        options.update(marker.kwargs)
    known = {name.lower() for name in adapter_variables()} | _OWN_OPTIONS
    unknown = sorted(set(options) - known)
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return options


def kkt_adapter(ofd_url_fixture: str = "ofd_network", odoo_api_fixture: str = "odoo_api",
                redis_fixture: str | None = "opticserp_redis_proc", **defaults: Any) -> Callable[..., Any]:
    """A function fixture starting an adapter process with a fresh buffer, wired to the named fixtures."""

    @pytest.fixture
    def kkt_adapter_fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                            ) -> Iterator[KktAdapter]:
        """A real `opticserp adapter` process on a free port with a fresh buffer and mock register.

        Wired to the OFD through the fault proxy (`ofd_network`), to the Odoo API emulator, and to Redis.
        Test timings are short (sync 1 s, breaker threshold 3 and recovery 1 s, OFD timeout 2 s); override
        any setting with `@pytest.mark.kkt_adapter(sync_interval=0.5, ...)` (names as in the adapter's
        environment, lower case; `redis=False` leaves Redis out; `kkt_api_token="..."` makes the adapter require
        a token, which `client` and the helpers then send). Helpers: `post_receipt()`, `status()`,
        `health()`, `sync_now()`, `dlq()`, `query(sql)`, `restart()`, `kill()`, `start()`,
        `wait_until_synced(n)`, `wait_for_breaker(state)`, `wait_for_network(status)`, `log()`.
        """
        began = time.perf_counter()
        options = adapter_options(request.node)
        use_redis = options.pop("redis", True) and redis_fixture is not None
        settings: dict[str, Any] = {**TEST_TIMINGS, **defaults}
        settings["ofd_url"] = request.getfixturevalue(ofd_url_fixture).url
        settings["odoo_api_url"] = request.getfixturevalue(odoo_api_fixture).url
        if use_redis:
            settings["redis_url"] = request.getfixturevalue(redis_fixture).url
        settings.update(options)
        workdir = tmp_path_factory.mktemp("kkt-adapter")
        reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "kkt-adapter")
        adapter = KktAdapter(reservation.port, workdir, settings)
        try:
            with tracked(request.config, adapter):
                try:
                    adapter.start()
                except ServerStartError as exc:
                    pytest.fail(str(exc), pytrace=False)
                if not request.config.stash.get(_REPORTED, False):
                    request.config.stash[_REPORTED] = True
                    services = ("Redis, " if use_redis else "") + "the emulators and the fault proxy"
                    record_startup(
                        request.config,
                        f"first kkt_adapter with {services} ready in {time.perf_counter() - began:.3f} s "
                        f"(adapter process {adapter.startup_seconds:.3f} s)",
                    )
                yield adapter
        finally:
            reservation.release()

    return kkt_adapter_fixture
