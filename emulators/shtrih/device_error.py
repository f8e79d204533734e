"""A command the device refuses by its own rules (mode, paper, payments), before or instead of the FN."""

from __future__ import annotations

from fiscal.shtrih.errors import describe


class DeviceError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(describe(code))
        self.code = code
