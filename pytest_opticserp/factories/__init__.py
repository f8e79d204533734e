"""Fixture factories: call one in a conftest to declare another server, database or client fixture."""

from pytest_opticserp.factories.adapter import kkt_adapter, scenario
from pytest_opticserp.factories.adapter_app import kkt_adapter_app
from pytest_opticserp.factories.emulators import fault_proxy, odoo_api, odoo_api_server, ofd, ofd_server
from pytest_opticserp.factories.postgresql import postgresql, postgresql_database, postgresql_noproc, postgresql_proc
from pytest_opticserp.factories.redis import redis_client, redis_noproc, redis_proc
from pytest_opticserp.factories.register_device import kkt_register_device

__all__ = [
    "fault_proxy",
    "kkt_adapter",
    "kkt_adapter_app",
    "kkt_register_device",
    "odoo_api",
    "odoo_api_server",
    "ofd",
    "ofd_server",
    "postgresql",
    "postgresql_database",
    "postgresql_noproc",
    "postgresql_proc",
    "redis_client",
    "redis_noproc",
    "redis_proc",
    "scenario",
]
