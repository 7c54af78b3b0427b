"""The import contracts of docs/architecture.rst (pyproject ``[tool.importlinter]``) hold.

The second test plants a forbidden import in a copy of the package and checks that the
contracts catch it, so a contract that matches nothing cannot pass silently.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = len(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
)


def _lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=package_parent,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{CONTRACTS} kept, 0 broken" in result.stdout


def test_a_client_importing_the_service_breaks_a_contract(tmp_path):
    shutil.copytree(ROOT / "ctanb", tmp_path / "ctanb", ignore=shutil.ignore_patterns("static"))
    planted = tmp_path / "ctanb" / "jobs" / "planted.py"
    planted.write_text("from ctanb.services import obscore  # noqa: F401\n")
    core = tmp_path / "ctanb" / "simulate" / "planted.py"
    core.write_text("import ctanb.widgets.table  # noqa: F401\n")
    neutral = tmp_path / "ctanb" / "obscore" / "planted.py"
    neutral.write_text("import ctanb.analysis.gti  # noqa: F401\n")
    upward = tmp_path / "ctanb" / "prov" / "planted.py"
    upward.write_text("import ctanb.analysis.gti  # noqa: F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{CONTRACTS - 4} kept, 4 broken" in result.stdout
    assert "ctanb.jobs.planted -> ctanb.services.obscore" in result.stdout
    assert "ctanb.simulate.planted -> ctanb.widgets.table" in result.stdout
    assert "ctanb.obscore.planted -> ctanb.analysis.gti" in result.stdout
    assert "ctanb.prov.planted -> ctanb.analysis.gti" in result.stdout
