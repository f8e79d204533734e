"""A password in a configured URL is shown nowhere: not in /v1/health, /metrics, the log, start-up errors."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pytest_opticserp import http_client
from tests.support import eventually, free_port, wait_until_healthy

SECRET = "s3cret-pw"


def test_passwords_in_the_odoo_and_redis_urls_appear_nowhere_the_adapter_shows(run_adapter, odoo_api,
                                                                              refused_url) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    running = run_adapter(
        "--port", str(port), LOG_LEVEL="DEBUG",
        ODOO_API_URL=odoo_api.url.replace("http://", f"http://heartbeat:{SECRET}@"),
        REDIS_URL=f"redis://:{SECRET}@127.0.0.1:{urlsplit(refused_url).port}/0",
    )
    wait_until_healthy(url, running)

    def health() -> dict:
        return http_client.get(f"{url}/v1/health").json()

    eventually(lambda: health()["heartbeat"]["sent"] >= 1 and health()["sync_lock"]["redis"].startswith("unreach"),
               "a heartbeat sent and Redis found unreachable", health)
    shown = {"health": http_client.get(f"{url}/v1/health").text, "metrics": http_client.get(f"{url}/metrics").text}
    running.process.terminate()
    running.process.wait(timeout=15)
    shown["log"] = running.log()

    assert {where: SECRET in text for where, text in shown.items()} == {"health": False, "metrics": False,
                                                                        "log": False}
    assert "http://heartbeat:***@127.0.0.1" in shown["health"]


@pytest.mark.parametrize("variable, value", [
    ("REDIS_URL", f"redis://:{SECRET}@127.0.0.1:port/0"),
    ("REDIS_URL", f"http://:{SECRET}@127.0.0.1:6380/0"),
    ("ODOO_API_URL", f"ftp://odoo:{SECRET}@127.0.0.1:8070"),
])
def test_a_bad_url_stops_start_up_naming_it_without_its_password(run_adapter, variable: str, value: str) -> None:
    running = run_adapter(**{variable: value})

    assert running.process.wait(timeout=15) == 2
    output = running.log()
    assert variable in output and ":***@127.0.0.1" in output
    assert SECRET not in output and "Traceback" not in output
