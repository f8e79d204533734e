"""The guide's curl commands (§3.4, §5.3, §7.3, §9.4) against the OFD and Odoo API emulators, run with curl itself.

The guide's host is localhost:9000 / :8070; here the emulators sit on free ports, everything else is verbatim.
"""

from __future__ import annotations

import time

import httpx
import pytest

from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from pytest_opticserp import http_client


def test_ofd_health_answers_healthy_with_no_receipts_received(ofd: OfdEmulator, curl) -> None:
    body = curl(f"{ofd.url}/ofd/v1/health")

    assert body["status"] == "healthy"
    assert body["receipts_received"] == 0


def test_odoo_api_health_answers_exactly_the_guides_body(odoo_api: OdooApiEmulator, curl) -> None:
    assert curl(f"{odoo_api.url}/api/v1/health") == {"status": "healthy", "heartbeats_received": 0}


def test_set_failure_with_a_json_content_type_fails_the_next_five_receipts(
    ofd: OfdEmulator, ofd_client: httpx.Client, curl, make_receipt
) -> None:
    curl(
        "-X", "POST", f"{ofd.url}/ofd/v1/admin/set-failure",
        "-H", "Content-Type: application/json",
        "-d", '{"failure_count": 5}',
    )  # fmt: skip

    statuses = [
        ofd_client.post("/ofd/v1/receipts", json=make_receipt(fiscal_doc_number=n)).status_code for n in range(1, 7)
    ]
    assert statuses == [503] * 5 + [200]


def test_set_failure_without_a_content_type_as_in_the_circuit_breaker_scenario(
    ofd: OfdEmulator, ofd_client: httpx.Client, curl, make_receipt
) -> None:
    answer = curl("-X", "POST", f"{ofd.url}/ofd/v1/admin/set-failure", "-d", '{"failure_count": 5}')

    assert answer["failures_remaining"] == 5
    assert [ofd_client.post("/ofd/v1/receipts", json=make_receipt()).status_code for _ in range(6)] == [503] * 5 + [200]


def test_permanent_failure_lasts_until_set_success(
    ofd: OfdEmulator, ofd_client: httpx.Client, curl, make_receipt
) -> None:
    curl(
        "-X", "POST", f"{ofd.url}/ofd/v1/admin/set-failure",
        "-H", "Content-Type: application/json",
        "-d", '{"permanent_failure": true}',
    )  # fmt: skip
    failed = [ofd_client.post("/ofd/v1/receipts", json=make_receipt()).status_code for _ in range(10)]

    answer = curl("-X", "POST", f"{ofd.url}/ofd/v1/admin/set-success")

    assert failed == [503] * 10
    assert answer["status"] == "ok" and answer["failure_mode"] == "disabled"
    assert ofd_client.post("/ofd/v1/receipts", json=make_receipt()).status_code == 200


def test_health_shows_the_received_receipt_after_recovery(
    ofd: OfdEmulator, ofd_client: httpx.Client, curl, make_receipt
) -> None:
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert curl(f"{ofd.url}/ofd/v1/health")["receipts_received"] == 1


def test_env_failure_mode_count_fails_the_first_n_receipts(make_receipt) -> None:
    env = {"MOCK_OFD_FAILURE_MODE": "count", "MOCK_OFD_FAILURE_COUNT": "5"}
    with OfdEmulator.from_env(env) as ofd, http_client.client(base_url=ofd.url) as client:
        statuses = [client.post("/ofd/v1/receipts", json=make_receipt()).status_code for _ in range(6)]

    assert statuses == [503] * 5 + [200]


def test_env_failure_mode_disabled_accepts_every_receipt(make_receipt) -> None:
    env = {"MOCK_OFD_FAILURE_MODE": "disabled", "MOCK_OFD_FAILURE_COUNT": "5"}
    with OfdEmulator.from_env(env) as ofd, http_client.client(base_url=ofd.url) as client:
        assert client.post("/ofd/v1/receipts", json=make_receipt()).status_code == 200


def test_env_response_delay_holds_each_receipt_answer(make_receipt) -> None:
    with (OfdEmulator.from_env({"MOCK_OFD_RESPONSE_DELAY": "0.3"}) as ofd,
          http_client.client(base_url=ofd.url) as client):
        started = time.monotonic()
        response = client.post("/ofd/v1/receipts", json=make_receipt())
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_a_delay_beyond_the_clients_timeout_makes_it_time_out(make_receipt) -> None:
    # The guide's scenario 4 (15 s against a 10 s timeout), scaled down so shutdown need not wait it out.
    with (OfdEmulator.from_env({"MOCK_OFD_RESPONSE_DELAY": "0.6"}) as ofd,
          http_client.client(base_url=ofd.url) as client):
        with pytest.raises(httpx.ReadTimeout):
            client.post("/ofd/v1/receipts", json=make_receipt(), timeout=0.2)
