"""The results table: an astropy Table shown one page at a time, with a selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
from astropy.table import Table

from ctanb.obscore import PROTOTYPE_COLUMNS

__all__ = ["DEFAULT_COLUMNS", "ResultsTable"]

#: Columns the CTA Data Distiller prototype showed.
DEFAULT_COLUMNS = PROTOTYPE_COLUMNS

_STATIC = Path(__file__).parent / "static"


def _text(value: Any) -> str:
    if np.ma.is_masked(value):
        return ""
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return f"{number:.5g}" if abs(number) < 1e5 else f"{number:.6g}"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


class ResultsTable(anywidget.AnyWidget):
    """Rows of a search result with checkbox selection, sorting and paging.

    Only the visible page is sent to the browser, so 10^4 rows and more stay responsive.

    Parameters
    ----------
    table : astropy.table.Table, optional
        Rows to show.
    columns : sequence of str, optional
        Columns shown; default the prototype's (those present in the table).
    page_size : int
        Rows per page.

    Attributes
    ----------
    selected_rows : list of int
        Indices (into :attr:`table`) of the selected rows; observe it with
        ``table.observe(callback, "selected_rows")``.
    """

    _esm = _STATIC / "results_table.js"
    _css = _STATIC / "results_table.css"

    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    available_columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected_rows = traitlets.List(traitlets.Int()).tag(sync=True)
    sort_by = traitlets.Unicode("").tag(sync=True)
    sort_ascending = traitlets.Bool(True).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(10).tag(sync=True)
    n_rows = traitlets.Int(0).tag(sync=True)
    _page_rows = traitlets.List().tag(sync=True)
    _page_index = traitlets.List(traitlets.Int()).tag(sync=True)

    def __init__(
        self,
        table: Table | None = None,
        columns: list[str] | tuple[str, ...] | None = None,
        page_size: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(page_size=page_size, **kwargs)
        self._table = Table()
        self._order = np.arange(0)
        self._requested_columns = list(columns) if columns else None
        self.on_msg(self._on_message)
        self.observe(self._refresh_page, names=["page", "page_size", "columns"])
        self.observe(self._resort, names=["sort_by", "sort_ascending"])
        self.observe(self._check_selection, names=["selected_rows"])
        self.table = table if table is not None else Table()

    # ------------------------------------------------------------------ data
    @property
    def table(self) -> Table:
        """The rows shown (setting it clears the selection and goes to the first page)."""
        return self._table

    @table.setter
    def table(self, table: Table) -> None:
        self._table = table
        names = list(table.colnames)
        wanted = self._requested_columns or list(DEFAULT_COLUMNS)
        shown = [c for c in wanted if c in names] or names[: len(DEFAULT_COLUMNS)]
        with self.hold_trait_notifications():
            self.selected_rows = []
            self.available_columns = names
            self.n_rows = len(table)
            self.sort_by = self.sort_by if self.sort_by in names else ""
            self._order = self._sorted_order()
            self.page = 0
            self.columns = shown
        self._refresh_page()

    @property
    def selected(self) -> Table:
        """The selected rows, in table order, as an astropy Table."""
        return self._table[sorted(self.selected_rows)]

    def select(self, rows: list[int] | None = None, **where: Any) -> None:
        """Select rows by index, or by column values (``select(obs_id=["23523"])``)."""
        chosen = set(rows or [])
        for name, values in where.items():
            values = {str(v) for v in np.atleast_1d(values)}
            column = self._table[name]
            chosen.update(i for i, v in enumerate(column) if str(v) in values)
        self.selected_rows = sorted(chosen)

    def select_all(self, value: bool = True) -> None:
        """Select every row (or none)."""
        self.selected_rows = list(range(len(self._table))) if value else []

    # ------------------------------------------------------------------ internals
    def _sorted_order(self) -> np.ndarray:
        n = len(self._table)
        if not self.sort_by or self.sort_by not in self._table.colnames:
            return np.arange(n)
        column = self._table[self.sort_by]
        try:
            data = np.asarray(column.filled() if hasattr(column, "filled") else column)
            order = np.argsort(data, kind="stable")
        except TypeError:
            order = np.argsort(np.array([_text(v) for v in column]), kind="stable")
        return order if self.sort_ascending else order[::-1]

    def _resort(self, _: Any = None) -> None:
        self._order = self._sorted_order()
        self._refresh_page()

    def _refresh_page(self, _: Any = None) -> None:
        size = max(1, int(self.page_size))
        pages = max(1, -(-len(self._table) // size))
        if self.page >= pages:
            self.page = pages - 1  # observer calls back
            return
        index = self._order[self.page * size : (self.page + 1) * size]
        columns = [c for c in self.columns if c in self._table.colnames]
        rows = [[_text(self._table[c][i]) for c in columns] for i in index]
        with self.hold_trait_notifications():
            self._page_index = [int(i) for i in index]
            self._page_rows = rows

    def _check_selection(self, change: dict) -> None:
        n = len(self._table)
        valid = sorted({int(r) for r in change["new"] if 0 <= int(r) < n})
        if valid != list(change["new"]):
            self.selected_rows = valid

    def _on_message(self, _: Any, content: dict, buffers: Any) -> None:
        if content.get("event") == "select_all":
            self.select_all(bool(content.get("value")))
