"""The default cap on a request's head, apart from the protocol that enforces it (`fiscal.http_limits`), so a
command's `--help` can show it without importing uvicorn."""

DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_MAX_HEADER_COUNT = 100
