"""The load runner, run briefly: its reports, its summary, its exit status, and the processes it leaves (none).

Timings here are tiny on purpose (a few seconds of load); the figures worth reading come from the commands in
docs/performance.md. Targets are set so that the verdict never depends on this machine's speed: a generous one
(10 s) is always met and an impossible one (0.001 ms) never is. Each user waits THINK seconds between requests:
the runs check what the runner starts, prints and stops, which needs requests, not a saturated machine (at full
speed these runs alone took 20 s of CPU from the suite's two cores).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from opticserp_tools.load import main, run_load
from opticserp_tools.load.options import LoadOptions, cli_fields
from pytest_opticserp import KktAdapter, eventually, http_client
from pytest_opticserp.executors.base import ServerProcess

GENEROUS_MS = "10000"
THINK = 0.05
LOAD_ADAPTER = pytest.mark.kkt_adapter(redis=False, buffer_max_size=100_000)


def started_pids(output: str) -> dict[str, int]:
    return {name: int(pid) for name, pid in re.findall(r"started (.+?) \(pid (\d+)\)", output)}


def run_runner(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "opticserp_tools.load", "--think-time", str(THINK), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_a_run_on_its_own_stack_writes_reports_prints_the_summary_and_stops_its_processes(tmp_path: Path) -> None:
    """One run on the runner's own stack (adapter, OFD emulator, Locust: starting it is the dearest part of these
    tests) is read for its reports, its summary's lines and figures, and the processes it leaves."""
    done = run_runner("-u", "4", "-t", "3s", "--p95-target", GENEROUS_MS, "--report-dir", str(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    for report in ("adapter_stats.csv", "adapter_stats_history.csv", "adapter.html"):
        assert (tmp_path / report).stat().st_size > 0, f"{report} is missing or empty"
    for line in ("POST /v1/kkt/receipt", "GET /v1/kkt/buffer/status", "GET /v1/health", "all requests",
                 f"target P95 < {GENEROUS_MS} ms: met", "target no failed requests: met", "result: every target met"):
        assert line in done.stdout, f"{line!r} not in the summary:\n{done.stdout}"
    assert_the_summary_gives_p50_p95_p99_requests_per_second_and_cpu_per_receipt(done.stdout)
    pids = started_pids(done.stdout)
    assert {"OFD emulator", "adapter", "Locust"} <= set(pids), done.stdout
    assert not [name for name, pid in pids.items() if psutil.pid_exists(pid)], "left running after the run"


def assert_the_summary_gives_p50_p95_p99_requests_per_second_and_cpu_per_receipt(summary: str) -> None:
    header = next(line for line in summary.splitlines() if line.startswith("adapter "))
    assert header.split()[1:] == ["requests", "failed", "req/s", "p50", "p95", "p99", "ms"]
    receipts = next(line for line in summary.splitlines() if line.strip().startswith("POST /v1/kkt/receipt"))
    requests, failed, rps, p50, p95, p99 = receipts.split()[2:]
    assert int(requests) > 0 and int(failed) == 0 and float(rps) > 0
    assert float(p50) <= float(p95) <= float(p99)
    cpu = re.search(r"^cpu per receipt: adapter ([0-9.]+) ms, OFD emulator ([0-9.]+) ms \((\d+) receipts",
                    summary, re.MULTILINE)
    assert cpu is not None, summary
    assert float(cpu[1]) > 0 and float(cpu[2]) > 0 and int(cpu[3]) == int(requests)


@LOAD_ADAPTER
def test_an_impossible_p95_target_exits_non_zero(kkt_adapter: KktAdapter, tmp_path: Path, capsys) -> None:
    status = main(["--url", kkt_adapter.url, "--think-time", str(THINK), "-u", "2", "-t", "2s", "--p95-target", "0.001",
                   "--tags", "receipt", "--report-dir", str(tmp_path)])

    assert status == 1
    assert "target P95 < 0.001 ms: MISSED" in capsys.readouterr().out


@pytest.mark.kkt_adapter(redis=False, buffer_max_size=100_000, kkt_api_token="load-t0ken")
def test_a_run_against_an_adapter_that_asks_for_a_token_sends_the_one_in_the_environment(
    kkt_adapter: KktAdapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KKT_API_TOKEN", "load-t0ken")
    result = run_load(kkt_adapter.url, users=2, duration=2, think_time=THINK, p95_target_ms=float(GENEROUS_MS),
                      report_dir=tmp_path, out=lambda line: None)

    assert result.exit_code == 0, "\n".join(result.summary_lines())
    assert result.adapter.throughput_row.requests > 0
    assert all(row.failures == 0 for row in result.adapter.endpoints), result.adapter.endpoints


@LOAD_ADAPTER
def test_a_generous_target_against_a_running_adapter_exits_zero(kkt_adapter: KktAdapter, tmp_path: Path) -> None:
    result = run_load(kkt_adapter.url, users=2, duration=2, think_time=THINK, p95_target_ms=float(GENEROUS_MS),
                      report_dir=tmp_path, out=lambda line: None)

    assert result.exit_code == 0, "\n".join(result.summary_lines())
    status = kkt_adapter.status()
    stored = status["fiscalizing_count"] + status["pending_count"] + status["synced_count"]
    assert 0 < result.adapter.throughput_row.requests <= stored, "every receipt Locust counted is in the buffer"


@LOAD_ADAPTER
def test_distributed_locust_runs_a_master_and_two_workers(kkt_adapter: KktAdapter, tmp_path: Path) -> None:
    result = run_load(kkt_adapter.url, users=4, duration=5, workers=2, think_time=THINK,
                      p95_target_ms=float(GENEROUS_MS), report_dir=tmp_path, out=lambda line: None)

    assert result.adapter.workers_connected == 2
    assert result.adapter.aggregated.requests > 0 and result.ok, "\n".join(result.summary_lines())
    assert {"Locust master", "Locust worker 1", "Locust worker 2"} <= set(started_pids("\n".join(result.started)))


def test_against_the_durable_no_op_the_run_prints_both_tables_both_ratios_and_judges_both(tmp_path: Path) -> None:
    """Issue 17's targets in one command: the durable no-op app first, then the adapter, compared (targets set so
    the verdict does not depend on the machine; `tests/unit/test_load_checks.py` has the missed ones)."""
    done = run_runner("-u", "2", "-t", "2s", "--tags", "receipt", "--compare-noop", "--noop-durable",
                      "--p95-target", GENEROUS_MS, "--report-dir", str(tmp_path),
                      "--min-noop-ratio", "0.000001", "--max-noop-p95-factor", "1000")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "durable no-op FastAPI app, same load" in done.stdout, done.stdout
    throughput = re.search(r"^adapter / no-op throughput \(POST /v1/kkt/receipt\): ([0-9.]+) / ([0-9.]+) req/s",
                           done.stdout, re.MULTILINE)
    p95 = re.search(r"^adapter / no-op P95 \(POST /v1/kkt/receipt\): ([0-9.]+) / ([0-9.]+) ms", done.stdout,
                    re.MULTILINE)
    assert throughput is not None and p95 is not None, done.stdout
    assert float(throughput[1]) > 0 and float(throughput[2]) > 0 and float(p95[1]) > 0
    spent = re.search(r"^cpu per receipt: adapter ([0-9.]+) ms", done.stdout, re.MULTILINE)
    budget = re.search(r"^cpu budget at the target rate \(([0-9.]+) receipts/s\): the OFD emulator and Locust would "
                       r"take [0-9.]+ of the \d+ cores, .*: [0-9.]+ ms per receipt; it used ([0-9.]+) ms$", done.stdout,
                       re.MULTILINE)
    assert spent is not None and budget is not None, done.stdout
    assert float(budget[1]) == pytest.approx(0.000001 * float(throughput[2]), abs=0.05) and budget[2] == spent[1]
    for line in ("target throughput >= 1e-06 of the durable no-op FastAPI app's: met",
                 "target P95 <= 1000x the durable no-op FastAPI app's: met", "result: every target met"):
        assert line in done.stdout, done.stdout
    assert not [pid for pid in started_pids(done.stdout).values() if psutil.pid_exists(pid)], "left running"


def test_ctrl_c_stops_every_process_the_runner_started(tmp_path: Path) -> None:
    output = tmp_path / "runner.out"
    runner = ServerProcess("opticserp load", [sys.executable, "-m", "opticserp_tools.load", "-u", "2", "-t", "60s",
                                              "--think-time", str(THINK), "--report-dir", str(tmp_path)],
                           logfile=output).start()
    try:
        printed = eventually(lambda: "started Locust" in (text := output.read_text()) and text,
                             "the runner to start its stack and Locust", output.read_text, timeout=45)
        pids = started_pids(printed)
        adapter = re.search(r"started adapter \(pid \d+\) on (\S+)", printed)
        assert adapter is not None, printed
        eventually(lambda: http_client.get(f"{adapter.group(1)}/v1/kkt/buffer/status").json()["synced_count"] > 0,
                   "Locust's receipts to reach the OFD through the adapter", timeout=30)

        runner.signal_group(signal.SIGINT)  # Ctrl-C in a terminal reaches the whole foreground group
        returncode = runner.wait(timeout=30)
    finally:
        if runner.running():  # it did not stop on Ctrl-C: the test fails below, and leaves nothing behind
            runner.stop()
            for pid in started_pids(output.read_text()).values():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    assert returncode == 130, output.read_text()
    assert not [name for name, pid in pids.items() if psutil.pid_exists(pid)], f"left running: {pids}"


@pytest.mark.parametrize(("option", "value"), [("--print-delay", "500-200"), ("--duration", "soon"), ("--users", "x"),
                                               ("--min-noop-ratio", "0.5"), ("--max-noop-p95-factor", "2")])
def test_a_wrong_option_value_exits_2_naming_the_option(option: str, value: str, capsys) -> None:
    """The no-op targets without --compare-noop are wrong too: there is nothing to compare with."""
    assert main([option, value]) == 2
    assert option in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--min-noop-ratio", "--max-noop-p95-factor"])
def test_a_no_op_target_of_zero_or_less_exits_2_naming_the_option(option: str, capsys) -> None:
    assert main(["--compare-noop", option, "0"]) == 2
    assert option in capsys.readouterr().err


def test_every_option_but_the_adapters_extra_environment_is_on_the_command_line() -> None:
    assert set(LoadOptions.model_fields) - set(cli_fields()) == {"adapter_env"}


def test_the_token_for_locust_is_read_where_opticserp_status_reads_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from opticserp_tools.load.locust_run import _token_passed_on

    monkeypatch.delenv("KKT_API_TOKEN", raising=False)
    (tmp_path / ".env.dev").write_text("KKT_ADAPTER_PORT=8000\n")
    (tmp_path / ".env").write_text("KKT_API_TOKEN=from-dot-env\n")
    monkeypatch.chdir(tmp_path)
    assert _token_passed_on() == {"KKT_API_TOKEN": "from-dot-env"}

    monkeypatch.setenv("KKT_API_TOKEN", "from-the-environment")
    assert _token_passed_on() == {"KKT_API_TOKEN": "from-the-environment"}
