"""Property tests over the OpenAPI documents: whatever a caller sends to a documented operation, the answer
is documented, never a 5xx, a JSON body when it is a 4xx, and prompt.

Schemathesis generates the requests (valid and invalid) from each server's own `/openapi.json`, against
real servers: the adapter as a process, the emulators in-process. Bounded and derandomized, so a CI run
is short and repeatable. The property is in `openapi_property.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from emulators.netfault import NetfaultProxy, create_admin_app
from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from emulators.serving import ServerThread
from pytest_opticserp.adapter import KktAdapter


@pytest.fixture
def every_operation_answers_as_documented() -> Callable[..., dict[str, int]]:
    """The property (tests/properties/openapi_property.py), imported by the worker that runs it."""
    from tests.properties.openapi_property import every_operation_answers_as_documented

    return every_operation_answers_as_documented


@pytest.fixture
def netfault_admin(ofd: OfdEmulator) -> Iterator[tuple[NetfaultProxy, str]]:
    with NetfaultProxy(f"{ofd.host}:{ofd.port}") as proxy, ServerThread(create_admin_app(proxy)) as admin:
        yield proxy, admin.url


@pytest.mark.kkt_adapter(redis=False)
def test_the_adapter_answers_anything_as_its_openapi_document_says(kkt_adapter: KktAdapter,
                                                                  every_operation_answers_as_documented) -> None:
    sent = every_operation_answers_as_documented(kkt_adapter.url)
    assert len(sent) >= 9 and min(sent.values()) > 0, sent


# The property posts random set-failure bodies, so it arms failures nothing is meant to consume.
FUZZED_ADMIN = pytest.mark.opticserp_emulators(assert_all_failures_used=False)


@FUZZED_ADMIN
def test_the_ofd_emulator_answers_anything_as_its_openapi_document_says(ofd_emulator: OfdEmulator,
                                                                       every_operation_answers_as_documented) -> None:
    # A delay or failure one example arms must not slow or fail the next.
    sent = every_operation_answers_as_documented(ofd_emulator.url, ofd_emulator.reset)
    assert len(sent) >= 8 and min(sent.values()) > 0, sent


@FUZZED_ADMIN
def test_the_odoo_api_emulator_answers_anything_as_its_openapi_document_says(
    odoo_api_emulator: OdooApiEmulator, every_operation_answers_as_documented
) -> None:
    sent = every_operation_answers_as_documented(odoo_api_emulator.url, odoo_api_emulator.reset)
    assert len(sent) >= 8 and min(sent.values()) > 0, sent


def test_the_netfault_admin_answers_anything_as_its_openapi_document_says(
        netfault_admin: tuple[NetfaultProxy, str], every_operation_answers_as_documented) -> None:
    proxy, url = netfault_admin
    sent = every_operation_answers_as_documented(url, proxy.reset)
    assert len(sent) >= 9 and min(sent.values()) > 0, sent
