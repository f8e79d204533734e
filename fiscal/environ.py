"""pydantic-settings' reading of environment variables, over a mapping the caller gives.

`BaseSettings` reads `os.environ`; the emulators and the dev stack are also handed an environment (a test's,
or the stack's variables merged from its `.env` files), and must read it with the same rules: a field's name
or its `validation_alias` choices (the first one present wins), any case, surrounding blanks dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, EnvSettingsSource


class EnvironSource(EnvSettingsSource):
    """The variables of `environ` that `settings_cls` declares, as `{field name: text}`, ready to validate."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str], prefix: str = "") -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=False, env_prefix=prefix)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value.strip() for name, value in self._environ.items()}


def read_environ(settings_cls: type[BaseSettings], environ: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    return dict(EnvironSource(settings_cls, environ, prefix)())


def variables(settings_cls: type[BaseSettings], prefix: str = "") -> set[str]:
    """Every variable `settings_cls` reads: each field's name, or each of its alias choices, in upper case."""
    names: set[str] = set()
    for name, field in settings_cls.model_fields.items():
        choices = getattr(field.validation_alias, "choices", None)
        if choices:
            names.update(str(choice).upper() for choice in choices)
        else:
            names.add(f"{prefix}{field.validation_alias or name}".upper())
    return names
