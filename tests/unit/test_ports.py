"""Picking ports: port-for's good ports, worked out once per process, and never one in use or excluded."""

from __future__ import annotations

import socket

import port_for
import pytest

from pytest_opticserp import ports


def test_a_pick_is_one_of_port_fors_good_ports_and_nobody_listens_on_it() -> None:
    port = ports.select_random()

    assert port in port_for.available_good_ports()
    assert not port_for.port_is_used(port)


def test_the_good_ports_are_worked_out_once_however_many_ports_are_picked(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = port_for.available_good_ports
    monkeypatch.setattr(port_for, "available_good_ports", lambda: calls.append(1) or real())
    ports.good_ports.cache_clear()
    try:
        picked = {ports.select_random() for _ in range(20)} | set(ports.free_ports(5))
    finally:
        ports.good_ports.cache_clear()

    assert len(calls) == 1
    assert len(picked) > 1


def test_a_port_someone_listens_on_is_never_picked(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports.select_random()))
        listener.listen()
        taken = listener.getsockname()[1]
        monkeypatch.setattr(ports, "good_ports", lambda: (taken,))

        with pytest.raises(port_for.PortForException, match="no free port"):
            ports.select_random(tries=5)


def test_an_excluded_port_is_never_picked(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = ports.free_ports(2)
    monkeypatch.setattr(ports, "good_ports", lambda: (first, second))

    assert {ports.select_random(exclude={first}) for _ in range(20)} == {second}
    assert ports.free_ports(2) == [first, second]
