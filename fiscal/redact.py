"""Credentials out of URLs before anything shows them: health, metrics, logs, errors, the stack's tables.

A URL in the settings may carry a password (`redis://:pw@host`, `http://user:pw@odoo`) or a token in its
query. Whatever displays a configured URL passes it through `redact_url`; free text that may quote one (an
exception message, a log line, a validation error) goes through `redact_text`. Written by hand because
`urlsplit` refuses some of the malformed URLs we most need to show safely (the ones start-up refuses).
"""

from __future__ import annotations

import re

HIDDEN = "***"
SECRET_WORDS = {"password", "passwd", "pwd", "pass", "token", "secret", "key", "apikey", "auth", "signature"}
_URL_IN_TEXT = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s'\"<>`]+")
_NAME_WORDS = re.compile(r"[^a-z0-9]+")


def secret_name(name: str) -> bool:
    """Whether a query parameter's name says it holds a secret (`password`, `api_key`, `access-token`...)."""
    words = set(_NAME_WORDS.split(name.lower()))
    return bool(words & SECRET_WORDS) or name.lower() in SECRET_WORDS


def redact_url(url: str) -> str:
    """`scheme://user:pw@host/p?token=t` → `scheme://user:***@host/p?token=***`; a user name alone is kept
    (it names an account; it opens nothing). Anything else is returned as given."""
    head, slashes, rest = url.partition("//")
    if not slashes:
        head, rest = "", url
    end = next((i for i, char in enumerate(rest) if char in "/?#"), len(rest))
    netloc, tail = rest[:end], rest[end:]
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:{HIDDEN}@{hostport}" if colon else netloc
    return head + slashes + netloc + _redact_query(tail)


def _redact_query(tail: str) -> str:
    path, question, rest = tail.partition("?")
    if not question:
        return tail
    query, hash_, fragment = rest.partition("#")
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}={HIDDEN}" if equals and secret_name(name) else pair)
    return f"{path}?{'&'.join(pairs)}{hash_}{fragment}"


def redact_text(text: str) -> str:
    """Every URL quoted in `text`, redacted."""
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
