"""Root test configuration: tests see only the settings they set themselves."""

import os
import signal

import pytest

# tests/plugin runs inner pytest sessions; pytest accepts pytest_plugins only in the root conftest.
pytest_plugins = ["pytester"]

ADAPTER_PREFIXES = ("KKT_", "OFD_", "BUFFER_", "SYNC_", "CIRCUIT_BREAKER_", "MOCK_OFD_", "MOCK_ODOO_",
                    "HEARTBEAT_", "REDIS_", "VAT_", "MAX_REQUEST_")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell (say, with SYNC_INTERVAL exported) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith(ADAPTER_PREFIXES) or name == "LOG_LEVEL":
            monkeypatch.delenv(name)


def pytest_configure(config: pytest.Config) -> None:
    """Started with Ctrl-C ignored (nohup, or a background job of a shell without job control), a run passes
    that on to every process it starts, and the tests that press Ctrl-C on the load runner, an inner session
    or `./dev logs -f` wait in vain. Take Ctrl-C back, as Python does when it starts normally; a caught
    signal is reset to its default in the processes the tests start."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


DEVSTACK_GROUP = 'xdist_group("devstack")'


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under `-n`, the tests on the development stack's real ports run on one worker, one after another, from the
    start; every other test is handed out one at a time to whichever worker is free.

    Those tests take turns on the ports anyway (a lock file), a minute and a half of them on our machines;
    handed out by `--dist load` they began a third of the way in and ended the suite. They are the modules
    marked `xdist_group("devstack")`, as for xdist's own `--dist loadgroup`, whose groups are lost under
    pytest 9 (it renames items by an attribute pytest 9 no longer reads): the controller collects nothing, so
    the modules are found by their marker in the source."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath
    on_one_worker: dict[str, bool] = {}

    def in_devstack_group(nodeid: str) -> bool:
        module = nodeid.split("::", 1)[0]
        if module not in on_one_worker:
            path = root / module
            on_one_worker[module] = path.suffix == ".py" and path.is_file() and DEVSTACK_GROUP in path.read_text()
        return on_one_worker[module]

    class DevstackFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "devstack" if in_devstack_group(nodeid) else nodeid

    return DevstackFirst(config, log)  # type: ignore[arg-type]
