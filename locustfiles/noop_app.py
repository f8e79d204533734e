"""The machine's ceiling: the adapter's three load-tested paths as FastAPI endpoints that do nothing.

The same Locust load against this app and against the adapter shows what the adapter itself costs: both
are FastAPI apps served by `uvicorn.run` with the same arguments as `opticserp adapter` (uvloop and
httptools when installed), and the receipt endpoint still parses the JSON body, as any FastAPI endpoint
taking a receipt would. With `--durable` it also commits each body to SQLite through the adapter's own
`SqliteWorker` (WAL, synchronous=FULL, group commit) before answering: the ceiling for an endpoint that
must not lose what it acknowledged, which separates the cost of durability from the rest of the adapter.

    python -m locustfiles.noop_app --port 8100 [--durable DIR]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI


def create_app(durable_dir: Path | None = None) -> FastAPI:
    store = None
    if durable_dir is not None:
        from kkt_adapter.sqlite import SqliteWorker

        store = SqliteWorker(durable_dir / "noop.db",
                             "CREATE TABLE IF NOT EXISTS receipts (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            await store.open()
        try:
            yield
        finally:
            if store is not None:
                await store.close()

    app = FastAPI(title="no-op ceiling for the KKT adapter's load tests", lifespan=lifespan)

    @app.post("/v1/kkt/receipt")
    async def receipt(body: dict[str, Any]) -> dict[str, str]:
        if store is not None:
            text = json.dumps(body, ensure_ascii=False)
            await store.transaction(lambda conn: conn.execute("INSERT INTO receipts (body) VALUES (?)", (text,)))
        return {"status": "fiscalized", "receipt_id": "noop"}

    @app.get("/v1/kkt/buffer/status")
    async def buffer_status() -> dict[str, Any]:
        return {"pending_count": 0, "synced_count": 0, "network_status": "ONLINE"}

    @app.get("/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from fiscal.http_limits import limited_protocol

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--durable", type=Path, metavar="DIR", help="commit each receipt to DIR/noop.db first")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.durable), host=args.host, port=args.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=10, http=limited_protocol())


if __name__ == "__main__":
    main()
