"""Locust files and the no-op app, shipped in the wheel; Locust runs them by path (`locustfile_path`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path


@contextlib.contextmanager
def locustfile_path(name: str) -> Iterator[Path]:
    """A file of this package as a path on disk, for as long as Locust needs it (a zipped install extracts it)."""
    with resources.as_file(resources.files(__name__).joinpath(name)) as path:
        yield path
