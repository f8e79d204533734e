"""Failure injection and response delay in the OFD emulator, from the handle and over the admin API."""

from __future__ import annotations

import contextlib
import threading
import time

import httpx
import pytest

from emulators.faults import FaultSettings, SettingsError
from emulators.ofd import OfdEmulator
from pytest_opticserp import http_client
from pytest_opticserp.waiting import eventually


def statuses(client: httpx.Client, document: dict, count: int) -> list[int]:
    return [client.post("/ofd/v1/receipts", json=document).status_code for _ in range(count)]


def test_fail_next_fails_exactly_n_receipts_then_succeeds(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    ofd.fail_next(3)

    assert statuses(ofd_client, make_receipt(), 5) == [503, 503, 503, 200, 200]


def test_an_injected_failure_answers_503_with_an_error_body(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    ofd.fail_next(1)

    response = ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["message"]


def test_a_failed_post_stores_nothing(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    ofd.fail_next(1)
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert ofd.receipts_received == 0
    assert ofd_client.post("/ofd/v1/receipts", json=make_receipt()).json()["duplicate"] is False


def test_an_injected_failure_comes_before_validation(ofd: OfdEmulator, ofd_client: httpx.Client) -> None:
    ofd.fail_next(1)

    assert ofd_client.post("/ofd/v1/receipts", content=b"not json").status_code == 503
    assert ofd_client.post("/ofd/v1/receipts", content=b"not json").status_code == 400


def test_permanent_failure_fails_until_recovered(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    ofd.fail_permanently()
    assert statuses(ofd_client, make_receipt(), 20) == [503] * 20

    ofd.recover()

    assert statuses(ofd_client, make_receipt(), 1) == [200]


def test_a_new_failure_count_replaces_a_permanent_failure(
    ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt
) -> None:
    ofd.fail_permanently()
    ofd_client.post("/ofd/v1/admin/set-failure", json={"failure_count": 1})

    assert statuses(ofd_client, make_receipt(), 2) == [503, 200]


@pytest.mark.opticserp_emulators(assert_all_failures_used=False)  # arming is what is checked
def test_health_shows_the_armed_failures(ofd: OfdEmulator, ofd_client: httpx.Client) -> None:
    ofd.fail_next(2)

    health = ofd_client.get("/ofd/v1/health").json()

    assert health["status"] == "healthy"
    assert (health["failure_mode"], health["failures_remaining"]) == ("count", 2)


def test_a_delay_holds_each_receipt_answer(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    ofd.delay(0.3)

    started = time.monotonic()
    response = ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_the_delay_comes_before_an_injected_failure(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    ofd.delay(0.3)
    ofd.fail_next(1)

    started = time.monotonic()
    response = ofd_client.post("/ofd/v1/receipts", json=make_receipt())

    assert response.status_code == 503
    assert time.monotonic() - started >= 0.3


def test_a_delayed_receipt_does_not_hold_up_other_requests(ofd: OfdEmulator, make_receipt) -> None:
    ofd.delay(1.0)
    delayed = threading.Thread(
        target=lambda: http_client.post(f"{ofd.url}/ofd/v1/receipts", json=make_receipt(), timeout=10), daemon=True
    )
    delayed.start()
    try:
        eventually(lambda: ofd.counters.calls == 1, "the delayed receipt to reach the emulator", timeout=5)

        assert http_client.get(f"{ofd.url}/ofd/v1/health").status_code == 200
        assert delayed.is_alive(), "health answered only after the delayed receipt"
    finally:
        delayed.join(10)


def test_the_delay_can_be_set_over_http(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    answer = ofd_client.post("/ofd/v1/admin/set-delay", content=b'{"delay": 0.3}')

    assert answer.json()["response_delay"] == 0.3
    started = time.monotonic()
    ofd_client.post("/ofd/v1/receipts", json=make_receipt())
    assert time.monotonic() - started >= 0.3


def test_recovering_keeps_the_delay(ofd: OfdEmulator, ofd_client: httpx.Client) -> None:
    ofd.delay(0.2)

    assert ofd_client.post("/ofd/v1/admin/set-success").json()["response_delay"] == 0.2


def test_reset_re_arms_the_failures_the_emulator_started_with(make_receipt) -> None:
    with (
        OfdEmulator(FaultSettings(failure_mode="count", failure_count=1)) as ofd,
        http_client.client(base_url=ofd.url) as client,
    ):
        assert statuses(client, make_receipt(), 2) == [503, 200]
        client.post("/ofd/v1/admin/reset")
        assert statuses(client, make_receipt(), 2) == [503, 200]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("set-failure", b'{"failure_count": -1}', "failure_count"),
        ("set-failure", b'{"failure_count": "5"}', "failure_count"),
        ("set-failure", b'{"failure_count": true}', "failure_count"),
        ("set-failure", b'{"failure_count": 2.5}', "failure_count"),
        ("set-failure", b'{"permanent_failure": "yes"}', "permanent_failure"),
        ("set-failure", b'{"failure_count": 1, "permanent_failure": true}', "permanent_failure"),
        ("set-failure", b'{"failure_cnt": 5}', "failure_cnt"),
        ("set-failure", b"{}", "failure_count"),
        ("set-failure", b'{"failure_count": 5', "body"),
        ("set-failure", b"[5]", "body"),
        ("set-failure", b"", "body"),
        ("set-delay", b'{"delay": -1}', "delay"),
        ("set-delay", b'{"delay": "15"}', "delay"),
        ("set-delay", b"{}", "delay"),
    ],
)
def test_a_bad_admin_body_is_refused_naming_the_field(
    ofd: OfdEmulator, ofd_client: httpx.Client, path, body, field
) -> None:
    response = ofd_client.post(f"/ofd/v1/admin/{path}", content=body)

    assert 400 <= response.status_code < 500
    assert response.json()["status"] == "error"
    assert response.json()["field"] == field
    assert ofd.state.faults.snapshot()["failure_mode"] == "disabled"


@pytest.mark.opticserp_emulators(assert_all_failures_used=False)  # arming is what is checked
def test_a_slow_request_cut_off_by_a_reset_leaves_no_trace(ofd, make_receipt) -> None:
    ofd.delay(0.5)
    late = threading.Thread(target=_post_and_ignore_the_answer, args=(ofd.url, make_receipt()))
    late.start()
    eventually(lambda: ofd.counters.calls == 1, "the slow request to arrive", timeout=5)

    ofd.reset()
    ofd.fail_next(1)
    late.join(5)

    assert ofd.receipts_received == 0
    assert ofd.state.faults.snapshot()["failures_remaining"] == 1, "the old request took the new test's failure"


def _post_and_ignore_the_answer(url: str, document: dict) -> None:
    with contextlib.suppress(httpx.HTTPError):
        http_client.post(f"{url}/ofd/v1/receipts", json=document, timeout=2)


@pytest.mark.parametrize(
    ("path", "body", "field", "bound"),
    [
        ("set-delay", b'{"delay": 1e30}', "delay", "between 0 and 600 seconds"),
        ("set-delay", b'{"delay": 600.5}', "delay", "between 0 and 600 seconds"),
        ("set-failure", b'{"failure_count": 1000001}', "failure_count", "between 0 and 1000000"),
        ("set-failure", b'{"failure_count": 1000000000000}', "failure_count", "between 0 and 1000000"),
    ],
)
def test_an_admin_number_out_of_bounds_is_refused_saying_the_bounds(
    ofd: OfdEmulator, ofd_client: httpx.Client, path, body, field, bound
) -> None:
    response = ofd_client.post(f"/ofd/v1/admin/{path}", content=body)

    assert response.status_code == 422
    assert response.json()["field"] == field and bound in response.json()["message"]
    assert (ofd.state.faults.delay, ofd.state.faults.snapshot()["failure_mode"]) == (0, "disabled")


def test_the_longest_delay_allowed_is_ten_minutes(ofd: OfdEmulator, ofd_client: httpx.Client) -> None:
    assert ofd_client.post("/ofd/v1/admin/set-delay", json={"delay": 600}).json()["response_delay"] == 600
    with pytest.raises(SettingsError, match="between 0 and 600 seconds"):
        ofd.delay(1e30)


def test_stopping_the_emulator_ends_a_long_delay_at_once_with_a_503(make_receipt) -> None:
    answers: list[int] = []
    with OfdEmulator(FaultSettings(response_delay=60)) as own:
        delayed = threading.Thread(target=lambda: answers.append(
            http_client.post(f"{own.url}/ofd/v1/receipts", json=make_receipt(), timeout=30).status_code), daemon=True)
        delayed.start()
        eventually(lambda: own.counters.calls == 1, "the delayed receipt to reach the emulator", timeout=5)
        stopping = time.monotonic()
    delayed.join(10)

    assert time.monotonic() - stopping < 2
    assert answers == [503] and own.receipts_received == 0
