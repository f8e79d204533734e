"""The OpenAPI documents list what a server answers before any route sees the request.

The property tests send allowed Hosts, no Origin and small headers, so they never meet these answers; the
documents must list them all the same, or a client generated from them is surprised by a 400, 403 or 431.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from emulators.netfault import create_admin_app
from emulators.odoo_api.app import create_app as create_odoo_api_app
from emulators.ofd.app import create_app as create_ofd_app
from kkt_adapter.app import create_app as create_adapter_app
from kkt_adapter.settings import load_settings

SAFE = {"get", "head", "options"}


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in app.openapi()["paths"].items() for method, op in ops.items()]


@pytest.mark.parametrize(("name", "build", "admin"), [
    ("ofd", lambda: create_ofd_app(), "/ofd/v1/admin"),
    ("odoo-api", lambda: create_odoo_api_app(), "/api/v1/admin"),
    ("netfault", lambda: create_admin_app(None), "/"),
])
def test_every_emulator_operation_lists_the_guard_and_header_answers(name: str, build, admin: str) -> None:
    for path, method, operation in operations(build()):
        expected = {"431"} | ({"400"} if path.startswith(admin) else set())
        expected |= {"403"} if path.startswith(admin) and method not in SAFE else set()
        assert expected <= set(operation["responses"]), f"{name} {method.upper()} {path}: {operation['responses']}"


def test_every_adapter_operation_lists_the_access_answers(tmp_path) -> None:
    app = create_adapter_app(load_settings(None, buffer_db_path=tmp_path / "buffer.db"))
    for path, method, operation in operations(app):
        expected = {"400", "431"}
        expected |= {"401"} if path != "/v1/health" else set()
        expected |= {"403", "413", "415"} if method not in SAFE else set()
        assert expected <= set(operation["responses"]), f"{method.upper()} {path}: {operation['responses']}"
