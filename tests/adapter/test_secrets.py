"""A password in a configured URL is shown nowhere: not in /v1/health, /metrics, the log, start-up errors."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pytest_opticserp import KktAdapter, eventually
from pytest_opticserp.executors.base import ServerStartError

SECRET = "s3cret-pw"


@pytest.mark.kkt_adapter(log_level="DEBUG")
def test_passwords_in_the_odoo_and_redis_urls_appear_nowhere_the_adapter_shows(
    kkt_adapter_unstarted: KktAdapter, odoo_api_emulator, refused_ofd_url: str
) -> None:
    adapter = kkt_adapter_unstarted
    adapter.restart(odoo_api_url=odoo_api_emulator.url.replace("http://", f"http://heartbeat:{SECRET}@"),
                    redis_url=f"redis://:{SECRET}@127.0.0.1:{urlsplit(refused_ofd_url).port}/0")

    eventually(lambda: (h := adapter.health())["heartbeat"]["sent"] >= 1 and h["sync_lock"]["redis"].startswith(
        "unreach"), "a heartbeat sent and Redis found unreachable", adapter.health)
    shown = {"health": adapter.client.get("/v1/health").text, "metrics": adapter.client.get("/metrics").text}
    adapter.stop()
    shown["log"] = adapter.log()

    assert {where: SECRET in text for where, text in shown.items()} == {"health": False, "metrics": False,
                                                                        "log": False}
    assert "http://heartbeat:***@127.0.0.1" in shown["health"]


@pytest.mark.parametrize("variable, value", [
    ("REDIS_URL", f"redis://:{SECRET}@127.0.0.1:port/0"),
    ("REDIS_URL", f"http://:{SECRET}@127.0.0.1:6380/0"),
    ("ODOO_API_URL", f"ftp://odoo:{SECRET}@127.0.0.1:8070"),
])
def test_a_bad_url_stops_start_up_naming_it_without_its_password(kkt_adapter_unstarted: KktAdapter, variable: str,
                                                                 value: str) -> None:
    with pytest.raises(ServerStartError):
        kkt_adapter_unstarted.restart(**{variable.lower(): value})

    assert kkt_adapter_unstarted.returncode == 2
    output = kkt_adapter_unstarted.log()
    assert variable in output and ":***@127.0.0.1" in output
    assert SECRET not in output and "Traceback" not in output
