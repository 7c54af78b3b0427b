"""A session becomes a notebook: every search and analysis as the equivalent ctanb call.

The Explorer records each step in a :class:`History` as Python that does the same thing
with ctanb's functions (``cone_search(...)``, ``CountMapSpec(...).run(obs_ids)``,
``jobs.submit(spec, obs_ids=...)``). The steps can be inserted as code cells below the
running one, or exported as a notebook that, run top to bottom, makes the same products
(the same checksums) as the session did.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as w
from IPython import get_ipython

__all__ = ["History", "Step"]

PREAMBLE = """\
# Made by the ctanb Explorer: each cell is one step of the session, as ctanb Python.
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.analysis.specs import CountMapSpec, LightCurveSpec, SpectrumSpec
from ctanb.jobs import JobClient
from ctanb.search import ArchiveClient, cone_search

ARCHIVE = {archive!r}  # the archive service (CTANB_SERVICE_URL); tokens from CTANB_TOKEN
jobs = JobClient(ARCHIVE)
products = {{}}"""


@dataclass(frozen=True)
class Step:
    """One recorded step: its kind (``search``, ``analysis``) and its code."""

    kind: str
    code: str
    title: str


class History(w.VBox):
    """The session's steps as ctanb Python, shown, insertable and exportable.

    Parameters
    ----------
    archive : str
        The archive URL the session uses (written into the notebook's first cell).
    """

    def __init__(self, archive: str) -> None:
        self.archive = archive
        self.steps: list[Step] = []
        self.view = w.HTML()
        self.path = w.Text(description="Notebook", value="explorer-session.ipynb")
        self.export_button = w.Button(description="Export notebook", icon="download")
        self.insert_button = w.Button(description="Show as one cell", icon="code")
        self.code = w.Textarea(layout=w.Layout(width="100%", height="0px"))
        self.status = w.HTML()
        self.export_button.on_click(lambda _: self._export())
        self.insert_button.on_click(lambda _: self._show_code())
        super().__init__(
            [
                w.HBox([self.path, self.export_button, self.insert_button]),
                self.status,
                self.code,
                self.view,
            ]
        )
        self.add_class("ctanb-history")
        self._render()

    def __len__(self) -> int:
        return len(self.steps)

    def record(self, kind: str, code: str, title: str = "") -> Step:
        """Add a step (its code must run after the preamble and the steps before it)."""
        step = Step(kind, code.strip(), title or kind)
        self.steps.append(step)
        self._render()
        return step

    @property
    def cells(self) -> list[str]:
        """The notebook's code cells: the preamble, then one per step."""
        return [PREAMBLE.format(archive=self.archive), *(step.code for step in self.steps)]

    def to_script(self) -> str:
        """All the steps as one Python script."""
        return "\n\n".join(self.cells) + "\n"

    def to_notebook(self) -> Any:
        """The steps as an nbformat notebook (a title cell, the preamble, one cell a step)."""
        # nbformat takes ~2 s to import: only an export needs it
        import nbformat

        notebook = nbformat.v4.new_notebook()
        notebook.cells = [
            nbformat.v4.new_markdown_cell(
                "# Explorer session\n\nThe searches and analyses of an Explorer session, as "
                "ctanb Python: run all to make the same products again."
            ),
            *(nbformat.v4.new_code_cell(cell) for cell in self.cells),
        ]
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        return notebook

    def export(self, path: str | Path) -> Path:
        """Write the notebook to ``path``; return it."""
        # nbformat takes ~2 s to import: only an export needs it
        import nbformat

        path = Path(path)
        if path.suffix != ".ipynb":
            raise ValueError(f"{path}: a notebook's name ends in .ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.to_notebook(), path)
        return path

    def insert(self, index: int | None = None) -> str:
        """Put a step's code (default: all steps) into a new cell below the running one.

        Call it from a notebook cell (``explorer.history.insert()``): IPython's
        ``set_next_input`` reaches the notebook only in a cell's reply, so the widget's
        button shows the code to copy instead (:meth:`_show_code`).
        """
        code = self.to_script() if index is None else self.steps[index].code
        shell = get_ipython()
        if shell is not None:
            shell.set_next_input(code, replace=False)
        self.status.value = (
            '<span class="ctanb-info">inserted below the running cell (or copy from here)</span>'
        )
        return code

    def _show_code(self) -> None:
        self.code.value = self.to_script()
        self.code.layout.height = "240px"
        self.status.value = (
            '<span class="ctanb-info">copy it, or run <code>explorer.history.insert()</code> '
            "in a cell to get it as a new cell below</span>"
        )

    def _export(self) -> None:
        try:
            path = self.export(self.path.value.strip() or "explorer-session.ipynb")
        except (OSError, ValueError) as exc:
            self.status.value = f'<span class="ctanb-error">{html.escape(str(exc))}</span>'
            return
        self.status.value = (
            f'<span class="ctanb-info ctanb-exported">exported {len(self.steps)} steps to '
            f'<a href="{html.escape(path.name)}" target="_blank">{html.escape(str(path))}</a>'
            "</span>"
        )

    def _render(self) -> None:
        if not self.steps:
            self.view.value = "<i>no steps yet: search, select and analyse</i>"
            return
        self.view.value = "".join(
            f'<div class="ctanb-step"><b>{i + 1}. {html.escape(step.title)}</b>'
            f'<pre style="white-space:pre-wrap">{html.escape(step.code)}</pre></div>'
            for i, step in enumerate(self.steps)
        )
