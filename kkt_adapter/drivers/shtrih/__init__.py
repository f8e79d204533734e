"""The `real` driver: a Shtrih-M register over pyserial (a serial port, a pty, or `socket://host:port`)."""

from .driver import ShtrihDriver
from .link import LinkError, LinkTimeouts

__all__ = ["LinkError", "LinkTimeouts", "ShtrihDriver"]
