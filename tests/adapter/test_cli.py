"""`opticserp adapter` as a user runs it: a real process (the plugin's `kkt_adapter`), stopped by PID."""

from __future__ import annotations

import json
import signal

import pytest

from pytest_opticserp import KktAdapter
from pytest_opticserp.executors.base import ServerStartError


def test_the_adapter_command_serves_receipts_and_stops_on_sigterm(kkt_adapter: KktAdapter) -> None:
    assert kkt_adapter.post_receipt().status_code == 200

    kkt_adapter.stop()  # SIGTERM to its PID; SIGKILL only if it lingers, which the exit code would show

    assert kkt_adapter.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after shutdown
    assert "Application shutdown complete" in kkt_adapter.log()


def test_the_adapter_reads_its_port_from_the_environment(kkt_adapter: KktAdapter) -> None:
    assert "--port" not in kkt_adapter.command and kkt_adapter.command[-1] == "adapter"
    assert kkt_adapter.env["KKT_ADAPTER_PORT"] == str(kkt_adapter.port)
    assert kkt_adapter.health()["status"] in ("healthy", "degraded")


def refused_start(adapter: KktAdapter) -> str:
    """Start an adapter expected to refuse its settings; its output, once it exited with code 2."""
    with pytest.raises(ServerStartError):
        adapter.start()
    assert adapter.returncode == 2, adapter.log()
    return adapter.log()


@pytest.mark.kkt_adapter(sync_interval="soon")
def test_an_invalid_variable_stops_start_up_naming_it(kkt_adapter_unstarted: KktAdapter) -> None:
    output = refused_start(kkt_adapter_unstarted)
    assert "SYNC_INTERVAL" in output and "soon" in output
    assert "Traceback" not in output


@pytest.mark.kkt_adapter(kkt_taxation_system="3")
def test_a_taxation_system_the_ofd_would_reject_stops_start_up_before_any_receipt_is_signed(
    kkt_adapter_unstarted: KktAdapter
) -> None:
    output = refused_start(kkt_adapter_unstarted)
    assert "KKT_TAXATION_SYSTEM" in output and "got '3'" in output
    assert "Traceback" not in output


@pytest.mark.kkt_adapter(kkt_mode="real", kkt_device="")  # "": no device, not the plugin's serial register
def test_the_real_register_mode_says_what_is_missing(kkt_adapter_unstarted: KktAdapter) -> None:
    output = refused_start(kkt_adapter_unstarted)
    assert "KKT_DEVICE" in output and "Traceback" not in output


@pytest.mark.kkt_adapter(kkt_sign_key="very-secret-key", log_level="DEBUG")
def test_the_adapter_process_logs_json_without_its_signing_key(kkt_adapter: KktAdapter) -> None:
    kkt_adapter.post_receipt()
    kkt_adapter.stop()
    lines = [json.loads(line) for line in kkt_adapter.log().splitlines() if line.startswith("{")]
    fiscalized = [entry for entry in lines if entry["message"] == "receipt fiscalized"]
    assert fiscalized and {"receipt_id", "pos_id", "fiscal_doc_number", "fn_serial"} <= set(fiscalized[0])
    assert "very-secret-key" not in kkt_adapter.log()
