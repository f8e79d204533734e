"""How long a server takes to stop once asked: uvicorn's own server vs ours (`fiscal.http_server.PromptServer`),
which every adapter and emulator now runs; a suite stops one after nearly every test.

Both in the same run, taking turns: a tiny app served from a thread, one keep-alive request answered (as a
test's client leaves it), then stop asked and timed until the server's thread has ended.
"""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import uvicorn

from emulators.serving import bind_socket
from fiscal.http_server import PromptServer

ROUNDS = 20
TARGET_RATIO = 0.5


async def tiny_app(scope, receive, send) -> None:  # noqa: ANN001 - the ASGI triple
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def stop_seconds(server_class: type[uvicorn.Server]) -> float:
    sock = bind_socket()
    server = server_class(uvicorn.Config(tiny_app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.005)
        assert client.get("/").text == "ok"
        began = time.perf_counter()
        server.should_exit = True
        thread.join(10)
        seconds = time.perf_counter() - began
    sock.close()
    assert not thread.is_alive(), f"{server_class.__name__} did not stop within 10 s"
    return seconds


def test_our_server_stops_at_once_where_uvicorns_waits_for_its_tick_and_pause(opticserp_report_figure) -> None:
    times: dict[str, list[float]] = {"PromptServer": [], "uvicorn.Server": []}
    for _ in range(ROUNDS):
        times["PromptServer"].append(stop_seconds(PromptServer))
        times["uvicorn.Server"].append(stop_seconds(uvicorn.Server))

    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["PromptServer"] / median["uvicorn.Server"]
    opticserp_report_figure(
        f"server stop, asked to thread ended, median of {ROUNDS}: PromptServer {median['PromptServer'] * 1000:.1f} ms "
        f"vs uvicorn.Server {median['uvicorn.Server'] * 1000:.1f} ms in the same run (ratio {ratio:.2f}, target <= "
        f"{TARGET_RATIO})"
    )
    assert ratio <= TARGET_RATIO, times
