"""The addons' own Odoo tests, run by Odoo's test runner against a PostgreSQL and an adapter from the plugin.

Odoo is not on PyPI and CI has none: the test needs `ODOO_BIN`, an Odoo 17 server (`/path/odoo-bin`, or
`"/path/venv/bin/python /path/odoo-bin"`), and is skipped without it. It installs every addon of `addons/`
into a new database, runs their tests (`--test-tags /optics_pos_ru54fz,...`), which reach the adapter through
`OPTICSERP_KKT_ADAPTER_URL`, and then checks that the adapter holds the receipts those tests made.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
import warnings
from pathlib import Path

import pytest
from psycopg import sql

from opticserp_tools.devstack.config import find_odoo
from pytest_opticserp import KktAdapter, ServiceHandle
from pytest_opticserp.ports import free_ports

ROOT = Path(__file__).resolve().parents[2]
ADDONS = sorted(m.parent.name for m in (ROOT / "addons").glob("*/__manifest__.py"))  # optics_pos_ru54fz, ...
TEST_POS_ID = "ODOO-TEST-POS"  # what the addon's tests name their register (tests/common.py)
ODOO_ROLE = "opticserp_odoo"  # Odoo refuses to connect as `postgres`
ODOO_TIMEOUT = 900

pytestmark = pytest.mark.skipif(not os.environ.get("ODOO_BIN"),
                                reason="ODOO_BIN is not set: the addons' Odoo tests need a local Odoo 17 server")


def odoo_role(server: ServiceHandle) -> tuple[str, str | None]:
    """A role Odoo accepts: the server's own user, unless that is the superuser `postgres`, then one made here."""
    if server.user and server.user != "postgres":
        return server.user, getattr(server, "password", None)
    with server.connect("postgres") as connection:
        connection.autocommit = True
        if not connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ODOO_ROLE,)).fetchone():
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(ODOO_ROLE)))
    return ODOO_ROLE, None


def odoo_command(server: ServiceHandle, database: str, data_dir: Path) -> list[str]:
    odoo, _ = find_odoo(os.environ["ODOO_BIN"], ROOT)
    user, password = odoo_role(server)
    http_port, gevent_port = free_ports(2)
    addons_path = ",".join(str(p) for p in (*odoo.addons_dirs, ROOT / "addons"))
    return [
        *odoo.command, f"--addons-path={addons_path}", f"--data-dir={data_dir}",
        f"--db_host={server.host}", f"--db_port={server.port}", f"--db_user={user}",
        *([f"--db_password={password}"] if password else []),
        "--http-interface=127.0.0.1", f"--http-port={http_port}", f"--gevent-port={gevent_port}",
        "--max-cron-threads=0", "--without-demo=all", "--log-level=test",
        "-d", database, "-i", ",".join(ADDONS), "--test-enable", "--test-tags", ",".join(f"/{a}" for a in ADDONS),
        "--stop-after-init",
    ]


def drop_database(server: ServiceHandle, database: str) -> None:
    with server.connect("postgres") as connection:
        connection.autocommit = True
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def test_the_addons_odoo_tests_pass_and_their_receipts_are_in_the_adapters_buffer(
    opticserp_postgresql_proc: ServiceHandle, kkt_adapter: KktAdapter, tmp_path: Path,
) -> None:
    database = f"odoo_{uuid.uuid4().hex[:12]}"
    command = odoo_command(opticserp_postgresql_proc, database, tmp_path / "odoo-data")
    log = tmp_path / "odoo.log"
    env = {**os.environ, "OPTICSERP_KKT_ADAPTER_URL": kkt_adapter.url}
    env.pop("PGUSER", None)
    try:
        with log.open("w") as output:
            finished = subprocess.run(command, env=env, stdout=output, stderr=subprocess.STDOUT,
                                      timeout=ODOO_TIMEOUT, check=False)
    finally:
        drop_database(opticserp_postgresql_proc, database)
    text = log.read_text(errors="replace")
    assert finished.returncode == 0, f"Odoo's tests failed (exit {finished.returncode}); the end of its log:\n" \
                                     f"{text[-6000:]}"
    assert " 0 failed, 0 error(s)" in text and all(f"{a}: " in text for a in ADDONS), text[-3000:]
    for skipped in re.findall(r"odoo\.addons\.[\w.]+: skipped (\S+ : .*)", text):
        warnings.warn(f"an Odoo test was skipped: {skipped.strip()}", stacklevel=1)
    receipts = [(operation, json.loads(payload)) for operation, payload in
                kkt_adapter.query("SELECT operation, payload FROM receipts WHERE pos_id = ?", TEST_POS_ID)]
    operations = sorted(operation for operation, _ in receipts)
    assert operations.count("refund") == 1 and operations.count("sale") >= 6, operations
    prepaid = [body for _, body in receipts if any(i.get("payment_method_sign") == 2 for i in body["items"])]
    counted = [body for _, body in receipts if body.get("prepayment")]
    assert prepaid and counted, "the made-to-order glasses' advance and pickup receipts are in the buffer"
