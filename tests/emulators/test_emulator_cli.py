"""`python -m emulators ...` (mounted as `opticserp emulator ...`) run as real processes on free ports."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from emulators.cli import app
from pytest_opticserp import http_client
from pytest_opticserp.waiting import eventually


def test_the_cli_offers_the_three_emulators() -> None:
    result = CliRunner().invoke(app, ["--help"])

    assert result.exit_code == 0
    for command in ("ofd", "odoo-api", "netfault"):
        assert command in result.output


def test_the_ofd_command_serves_the_seed_health(run_cli, free_port) -> None:
    port = free_port()
    ofd = run_cli("ofd", "--port", str(port))

    ofd.wait_until_healthy(f"http://127.0.0.1:{port}/ofd/v1/health")

    health = http_client.get(f"http://127.0.0.1:{port}/ofd/v1/health").json()
    assert (health["status"], health["receipts_received"]) == ("healthy", 0)


def test_the_ofd_command_reads_the_failure_variables(run_cli, free_port, make_receipt) -> None:
    port = free_port()
    env = {"MOCK_OFD_FAILURE_MODE": "count", "MOCK_OFD_FAILURE_COUNT": "2", "MOCK_OFD_RESPONSE_DELAY": "0.2"}
    url = f"http://127.0.0.1:{port}/ofd/v1"
    run_cli("ofd", "--port", str(port), env=env).wait_until_healthy(f"{url}/health")

    started = time.monotonic()
    codes = [http_client.post(f"{url}/receipts", json=make_receipt()).status_code for _ in range(3)]

    assert codes == [503, 503, 200]
    assert time.monotonic() - started >= 0.6


def test_the_ofd_command_logs_each_document_its_sender_and_what_it_answered(run_cli, free_port,
                                                                            make_receipt) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/ofd/v1"
    ofd = run_cli("ofd", "--port", str(port), env={"MOCK_OFD_FAILURE_COUNT": "1", "MOCK_OFD_FAILURE_MODE": "count"})
    ofd.wait_until_healthy(f"{url}/health")
    receipt = make_receipt(fiscal_doc_number=43)
    fn = receipt["fn_serial"]
    for body in (receipt, receipt, receipt, make_receipt(fiscal_doc_number=44, total=-1), [1]):
        http_client.post(f"{url}/receipts", json=body, headers={"User-Agent": "pos-7 (pid 99)"})

    expected = [f"FD 43 of FN {fn} from pos-7 (pid 99): 503, injected failure (0 left)",
                f"FD 43 of FN {fn} from pos-7 (pid 99): 200, accepted",
                f"FD 43 of FN {fn} from pos-7 (pid 99): 200, duplicate",
                f"FD 44 of FN {fn} from pos-7 (pid 99): 422, rejected",
                "a body that names no document from pos-7 (pid 99): 400, rejected"]
    eventually(lambda: expected[-1] in ofd.output(), "the last document's line in the OFD's output")
    logged = [line.split("INFO:", 1)[1].strip() for line in ofd.output().splitlines() if " from pos-7 " in line]
    assert logged == expected


def test_the_ofd_command_refuses_an_invalid_variable_naming_it(run_cli, free_port) -> None:
    ofd = run_cli("ofd", "--port", str(free_port()), env={"MOCK_OFD_RESPONSE_DELAY": "15s"})

    assert ofd.wait_exit() == 2
    assert "MOCK_OFD_RESPONSE_DELAY" in ofd.output() and "'15s'" in ofd.output()


HEARTBEAT = {"adapter_id": "kkt-adapter-001", "timestamp": "2026-11-21T10:15:00+03:00", "status": "healthy",
             "buffer": {"pending_count": 0, "synced_count": 1}, "circuit_breaker": "CLOSED",
             "network_status": "ONLINE", "version": "0.1.0"}


@pytest.mark.parametrize(("command", "base", "health", "post"), [
    ("ofd", "/ofd/v1", "/health", "/receipts"),
    ("odoo-api", "/api/v1", "/health", "/kkt/heartbeat"),
])
def test_sigterm_stops_the_command_at_once_while_a_delayed_request_waits(
    run_cli, free_port, make_receipt, command: str, base: str, health: str, post: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{base}"
    emulator = run_cli(command, "--port", str(port))
    emulator.wait_until_healthy(f"{url}{health}")
    http_client.post(f"{url}/admin/set-delay", json={"delay": 60}).raise_for_status()
    body = make_receipt() if command == "ofd" else HEARTBEAT
    answers: list[int] = []

    def post_request() -> None:
        answers.append(http_client.post(f"{url}{post}", json=body, timeout=30).status_code)

    in_flight = threading.Thread(target=post_request, daemon=True)
    in_flight.start()
    eventually(lambda: http_client.get(f"{url}/admin/stats").json()["calls"] == 1, "the request in flight",
               timeout=10)

    stopped_at = time.monotonic()
    emulator.stop()  # SIGTERM, and SIGKILL only after 10 s, which the assertion below would catch
    in_flight.join(10)

    # under 4 s: before the 5 s backstop that cancels what still runs, so this is the delay ending at the stop
    assert time.monotonic() - stopped_at < 4, emulator.output()
    assert answers == [503]  # answered, not taken: the emulator went away before it took the request


def test_the_header_limits_are_set_on_the_command_line(run_cli, free_port) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/ofd/v1/health"
    run_cli("ofd", "--port", str(port), "--max-header-count", "20").wait_until_healthy(url)

    within = http_client.get(url, headers={f"X-{n}": "y" for n in range(10)})
    over = http_client.get(url, headers={f"X-{n}": "y" for n in range(30)})

    assert within.status_code == 200
    assert over.status_code == 431 and over.json()["status"] == "error", over.text


def test_the_odoo_api_command_serves_the_seed_health(run_cli, free_port) -> None:
    port = free_port()
    run_cli("odoo-api", "--port", str(port)).wait_until_healthy(f"http://127.0.0.1:{port}/api/v1/health")

    health = http_client.get(f"http://127.0.0.1:{port}/api/v1/health").json()
    assert health == {"status": "healthy", "heartbeats_received": 0}


def test_the_netfault_command_forwards_and_obeys_its_admin_api(run_cli, free_port, echo_server) -> None:
    listen_port, admin_port = free_port(), free_port()
    upstream = f"127.0.0.1:{echo_server[1]}"
    run_cli(
        "netfault", "--listen-port", str(listen_port), "--upstream", upstream, "--admin-port", str(admin_port)
    ).wait_until_healthy(f"http://127.0.0.1:{admin_port}/health")

    with socket.create_connection(("127.0.0.1", listen_port), timeout=5) as sock:
        sock.sendall(b"through the proxy")
        assert sock.recv(64) == b"through the proxy"
    http_client.post(f"http://127.0.0.1:{admin_port}/proxy/disable")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", listen_port), timeout=5)


def test_the_netfault_command_refuses_a_malformed_upstream() -> None:
    result = CliRunner().invoke(app, ["netfault", "--listen-port", "9999", "--upstream", "nowhere"])

    assert result.exit_code == 2
    assert "HOST:PORT" in result.output
