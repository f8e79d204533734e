"""URLs are shown without their credentials, however they are written."""

from __future__ import annotations

import pytest

from fiscal.redact import redact_text, redact_url

CASES = {
    "a Redis password": ("redis://:s3cret@127.0.0.1:6380/0", "redis://:***@127.0.0.1:6380/0"),
    "a user and a password": ("http://odoo:s3cret@odoo.local:8070/api", "http://odoo:***@odoo.local:8070/api"),
    "an @ inside the password": ("http://odoo:s3@cret@h:1", "http://odoo:***@h:1"),
    "a token in the query": ("http://h/x?a=1&token=s3cret#top", "http://h/x?a=1&token=***#top"),
    "an API key in the query": ("http://h/?api_key=s3cret&access-token=s3cret", "http://h/?api_key=***&access-token=***"),
    "a URL without its scheme's colon": ("redis//:s3cret@h:1", "redis//:***@h:1"),
    "no scheme at all": ("odoo:s3cret@h:1", "odoo:***@h:1"),
    "a user name alone": ("postgresql://postgres@127.0.0.1:5433/db", "postgresql://postgres@127.0.0.1:5433/db"),
    "nothing to hide": ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
}


@pytest.mark.parametrize("url, shown", CASES.values(), ids=CASES.keys())
def test_a_url_is_shown_without_its_credentials(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_url_quoted_in_a_message_is_redacted() -> None:
    message = "cannot reach redis://:s3cret@h:1/0 (tried http://u:s3cret@h:2/?password=s3cret too)"

    assert "s3cret" not in redact_text(message)
    assert "redis://:***@h:1/0" in redact_text(message)
