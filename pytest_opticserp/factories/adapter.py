"""The adapter and scenario fixture factories: a real adapter process per test, wired to the emulators.

    @pytest.mark.kkt_adapter(buffer_max_size=3, sync_interval=0.5)   # per-test settings
    def test_overflow(kkt_adapter): ...

    slow_adapter = kkt_adapter(ofd_timeout=0.5)                      # a variant with other defaults...
    slow_scenario = scenario("slow_adapter")                         # ...and the failures for its OFD
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from pytest_opticserp._lifecycle import record_startup, tracked
from pytest_opticserp.adapter import TEST_TIMINGS, KktAdapter, clean_environment
from pytest_opticserp.config import settings_for
from pytest_opticserp.executors.base import SPAWN, Launcher, ServerStartError
from pytest_opticserp.factories.emulators import upstream_of
from pytest_opticserp.factories.register_device import serial_register_for
from pytest_opticserp.ports import reserve_port, shared_port_dir
from pytest_opticserp.register_state import apply_register_marker
from pytest_opticserp.scenarios import Scenarios, enter_marked

MARKER = "kkt_adapter"
_REPORTED = pytest.StashKey[bool]()
_OWN_OPTIONS = {"redis"}
# Per test: each adapter fixture's running adapter and its scenarios, by fixture name.
ADAPTERS = pytest.StashKey[dict[str, KktAdapter]]()
_SCENARIOS = pytest.StashKey[dict[str, Scenarios]]()
MARKERS_APPLIED = pytest.StashKey[bool]()
_WARM_LAUNCHER = pytest.StashKey[Launcher]()


def adapter_launcher(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Launcher:
    """How this run starts adapter processes (`--opticserp-launcher`): spawned, or forked from this worker's warm
    parent, which is started here on first use and stopped by its PID when the run ends."""
    if settings_for(config).launcher == "spawn":
        return SPAWN
    if _WARM_LAUNCHER not in config.stash:
        from pytest_opticserp.executors.opticserp import opticserp_command
        from pytest_opticserp.executors.warm import WarmLauncher

        launcher = WarmLauncher(tmp_path_factory.getbasetemp() / "warm-launcher.log", opticserp_command(),
                                startup_timeout=settings_for(config).startup_timeout, env=clean_environment())
        config.add_cleanup(launcher.close)
        config.stash[_WARM_LAUNCHER] = launcher
    return config.stash[_WARM_LAUNCHER]


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


def _scenarios_for(node: pytest.Item, ofd_side: object, settings: dict[str, Any]) -> Scenarios:
    """The failures for what the adapter is wired to: a fault proxy (and the OFD behind it) or the OFD itself."""
    if isinstance(ofd_side, NetfaultProxy):
        upstream = upstream_of(node, ofd_side)
        return Scenarios(upstream if isinstance(upstream, OfdEmulator) else None, ofd_side, settings)
    return Scenarios(ofd_side if isinstance(ofd_side, OfdEmulator) else None, None, settings)


@contextlib.contextmanager
def marked_failures(request: pytest.FixtureRequest, ofd_side: object, settings: dict[str, Any]) -> Iterator[Scenarios]:
    """For an adapter fixture: switch on the test's behaviour markers for its OFD before the adapter starts, end
    them when it has stopped, and give `scenario(<this fixture's name>)` the scenarios for it."""
    scenarios = _scenarios_for(request.node, ofd_side, settings)
    with scenarios._marked:
        request.node.stash[MARKERS_APPLIED] = True
        request.node.stash.setdefault(_SCENARIOS, {})[request.fixturename or MARKER] = scenarios
        enter_marked(request.node, scenarios)
        yield scenarios


def kkt_adapter(ofd_url_fixture: str = "ofd_network", odoo_api_fixture: str = "odoo_api_emulator",
                redis_fixture: str | None = "opticserp_redis_proc", start: bool = True,
                **defaults: Any) -> Callable[..., Iterator[KktAdapter]]:
    """A function fixture starting an adapter process with a fresh buffer, wired to the named fixtures.

    With `start=False` the adapter is yielded unstarted, for a test that prepares its buffer first or
    expects it to refuse its settings (`start()` then raises `ServerStartError`; `returncode` says how it
    ended); it is stopped at teardown either way.

    `defaults` are adapter settings (lower-case environment names) over the test timings; a test's
    `kkt_adapter` marker goes over both. The test's behaviour markers (`ofd_offline`, `ofd_failing`,
    `ofd_slow`) are switched on for this adapter's OFD, and its `kkt_register` state is written into this
    adapter's fiscal drive, before the process starts.
    """

    @pytest.fixture
    def kkt_adapter_fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                            ) -> Iterator[KktAdapter]:
        """A real `opticserp adapter` process on a free port with a fresh buffer and mock register.

        Wired to the OFD through the fault proxy (`ofd_network`), to the Odoo API emulator, and to Redis.
        Test timings are short (sync 1 s, breaker threshold 3 and recovery 1 s, OFD timeout 2 s); override
        any setting with `@pytest.mark.kkt_adapter(sync_interval=0.5, ...)` (names as in the adapter's
        environment, lower case; `redis=False` leaves Redis out; `kkt_api_token="..."` makes the adapter require
        a token, which `client` and the helpers then send). `@pytest.mark.kkt_register(shift_opened_hours_ago=25,
        ...)` finds the register in that state (pytest_opticserp.register_state). Helpers: `post_receipt()`, `status()`,
        `health()`, `sync_now()`, `dlq()`, `query(sql)`, `restart()`, `kill()`, `start()`,
        `wait_until_synced(n)`, `wait_for_breaker(state)`, `wait_for_network(status)`, `log()`.
        With `--opticserp-launcher=fork` the process is forked from the worker's warm parent (`executors.warm`).
        """
        began = time.perf_counter()
        name = request.fixturename or MARKER
        options = adapter_options(request.node)
        use_redis = options.pop("redis", True) and redis_fixture is not None
        settings: dict[str, Any] = {**TEST_TIMINGS, **defaults}
        ofd_side = request.getfixturevalue(ofd_url_fixture)
        settings["ofd_url"] = ofd_side.url
        settings["odoo_api_url"] = request.getfixturevalue(odoo_api_fixture).url
        if use_redis:
            settings["redis_url"] = request.getfixturevalue(redis_fixture).url
        settings.update(options)
        device = serial_register_for(request, {**defaults, **options}, settings)
        workdir = tmp_path_factory.mktemp(name.replace("_", "-"))
        reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "kkt-adapter")
        adapter = KktAdapter(reservation.port, workdir, settings,
                             launcher=adapter_launcher(request.config, tmp_path_factory))
        adapter.register_device = device
        try:
            with marked_failures(request, ofd_side, settings), tracked(request.config, adapter):
                apply_register_marker(request.node, adapter)
                try:
                    if start:
                        adapter.start()
                except ServerStartError as exc:
                    pytest.fail(str(exc), pytrace=False)
                request.node.stash.setdefault(ADAPTERS, {})[name] = adapter
                if start and not request.config.stash.get(_REPORTED, False):
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


def scenario(adapter_fixture: str = "kkt_adapter") -> Callable[..., Scenarios]:
    """A function fixture: the failure scenarios for the adapter fixture `adapter_fixture` (started if needed)."""

    @pytest.fixture
    def scenario_fixture(request: pytest.FixtureRequest) -> Scenarios:
        """Failures for the adapter's OFD as context managers, each undone on exit:
        `with opticserp_scenario.ofd_offline(mode="blackhole"):`, `.ofd_failing(failures=3)`,
        `.ofd_slow(delay=5)` (defaults from the adapter's own settings). `.restore()` ends what the test's
        behaviour markers switched on; `.ofd` and `.network` are the emulator and the fault proxy it uses.
        """
        request.getfixturevalue(adapter_fixture)
        return request.node.stash[_SCENARIOS][adapter_fixture]

    return scenario_fixture
