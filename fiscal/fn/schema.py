"""The fiscal drive's file: its tables, and bringing a file written by an earlier model up to this one.

A drive file outlives versions of this code (it is the register's memory), so columns are only ever added,
and `migrate` gives an old file what the model now keeps without changing a number it holds.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS fn (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fn_serial TEXT NOT NULL,
    kkt_reg_number TEXT NOT NULL,
    shift_number INTEGER NOT NULL DEFAULT 0,
    shift_open INTEGER NOT NULL DEFAULT 0,
    shift_opened_at TEXT,
    receipts_in_shift INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    registered_at TEXT,
    requisites TEXT,
    shift_open_fd INTEGER,
    unsent_count INTEGER NOT NULL DEFAULT 0,
    oldest_unsent_fd INTEGER,
    oldest_unsent_at TEXT,
    closed_at TEXT,
    cash_in_drawer INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
    fd INTEGER PRIMARY KEY,
    doc_type INTEGER NOT NULL,
    ext_id TEXT UNIQUE,
    shift_number INTEGER NOT NULL,
    receipt_number INTEGER,
    datetime TEXT NOT NULL,
    operation INTEGER,
    total INTEGER,
    fiscal_sign TEXT NOT NULL,
    payload TEXT,
    acknowledged_at TEXT,
    operator_sign TEXT
);
CREATE TABLE IF NOT EXISTS cash_operations (
    id INTEGER PRIMARY KEY,
    ext_id TEXT UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    amount INTEGER NOT NULL,
    shift_number INTEGER NOT NULL,
    datetime TEXT NOT NULL,
    cashier TEXT,
    cash_in_drawer INTEGER NOT NULL
);
"""

# Columns a drive file written before the model kept them lacks.
ADDED_COLUMNS = {
    "fn": ("registered_at TEXT", "requisites TEXT", "shift_open_fd INTEGER", "unsent_count INTEGER NOT NULL DEFAULT 0",
           "oldest_unsent_fd INTEGER", "oldest_unsent_at TEXT", "closed_at TEXT",
           "cash_in_drawer INTEGER NOT NULL DEFAULT 0"),
    "documents": ("acknowledged_at TEXT", "operator_sign TEXT"),
}


def migrate(conn: sqlite3.Connection, requisites_json: str, open_shift_type: int) -> None:
    """Add what an older file lacks (its tables are created from SCHEMA when it is opened). A file from before
    registration was modelled gets its requisites from the configuration and counts every document as
    acknowledged (that register kept no acknowledgements)."""
    for table, columns in ADDED_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column.split()[0] not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
    row = conn.execute("SELECT created_at FROM fn WHERE registered_at IS NULL").fetchone()
    if row is not None:
        conn.execute("UPDATE documents SET acknowledged_at = ? WHERE acknowledged_at IS NULL", (row[0],))
        conn.execute(
            "UPDATE fn SET registered_at = created_at, requisites = ?, unsent_count = 0, shift_open_fd ="
            " (SELECT MAX(fd) FROM documents WHERE doc_type = ?) WHERE registered_at IS NULL",
            (requisites_json, open_shift_type),
        )

