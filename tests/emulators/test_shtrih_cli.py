"""The Shtrih-M emulator's admin API and its command, `opticserp emulator shtrih`, with a stand-in register."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from pathlib import Path

import pytest

from emulators.shtrih.handle import ShtrihEmulator
from fiscal.shtrih import ENQ, NAK
from pytest_opticserp import http_client
from pytest_opticserp.waiting import eventually

from .shtrih_host import RawHost, StandInRegister


def test_the_admin_api_switches_power_and_paper_and_names_a_bad_field(tmp_path: Path) -> None:
    register = StandInRegister()
    with ShtrihEmulator(register, link=tmp_path / "kkt", tcp_port=None, admin_port=0) as emulator:
        url = emulator.admin_url
        host = RawHost.on_pty(emulator.link_path)
        with contextlib.closing(host):
            assert http_client.post(f"{url}/power/off").json()["powered"] is False
            host.send(bytes([ENQ]))
            assert host.quiet_for()
            assert http_client.post(f"{url}/power/on").json()["powered"] is True
            host.send(bytes([ENQ]))
            assert host.read(1) == bytes([NAK])

        assert http_client.post(f"{url}/paper/out").json()["paper_present"] is False
        assert register.paper_present is False
        refused = http_client.post(f"{url}/faults/drop", json={"count": "2"})
        assert refused.status_code == 422 and refused.json()["field"] == "count"
        assert http_client.post(f"{url}/faults/slow-line", json={"baud": 1200}).json()["baud"] == 1200


LINE = re.compile(r"shtrih: pty (?P<pty>\S+), link (?P<link>\S+), tcp [\d.]+:(?P<tcp>\d+), admin (?P<admin>\S+),")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_the_cli_serves_the_pty_tcp_and_admin_and_stops_on_a_signal(run_cli, tmp_path: Path, stop_signal) -> None:
    link = tmp_path / "kkt"
    cli = run_cli("shtrih", "--link", str(link), "--tcp-port", "0", "--baud", "0",
                  "--register", f"{StandInRegister.__module__}:StandInRegister")
    where = eventually(lambda: LINE.search(cli.output()) or not cli.server.running(),
                       "the line saying where it listens", lambda: cli.output()[-2000:], timeout=30)
    assert cli.server.running(), cli.output()
    assert os.readlink(link) == where["pty"]

    for host in (RawHost.on_pty(link), RawHost.on_tcp(int(where["tcp"]))):
        host.send(bytes([ENQ]))
        assert host.read(1) == bytes([NAK])
        host.close()
    assert http_client.get(f"{where['admin']}/device").json()["powered"] is True

    cli.server.signal_group(stop_signal)  # as the terminal's Ctrl-C does, or a process manager's stop
    assert cli.server.wait(10) == 0, cli.output()
    assert not link.is_symlink() and not link.exists()
