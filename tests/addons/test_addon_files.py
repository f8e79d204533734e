"""Static checks of every addon under `addons/`, for the mistakes Odoo only reports at install time.

Each manifest is one literal dict with what Odoo 17 needs; every file it lists (data, demo, assets) exists;
every XML file is well-formed; every Python module is imported by its package (Odoo loads nothing else);
and `lib/` imports nothing of Odoo, so the fiscal logic runs and is tested without it. Addons added later
are checked the same way: the tests walk the folder.
"""

from __future__ import annotations

import ast
import csv
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ADDONS = Path(__file__).resolve().parents[2] / "addons"
MANIFESTS = sorted(ADDONS.glob("*/__manifest__.py"))
REQUIRED = {"name": str, "version": str, "depends": list, "license": str, "installable": bool, "data": list}
LICENSES = {"GPL-2", "GPL-2 or any later version", "GPL-3", "GPL-3 or any later version", "AGPL-3", "LGPL-3",
            "Other OSI approved licence", "OEEL-1", "OPL-1", "Other proprietary"}
FILE_KEYS = ("data", "demo")
ASSET_DIRECTIVES = {"include": None, "remove": 1, "after": 2, "before": 2, "replace": 2, "prepend": 1, "append": 1}
ACCESS_HEADER = ["id", "name", "model_id:id", "group_id:id", "perm_read", "perm_write", "perm_create", "perm_unlink"]
LIB_MAY_IMPORT = set(sys.stdlib_module_names) | {"requests"}


def addon_ids(paths: list[Path]) -> list[str]:
    return [path.parent.name for path in paths]


def manifest_of(path: Path) -> dict:
    return ast.literal_eval(path.read_text(encoding="utf-8"))


def files_under(suffix: str) -> list[Path]:
    return sorted(p for p in ADDONS.rglob(f"*{suffix}") if "__pycache__" not in p.parts)


def test_the_addons_this_project_ships_are_there() -> None:
    assert {"optics_pos_ru54fz", "optics_core", "optics_core_ru54fz"} <= set(addon_ids(MANIFESTS))


def test_the_fiscal_addon_and_the_optics_shop_know_nothing_of_each_other_but_through_the_bridge() -> None:
    fiscal, shop = (manifest_of(ADDONS / name / "__manifest__.py") for name in ("optics_pos_ru54fz", "optics_core"))
    bridge = manifest_of(ADDONS / "optics_core_ru54fz" / "__manifest__.py")
    assert fiscal["depends"] == ["point_of_sale"] and shop["depends"] == ["point_of_sale", "product"]
    assert sorted(bridge["depends"]) == ["optics_core", "optics_pos_ru54fz"] and bridge["auto_install"] is True
    for name, other in (("optics_pos_ru54fz", "optics_core"), ("optics_core", "optics_pos_ru54fz")):
        mentions = [str(path.relative_to(ADDONS)) for path in (ADDONS / name).rglob("*")
                    if path.suffix in (".py", ".xml", ".js", ".csv") and other in path.read_text(encoding="utf-8")
                    .replace("optics_core_ru54fz", "")]
        assert not mentions, f"{name} names {other}: {mentions}"


@pytest.mark.parametrize("path", MANIFESTS, ids=addon_ids(MANIFESTS))
def test_each_manifest_is_a_literal_dict_with_what_odoo_17_needs(path: Path) -> None:
    manifest = manifest_of(path)
    assert isinstance(manifest, dict)
    wrong = {key: kind.__name__ for key, kind in REQUIRED.items() if not isinstance(manifest.get(key), kind)}
    assert not wrong, f"{path}: these keys are missing or not of the type Odoo expects: {wrong}"
    assert manifest["version"].startswith("17.0.") and len(manifest["version"].split(".")) == 5, manifest["version"]
    assert manifest["license"] in LICENSES
    assert all(isinstance(d, str) and d for d in manifest["depends"])
    assert (path.parent / "__init__.py").is_file(), f"{path.parent.name} has no __init__.py: Odoo cannot import it"


@pytest.mark.parametrize("path", MANIFESTS, ids=addon_ids(MANIFESTS))
def test_every_file_a_manifest_lists_exists(path: Path) -> None:
    manifest, addon = manifest_of(path), path.parent
    missing = [f"{key}: {name}" for key in FILE_KEYS for name in manifest.get(key, [])
               if not (addon / name).is_file()]
    for bundle, entries in manifest.get("assets", {}).items():
        for entry in entries:
            pattern = asset_path(entry)
            if pattern is not None and pattern.split("/")[0] == addon.name and not list(ADDONS.glob(pattern)):
                missing.append(f"assets[{bundle}]: {entry}")
    assert not missing, f"{addon.name} lists files that do not exist: {missing}"


def asset_path(entry: str | tuple | list) -> str | None:
    """The file or glob an asset entry adds (`'addon/static/src/x.js'`, `('after', target, path)`, ...);
    None for an included bundle or a removal, which add no file of their own."""
    if isinstance(entry, str):
        return entry
    directive = entry[0]
    assert directive in ASSET_DIRECTIVES, f"unknown asset directive {entry!r}"
    position = ASSET_DIRECTIVES[directive]
    return None if position is None or directive == "remove" else entry[position]


def test_no_file_of_an_addon_is_ignored_by_git() -> None:
    """A file the manifest lists but `.gitignore` hides (a `data/` folder, a `*.db`) exists here and is missing
    from every clone: Odoo then refuses to install the addon."""
    if shutil.which("git") is None or not (ADDONS.parent / ".git").exists():
        pytest.skip("not a git checkout")
    files = [str(p.relative_to(ADDONS.parent)) for p in ADDONS.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    found = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], input="\n".join(files), text=True,
                           capture_output=True, cwd=ADDONS.parent, check=False)
    assert found.returncode in (0, 1), found.stderr
    assert found.stdout.split() == [], "git ignores these files of the addons; rename their folder or fix .gitignore"


def test_the_fiscal_addon_does_not_depend_on_the_optics_shop() -> None:
    assert "optics_core" not in manifest_of(ADDONS / "optics_pos_ru54fz" / "__manifest__.py")["depends"]


def test_every_xml_file_is_well_formed() -> None:
    broken = []
    for path in files_under(".xml"):
        try:
            ET.parse(path)
        except ET.ParseError as exc:
            broken.append(f"{path.relative_to(ADDONS)}: {exc}")
    assert not broken


def test_access_rules_have_odoos_columns() -> None:
    for path in (p for p in files_under(".csv") if p.name == "ir.model.access.csv"):
        with path.open(encoding="utf-8", newline="") as rows:
            assert next(csv.reader(rows)) == ACCESS_HEADER, path


@pytest.mark.parametrize("path", files_under(".py"), ids=lambda p: str(p.relative_to(ADDONS)))
def test_every_python_file_parses(path: Path) -> None:
    ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_every_module_of_an_odoo_package_is_imported_by_it() -> None:
    """Odoo loads `models/x.py` only if `models/__init__.py` imports it; a forgotten one is silently absent."""
    forgotten = []
    for init in files_under("__init__.py"):
        package = init.parent
        if package.parent == ADDONS or "lib" in package.relative_to(ADDONS).parts:
            continue  # the addon's root imports its packages; lib's modules are imported where they are used
        imported = imported_names(init)
        forgotten += [str(m.relative_to(ADDONS)) for m in package.iterdir()
                      if ((m.suffix == ".py" and m.stem != "__init__") or (m / "__init__.py").is_file())
                      and m.stem not in imported]
    assert not forgotten, f"modules Odoo will never load (not imported by their package): {forgotten}"


def imported_names(init: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
    return names


def test_each_addon_root_imports_its_python_packages() -> None:
    forgotten = [str(p.relative_to(ADDONS)) for manifest in MANIFESTS
                 for p in manifest.parent.iterdir()
                 if (p / "__init__.py").is_file() and p.name not in {"lib", "tests"}
                 and p.name not in imported_names(manifest.parent / "__init__.py")]
    assert not forgotten, f"packages the addon never imports: {forgotten}"


@pytest.mark.parametrize("path", [p for p in files_under(".py") if "lib" in p.relative_to(ADDONS).parts],
                         ids=lambda p: str(p.relative_to(ADDONS)))
def test_lib_imports_nothing_of_odoo_only_the_standard_library_and_requests(path: Path) -> None:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.ImportFrom) and node.level > 1 + depth_in_lib(path):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    assert [f"line {line}: {name}" for line, name in found if name not in LIB_MAY_IMPORT] == []


def depth_in_lib(path: Path) -> int:
    """How many packages below `lib` the module sits: a relative import may climb that many, no higher."""
    parts = path.relative_to(ADDONS).parts
    return len(parts) - parts.index("lib") - 2
