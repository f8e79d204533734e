"""Logs are JSON lines carrying the receipt's identifiers."""

import json
import logging
import sys

from kkt_adapter.logs import JsonFormatter


def test_a_log_record_becomes_one_json_object_with_its_extra_fields() -> None:
    record = logging.LogRecord("kkt_adapter.service", logging.INFO, __file__, 1, "receipt fiscalized", None, None)
    record.receipt_id, record.pos_id, record.fiscal_doc_number = "r-1", "POS-001", 42
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "receipt fiscalized" and entry["level"] == "INFO"
    assert (entry["receipt_id"], entry["pos_id"], entry["fiscal_doc_number"]) == ("r-1", "POS-001", 42)


def test_a_url_in_a_log_line_is_written_without_its_password() -> None:
    try:
        raise ConnectionError("cannot reach http://odoo:s3cret@odoo.local:8070")
    except ConnectionError:
        record = logging.LogRecord("kkt_adapter.heartbeat", logging.WARNING, __file__, 1,
                                   "posting to %s failed", ("http://odoo:s3cret@odoo.local:8070",), sys.exc_info())
    record.error = "redis://:s3cret@127.0.0.1:6380/0 refused"
    record.attempts = [{"url": "http://h/?token=s3cret"}]

    line = JsonFormatter().format(record)

    assert "s3cret" not in line
    assert json.loads(line)["message"] == "posting to http://odoo:***@odoo.local:8070 failed"
