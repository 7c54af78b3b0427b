"""The tutorial notebooks run, top to bottom, against the session's real archive service.

Each notebook ends with assertions on real numbers (computed independently from the FITS
files, gammapy or a second path through ctanb), so running it is a test. The notebooks in the
repository carry no outputs and are exactly what ``build_notebooks.py`` writes.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

HERE = Path(__file__).resolve().parent
FOLDER = HERE.parents[1] / "notebooks"
NOTEBOOKS = sorted(p.name for p in FOLDER.glob("*.ipynb"))
CELL_TIMEOUT = 180  # seconds, per cell (the remote-jobs cell waits for three jobs)

# Notebooks that find a bug in ctanb: strict, so the test fails (XPASS) once it is fixed and
# the mark must go.


def _generator():
    spec = importlib.util.spec_from_file_location("build_notebooks", HERE / "build_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_eight_tutorials_are_there():
    assert sorted(_generator().NOTEBOOKS) == NOTEBOOKS
    assert len(NOTEBOOKS) == 8


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stripped_and_generated(name):
    text = (FOLDER / name).read_text()
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a cell has outputs: strip them"
            assert cell.execution_count is None, f"{name}: a cell has an execution count"
    assert "widgets" not in nb.metadata, f"{name}: widget state saved in the notebook"
    assert text == _generator().render(name), (
        f"{name} differs from tests/notebooks/build_notebooks.py: edit the cells there and run "
        "python tests/notebooks/build_notebooks.py"
    )
    last = [c for c in nb.cells if c.cell_type == "code" and "assert " in c.source]
    assert last, f"{name} checks nothing"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, service, ctanb_settings, tmp_path):
    nb = nbformat.read(FOLDER / name, as_version=4)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CTANB_")},
        "CTANB_SERVICE_URL": service.url,
        "CTANB_HOME": str(ctanb_settings.home),
        "CTANB_DATA": str(ctanb_settings.data_dir),
    }
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as exc:
        nbformat.write(nb, tmp_path / name)
        pytest.fail(f"{name} failed (executed copy: {tmp_path / name}):\n{exc}", pytrace=False)
    nbformat.write(nb, tmp_path / name)
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, errors
