"""The development stack in one command, as local processes: `opticserp up`, `status`, `down`, `restart`, `logs`.

Redis, the OFD and Odoo API emulators and the KKT adapter (plus PostgreSQL and Odoo 17 when asked or
installed, and the Shtrih-M register emulator for the adapter's real driver with `--kkt serial`) on the seed
guide's ports, bound to 127.0.0.1, configured from `.env.dev` and `.env`. The state
of a running stack lives in `.opticserp/` beside `.env.dev`. `docker-compose.dev.yml` runs the same
services for those with Docker.
"""

from .config import StackConfig, StackConfigError, load_config
from .stack import down, logs, restart, status, up

__all__ = ["StackConfig", "StackConfigError", "down", "load_config", "logs", "restart", "status", "up"]
