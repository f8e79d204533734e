"""The addons' plain-Python parts, importable here without Odoo and without installing the addons.

Each addon under `addons/` is registered as a bare package (its `__init__.py`, which Odoo runs and which
imports Odoo's models, is not executed), so `optics_pos_ru54fz.lib.request` imports as Odoo would name it
below `odoo.addons`, relative imports included. The plugin's fixtures (`kkt_adapter`, ...) apply as anywhere.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

ADDONS = Path(__file__).resolve().parents[2] / "addons"


def _register_bare_addons() -> None:
    for manifest in sorted(ADDONS.glob("*/__manifest__.py")):
        name = manifest.parent.name
        if name not in sys.modules:
            package = types.ModuleType(name, f"the addon {name}, without its Odoo part")
            package.__path__ = [str(manifest.parent)]
            package.__file__ = str(manifest.parent / "__init__.py")
            sys.modules[name] = package


_register_bare_addons()
