"""`opticserp adapter` as a user runs it: a real process, stopped by PID."""

from __future__ import annotations

import json
import signal

from pytest_opticserp import http_client
from tests.support import free_port, seed_receipt, wait_until_healthy


def test_the_adapter_command_serves_receipts_and_stops_on_sigterm(run_adapter) -> None:
    port = free_port()
    running = run_adapter("--port", str(port))
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, running)

    response = http_client.post(f"{url}/v1/kkt/receipt", json=seed_receipt(), headers={"X-Idempotency-Key": "cli"})
    assert response.status_code == 200

    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after shutdown
    assert "Application shutdown complete" in running.log()


def test_the_adapter_reads_its_port_from_the_environment(run_adapter) -> None:
    port = free_port()
    running = run_adapter(KKT_ADAPTER_PORT=str(port))
    wait_until_healthy(f"http://127.0.0.1:{port}", running)


def test_an_invalid_variable_stops_start_up_naming_it(run_adapter) -> None:
    running = run_adapter(SYNC_INTERVAL="soon")
    assert running.process.wait(timeout=15) == 2
    output = running.log()
    assert "SYNC_INTERVAL" in output and "soon" in output
    assert "Traceback" not in output


def test_a_taxation_system_the_ofd_would_reject_stops_start_up_before_any_receipt_is_signed(run_adapter) -> None:
    running = run_adapter(KKT_TAXATION_SYSTEM="3")
    assert running.process.wait(timeout=15) == 2
    output = running.log()
    assert "KKT_TAXATION_SYSTEM" in output and "got '3'" in output
    assert "Traceback" not in output


def test_the_real_register_mode_says_what_is_missing(run_adapter) -> None:
    running = run_adapter(KKT_MODE="real")
    assert running.process.wait(timeout=15) == 2
    assert "KKT_MODE" in running.log()


def test_the_adapter_process_logs_json_without_its_signing_key(run_adapter) -> None:
    port = free_port()
    running = run_adapter("--port", str(port), KKT_SIGN_KEY="very-secret-key", LOG_LEVEL="DEBUG")
    wait_until_healthy(f"http://127.0.0.1:{port}", running)
    http_client.post(f"http://127.0.0.1:{port}/v1/kkt/receipt", json=seed_receipt(), headers={"X-Idempotency-Key": "k"})
    running.process.terminate()
    running.process.wait(timeout=15)
    lines = [json.loads(line) for line in running.log().splitlines() if line.startswith("{")]
    fiscalized = [entry for entry in lines if entry["message"] == "receipt fiscalized"]
    assert fiscalized and {"receipt_id", "pos_id", "fiscal_doc_number", "fn_serial"} <= set(fiscalized[0])
    assert "very-secret-key" not in running.log()
