"""The import-layer contract (pyproject [tool.importlinter]) covers every Django app."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_is_a_root_package_of_the_import_contract():
    """A new app (a top-level package with apps.py) must be added to root_packages and to a
    layer, or lint-imports would not check its imports at all."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps, "no apps found: is ROOT right?"
    roots = set(config["root_packages"])
    assert apps <= roots, f"missing from [tool.importlinter] root_packages: {sorted(apps - roots)}"
    layered = {
        name.strip()
        for contract in config["contracts"]
        for layer in contract.get("layers", [])
        for name in layer.split(":")
    }
    assert roots <= layered, f"root packages in no layer: {sorted(roots - layered)}"
