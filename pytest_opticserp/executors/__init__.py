"""Process management for the servers the plugin starts: one place that spawns, waits for and stops them."""

from pytest_opticserp.executors.base import RunAs, ServerProcess, ServerStartError, ServiceControlError

__all__ = ["RunAs", "ServerProcess", "ServerStartError", "ServiceControlError"]
