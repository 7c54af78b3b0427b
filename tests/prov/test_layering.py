"""prov sits below analysis: it reads and writes provenance and never imports an analysis.

Replay runs analyses, so it lives in ``ctanb.analysis.replay``; ``ctanb.prov`` keeps the
tutorials' ``from ctanb.prov import replay`` working through a lazy alias.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ctanb.analysis.replay
import ctanb.prov

PROV = Path(ctanb.prov.__file__).parent


def test_importing_prov_imports_no_analysis_and_no_gammapy():
    code = (
        "import sys, ctanb.prov\n"
        "loaded = [m for m in sys.modules if m.startswith(('ctanb.analysis', 'gammapy'))]\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("path", sorted(PROV.glob("*.py")), ids=lambda p: p.name)
def test_no_prov_module_imports_analysis_at_its_top(path):
    """Only the alias inside ``ctanb.prov.__getattr__`` reaches the analysis package."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("ctanb.analysis"), node.module
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("ctanb.analysis") for a in node.names)


def test_replay_names_are_aliases_of_the_analysis_ones():
    from ctanb.prov import REPLAYABLE, ReplayRefusedError, replay

    assert replay is ctanb.analysis.replay.replay
    assert REPLAYABLE is ctanb.analysis.replay.REPLAYABLE
    assert ReplayRefusedError is ctanb.analysis.replay.ReplayRefusedError
    with pytest.raises(AttributeError, match="no attribute 'registry_of_nothing'"):
        ctanb.prov.registry_of_nothing  # noqa: B018


def test_every_replayable_entry_point_names_its_function():
    for entry_point, entry in ctanb.analysis.replay.REPLAYABLE.items():
        module, _, function = entry_point.partition(":")
        assert (entry.function.__module__, entry.function.__name__) == (module, function)
