"""Run the adapter as a server process: settings from the environment and an env file, then uvicorn.

The product's own entry point (`python -m kkt_adapter`); the `opticserp adapter` command of the tools calls it.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

STARTUP_FAILURE = 3  # as uvicorn.run exits when it cannot serve (the port taken, the lifespan failed)


def run(host: str | None = None, port: int | None = None, env_file: Path = Path(".env"),
        prog: str = "kkt_adapter") -> int:
    """Serve until stopped; 2 (with the problem on stderr) when the settings cannot work."""
    # Imported here so that a process that only parses arguments starts without the app's imports.
    import uvicorn

    from fiscal.http_server import PromptServer

    from .api.errors import header_limited_protocol
    from .app import create_app
    from .logs import configure_logging
    from .settings import ConfigurationError, load_settings

    overrides = {k: v for k, v in {"kkt_adapter_host": host, "kkt_adapter_port": port}.items() if v is not None}
    try:
        settings = load_settings(env_file if env_file.exists() else None, **overrides)
        configure_logging(settings.log_level)
        application = create_app(settings)
    except ConfigurationError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    server = PromptServer(uvicorn.Config(
        application,
        host=settings.kkt_adapter_host,
        port=settings.kkt_adapter_port,
        log_config=None,
        access_log=settings.log_level == "DEBUG",
        timeout_graceful_shutdown=10,
        http=header_limited_protocol(settings.max_header_bytes, settings.max_header_count),
    ))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises Ctrl-C again once it has shut down
        server.run()
    return 0 if server.started else STARTUP_FAILURE


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m kkt_adapter", description="Run the KKT adapter.")
    parser.add_argument("--host", help="Bind address [env KKT_ADAPTER_HOST, default 127.0.0.1]")
    parser.add_argument("--port", type=int, help="Bind port [env KKT_ADAPTER_PORT, default 8000]")
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="Settings file read after the environment")
    args = parser.parse_args(argv)
    return run(args.host, args.port, args.env_file)
