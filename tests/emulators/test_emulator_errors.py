"""Every answer an emulator gives outside its routes is still its own JSON error, naming what was wrong."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulators.netfault import NetfaultProxy, create_admin_app
from emulators.serving import ServerThread
from pytest_opticserp import http_client


@pytest.fixture
def netfault_admin(proxy: NetfaultProxy) -> Iterator[httpx.Client]:
    with ServerThread(create_admin_app(proxy)) as server, http_client.client(base_url=server.url) as client:
        yield client


@pytest.mark.parametrize("emulator", ["ofd_client", "odoo_client", "netfault_admin"])
def test_an_unknown_path_is_a_404_in_the_emulators_error_shape(request: pytest.FixtureRequest, emulator) -> None:
    client: httpx.Client = request.getfixturevalue(emulator)

    response = client.get("/no/such/path")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "error", "field": "path", "message": "GET /no/such/path: Not Found"}


def test_a_wrong_method_is_a_405_in_the_emulators_error_shape(ofd_client: httpx.Client) -> None:
    response = ofd_client.delete("/ofd/v1/receipts")

    assert response.status_code == 405
    assert response.json()["status"] == "error" and response.json()["field"] == "method"
    assert response.headers["allow"] == "POST"
