"""Property tests over the OpenAPI documents: whatever a caller sends to a documented operation, the answer
is documented, never a 5xx, a JSON body when it is a 4xx, and prompt.

Schemathesis generates the requests (valid and invalid) from each server's own `/openapi.json`, against
real servers: the adapter as a process, the emulators in-process. Bounded and derandomized, so a CI run
is short and repeatable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from emulators.netfault import NetfaultProxy, create_admin_app
from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from emulators.serving import ServerThread
from pytest_opticserp.adapter import KktAdapter

ANSWER_SECONDS = 3.0
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Few examples per operation: the point is every operation, with valid and invalid input, on every CI run.
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def answered_as_documented(case: schemathesis.Case, base_url: str) -> None:
    response = case.call(base_url=base_url, timeout=ANSWER_SECONDS + 2)
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        media = response.headers.get("content-type", [""])[0]
        assert media.startswith("application/json"), f"{response.status_code} answered as {media!r}"
        response.json()
    assert response.elapsed < ANSWER_SECONDS, f"answered in {response.elapsed:.1f} s"


def every_operation_answers_as_documented(base_url: str, after_each: Callable[[], None] = lambda: None
                                          ) -> dict[str, int]:
    """Run the bounded property on each operation of `base_url`'s OpenAPI document; requests sent to each."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    sent: dict[str, int] = {}
    for operation in (result.ok() for result in schema.get_all_operations()):
        sent[operation.label] = 0
        property_of(operation, base_url, after_each, sent)()
    return sent


def property_of(operation: schemathesis.APIOperation, base_url: str, after_each: Callable[[], None],
                sent: dict[str, int]) -> Callable[[], None]:
    cases = st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode))

    @BOUNDED
    @given(case=cases)
    def answers(case: schemathesis.Case) -> None:
        sent[operation.label] += 1
        try:
            answered_as_documented(case, base_url)
        finally:
            after_each()

    return answers


@pytest.fixture
def netfault_admin(ofd: OfdEmulator) -> Iterator[tuple[NetfaultProxy, str]]:
    with NetfaultProxy(f"{ofd.host}:{ofd.port}") as proxy, ServerThread(create_admin_app(proxy)) as admin:
        yield proxy, admin.url


@pytest.mark.kkt_adapter(redis=False)
def test_the_adapter_answers_anything_as_its_openapi_document_says(kkt_adapter: KktAdapter) -> None:
    sent = every_operation_answers_as_documented(kkt_adapter.url)
    assert len(sent) >= 9 and min(sent.values()) > 0, sent


# The property posts random set-failure bodies, so it arms failures nothing is meant to consume.
FUZZED_ADMIN = pytest.mark.opticserp_emulators(assert_all_failures_used=False)


@FUZZED_ADMIN
def test_the_ofd_emulator_answers_anything_as_its_openapi_document_says(ofd_emulator: OfdEmulator) -> None:
    # A delay or failure one example arms must not slow or fail the next.
    sent = every_operation_answers_as_documented(ofd_emulator.url, ofd_emulator.reset)
    assert len(sent) >= 8 and min(sent.values()) > 0, sent


@FUZZED_ADMIN
def test_the_odoo_api_emulator_answers_anything_as_its_openapi_document_says(
    odoo_api_emulator: OdooApiEmulator,
) -> None:
    sent = every_operation_answers_as_documented(odoo_api_emulator.url, odoo_api_emulator.reset)
    assert len(sent) >= 8 and min(sent.values()) > 0, sent


def test_the_netfault_admin_answers_anything_as_its_openapi_document_says(
        netfault_admin: tuple[NetfaultProxy, str]) -> None:
    proxy, url = netfault_admin
    sent = every_operation_answers_as_documented(url, proxy.reset)
    assert len(sent) >= 9 and min(sent.values()) > 0, sent
