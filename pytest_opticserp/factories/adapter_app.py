"""The in-process adapter fixture factory: the adapter's app served in the test's process.

    @pytest.mark.kkt_adapter(buffer_max_size=2)          # the same marker as the process fixture
    def test_overflow(kkt_adapter_app): ...

    kkt_adapter_offline = factories.kkt_adapter_app(ofd_url_fixture="refused_ofd_url")   # in a conftest
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_opticserp.adapter import TEST_TIMINGS
from pytest_opticserp.factories.adapter import adapter_options
from pytest_opticserp.factories.register_device import serial_register_for
from pytest_opticserp.register_state import apply_register_marker

if TYPE_CHECKING:
    from pytest_opticserp.adapter_app import InProcessKktAdapter


def _url(value: Any) -> str:
    """A fixture's value as a URL: a server handle's `url`, or the string itself."""
    return value if isinstance(value, str) else value.url


def kkt_adapter_app(ofd_url_fixture: str = "ofd_emulator", odoo_api_fixture: str = "odoo_api_emulator",
                    redis_fixture: str | None = None, **defaults: Any) -> Callable[..., Any]:
    """A function fixture serving the adapter's app in the test's process, with a fresh buffer."""

    @pytest.fixture
    def kkt_adapter_app_fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                                ) -> Iterator[InProcessKktAdapter]:
        """The adapter's app in the test's process on a free port, a fresh buffer, the mock register.

        For what a process cannot give: a clock the test steps (`kkt_adapter_app.wall_ms = lambda: ...`, read
        at every call), and fast request-level tests. Settings as for `kkt_adapter`, from
        `@pytest.mark.kkt_adapter(...)` over the plugin's test timings; wired to the OFD emulator directly
        (no fault proxy) and the Odoo API emulator, without Redis unless the factory names a Redis fixture.
        Same helpers as `kkt_adapter`; `restart(**changes)` serves a new app on the same buffer, and
        `config` is the adapter's own `Settings`. `@pytest.mark.kkt_register(...)` finds the register in a state.
        """
        options = adapter_options(request.node)
        use_redis = options.pop("redis", True) and redis_fixture is not None
        settings: dict[str, Any] = {**TEST_TIMINGS, **defaults}
        settings["ofd_url"] = _url(request.getfixturevalue(ofd_url_fixture))
        settings["odoo_api_url"] = _url(request.getfixturevalue(odoo_api_fixture))
        if use_redis:
            assert redis_fixture is not None
            settings["redis_url"] = _url(request.getfixturevalue(redis_fixture))
        settings.update(options)
        device = serial_register_for(request, {**defaults, **options}, settings)
        workdir = tmp_path_factory.mktemp("kkt-adapter-app")
        from pytest_opticserp.adapter_app import InProcessKktAdapter  # the adapter's app: when a test uses it

        adapter = InProcessKktAdapter(workdir, settings)
        adapter.register_device = device
        apply_register_marker(request.node, adapter)
        try:
            yield adapter.start()
        finally:
            adapter.stop()

    return kkt_adapter_app_fixture
