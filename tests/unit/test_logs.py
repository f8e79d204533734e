"""Logs are JSON lines carrying the receipt's identifiers."""

import json
import logging

from kkt_adapter.logs import JsonFormatter


def test_a_log_record_becomes_one_json_object_with_its_extra_fields() -> None:
    record = logging.LogRecord("kkt_adapter.service", logging.INFO, __file__, 1, "receipt fiscalized", None, None)
    record.receipt_id, record.pos_id, record.fiscal_doc_number = "r-1", "POS-001", 42
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "receipt fiscalized" and entry["level"] == "INFO"
    assert (entry["receipt_id"], entry["pos_id"], entry["fiscal_doc_number"]) == ("r-1", "POS-001", 42)
