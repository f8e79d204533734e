"""Helpers for checking that servers an inner pytest run started are gone when it ends."""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from pytest_opticserp.executors.postgresql import OWNER_FILE, RUNTIME_PREFIX, runtime_parent

# Inner test code that records the PIDs (and start times, against PID reuse) of the servers it uses.
RECORD_SERVER_PROCESSES = '''
import json, os, psutil

def record_server_processes(path, *handles):
    processes = []
    for handle in handles:
        leader = psutil.Process(handle.pid)
        for process in [leader, *leader.children(recursive=True)]:
            processes.append([process.pid, process.create_time(), process.name()])
    with open(path + ".partial", "w") as file:  # renamed when complete: the outer test polls for the name
        json.dump(processes, file)
    os.replace(path + ".partial", path)
'''


def recorded_processes(path: Path) -> list[tuple[int, float, str]]:
    return [tuple(entry) for entry in json.loads(path.read_text())]  # type: ignore[misc]


def still_running(processes: list[tuple[int, float, str]]) -> list[tuple[int, float, str]]:
    """The recorded processes that still exist (same PID and same start time)."""
    alive = []
    for pid, created, name in processes:
        try:
            process = psutil.Process(pid)
            if process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE:
                alive.append((pid, created, name))
        except psutil.NoSuchProcess:
            continue
    return alive


def clusters_owned_by(pid: int) -> list[Path]:
    """PostgreSQL runtime dirs that the process `pid` created."""
    owned = []
    for owner in Path(runtime_parent()).glob(f"{RUNTIME_PREFIX}*/{OWNER_FILE}"):
        try:
            if owner.read_text() == str(pid):
                owned.append(owner.parent)
        except FileNotFoundError:
            continue  # another session removed its cluster while we looked
    return owned
