"""The emulators' admin endpoints answer local tools, not web pages: Host allow-list and no cross-site changes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulators.netfault import NetfaultProxy, create_admin_app
from emulators.ofd import OfdEmulator
from emulators.serving import ServerThread
from pytest_opticserp import http_client

FOREIGN = {"Origin": "http://attacker.example"}


@pytest.fixture
def netfault_admin(echo_server: tuple[str, int]) -> Iterator[httpx.Client]:
    with (
        NetfaultProxy(echo_server) as proxy,
        ServerThread(create_admin_app(proxy)) as server,
        http_client.client(base_url=server.url, timeout=10) as client,
    ):
        yield client


def test_a_rebound_host_name_cannot_read_or_change_the_ofds_admin_state(ofd_client: httpx.Client,
                                                                        ofd: OfdEmulator) -> None:
    read = ofd_client.get("/ofd/v1/admin/receipts", headers={"Host": "attacker.example"})
    change = ofd_client.post("/ofd/v1/admin/set-failure", content=b'{"permanent_failure": true}',
                             headers={"Host": "attacker.example:9000"})

    assert (read.status_code, change.status_code) == (400, 400)
    assert read.json()["field"] == "Host"
    assert ofd.state.faults.snapshot()["failure_mode"] == "disabled"


def test_the_receiving_endpoints_answer_any_host_name(ofd_client: httpx.Client) -> None:
    assert ofd_client.get("/ofd/v1/health", headers={"Host": "mock_ofd:9000"}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=b"])
def test_a_page_on_another_origin_cannot_arm_failures_with_a_simple_request(ofd_client: httpx.Client, ofd: OfdEmulator,
                                                                            content_type: str) -> None:
    response = ofd_client.post("/ofd/v1/admin/set-failure", content=b'{"permanent_failure": true}',
                               headers={**FOREIGN, "Content-Type": content_type})

    assert response.status_code == 403
    assert response.json()["field"] == "Origin"
    assert ofd.state.faults.snapshot()["failure_mode"] == "disabled"


def test_a_page_on_another_origin_cannot_post_without_a_body(ofd_client: httpx.Client, ofd: OfdEmulator) -> None:
    ofd.fail_permanently()

    assert ofd_client.post("/ofd/v1/admin/set-success", headers=FOREIGN).status_code == 403
    assert ofd_client.post("/ofd/v1/admin/reset", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert ofd.state.faults.snapshot()["failure_mode"] == "permanent"


def test_curl_style_posts_and_the_emulators_own_origin_still_work(ofd_client: httpx.Client, ofd: OfdEmulator) -> None:
    form = ofd_client.post("/ofd/v1/admin/set-failure", content=b'{"failure_count": 5}',
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    own = ofd_client.post("/ofd/v1/admin/set-success", headers={"Origin": ofd.url})

    assert (form.status_code, own.status_code) == (200, 200)


def test_the_odoo_api_emulators_admin_endpoints_are_guarded_too(odoo_client: httpx.Client) -> None:
    assert odoo_client.get("/api/v1/admin/stats", headers={"Host": "attacker.example"}).status_code == 400
    assert odoo_client.post("/api/v1/admin/reset", headers=FOREIGN).status_code == 403
    assert odoo_client.post("/api/v1/admin/reset").status_code == 200


def test_every_path_of_the_fault_proxys_admin_api_is_guarded(netfault_admin: httpx.Client) -> None:
    assert netfault_admin.get("/toxics", headers={"Host": "attacker.example"}).status_code == 400
    assert netfault_admin.post("/proxy/disable", headers=FOREIGN).status_code == 403
    assert netfault_admin.get("/proxy").json()["enabled"] is True


def test_the_command_answers_the_host_names_it_is_given(run_cli, free_port) -> None:
    port = free_port()
    running = run_cli("ofd", "--port", str(port), "--allowed-host", "ofd.test")
    url = f"http://127.0.0.1:{port}"
    running.wait_until_healthy(f"{url}/ofd/v1/health")

    assert http_client.get(f"{url}/ofd/v1/admin/stats", headers={"Host": "ofd.test:9000"}).status_code == 200
    assert http_client.get(f"{url}/ofd/v1/admin/stats", headers={"Host": "other.test"}).status_code == 400
