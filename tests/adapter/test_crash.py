"""A real adapter process killed with SIGKILL between the OFD's acknowledgement and its own commit."""

from __future__ import annotations

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from pytest_opticserp import http_client
from tests.support import eventually, free_port, seed_receipt, wait_until_healthy


def test_a_kill_after_the_ofd_acknowledged_gives_no_second_document(run_adapter, ofd: OfdEmulator) -> None:
    with NetfaultProxy(f"{ofd.host}:{ofd.port}") as network:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        first = run_adapter("--port", str(port), OFD_URL=network.url, OFD_TIMEOUT="60")
        wait_until_healthy(url, first)
        eventually(lambda: http_client.get(f"{url}/v1/health").json()["network_status"] == "ONLINE",
                   "the adapter's first contact with the OFD")
        # The OFD's answer is held back on the way to the adapter: the OFD has the receipt, the adapter not yet.
        network.add_toxic("latency", name="slow-answer", latency_ms=30_000, direction="downstream")
        receipt = http_client.post(f"{url}/v1/kkt/receipt", json=seed_receipt(), headers={"X-Idempotency-Key": "k"})
        assert receipt.status_code == 200
        ofd.wait_for(1)

        first.process.kill()
        first.process.wait(timeout=10)
        network.remove_toxic("slow-answer")

        second = run_adapter("--port", str(port), OFD_URL=network.url)
        wait_until_healthy(url, second)
        status = f"{url}/v1/kkt/buffer/status"
        eventually(lambda: http_client.get(status).json()["synced_count"] == 1,
                   "the receipt to end synced after the restart", lambda: http_client.get(status).json())

    assert ofd.receipts_received == 1
    assert ofd.counters.duplicates == 1
    (document,) = ofd.received()
    assert document.times_received == 2
    assert document.document["fiscal_doc_number"] == receipt.json()["fiscal"]["fiscal_doc_number"]
