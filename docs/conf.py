"""Sphinx configuration of the ctanb documentation (built offline, warnings are errors)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "ctanb"
author = "ctanb developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.graphviz",
    "numpydoc",
]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autodoc_typehints = "none"
autosummary_generate = False
exclude_patterns = ["_build"]
suppress_warnings = ["config.cache"]


def _write_generated(app: object) -> None:
    """Generate the ObsCore column table from the code (never copied by hand)."""
    from ctanb.obscore import COLUMNS

    lines = [
        ".. list-table:: ObsCore columns of ``ivoa.obscore`` / ``cta.vo_obscore``",
        "   :header-rows: 1",
        "",
        "   * - column",
        "     - group",
        "     - unit",
        "     - UCD",
        "     - meaning",
        "     - where the value comes from",
    ]
    for c in COLUMNS:
        cells = [f"``{c.name}``", c.group, c.unit or " ", c.ucd or " ", c.description, c.source]
        lines.append(f"   * - {cells[0]}")
        lines += [f"     - {cell}" for cell in cells[1:]]
    target = Path(__file__).parent / "_generated"
    target.mkdir(exist_ok=True)
    (target / "obscore_columns.rst").write_text("\n".join(lines) + "\n")


def setup(app):
    app.connect("builder-inited", _write_generated)
