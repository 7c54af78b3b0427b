"""ResultsTable: paging, sorting and selection computed in the kernel."""

from __future__ import annotations

import time

import numpy as np
from astropy.table import Table

from ctanb.widgets.table import DEFAULT_COLUMNS, ResultsTable


def _table(n: int) -> Table:
    rng = np.random.default_rng(1)
    return Table(
        {
            "dataproduct_type": ["event"] * n,
            "obs_collection": ["HESS-DL3-DR1"] * n,
            "obs_id": [str(20000 + i) for i in range(n)],
            "target_name": [f"src{i % 7}" for i in range(n)],
            "s_ra": rng.uniform(0, 360, n),
            "s_dec": rng.uniform(-90, 90, n),
            "t_exptime": rng.uniform(600, 1800, n),
        }
    )


def test_default_columns_and_first_page():
    widget = ResultsTable(_table(12), page_size=5)
    assert widget.columns == list(DEFAULT_COLUMNS)
    assert widget.n_rows == 12
    assert widget._page_index == [0, 1, 2, 3, 4]
    assert [row[2] for row in widget._page_rows] == ["20000", "20001", "20002", "20003", "20004"]
    widget.page = 2
    assert widget._page_index == [10, 11]
    widget.page = 7  # past the end: clamped to the last page
    assert widget.page == 2


def test_sorting_orders_the_pages():
    table = _table(30)
    widget = ResultsTable(table, page_size=10)
    widget.sort_by = "s_dec"
    expected = np.argsort(np.asarray(table["s_dec"]))
    assert widget._page_index == list(expected[:10])
    widget.sort_ascending = False
    assert widget._page_index == list(expected[::-1][:10])


def test_selection_round_trip_and_select_all():
    table = _table(8)
    widget = ResultsTable(table)
    seen = []
    widget.observe(lambda change: seen.append(change["new"]), "selected_rows")
    widget.select(obs_id=["20003", "20005"])
    assert widget.selected_rows == [3, 5]
    assert list(widget.selected["obs_id"]) == ["20003", "20005"]
    assert seen[-1] == [3, 5]
    widget.selected_rows = [5, 99, 1]  # out of range rows dropped, order normalised
    assert widget.selected_rows == [1, 5]
    widget._on_message(None, {"event": "select_all", "value": True}, [])
    assert len(widget.selected) == len(table)
    widget.select_all(False)
    assert len(widget.selected) == 0


def test_extra_columns_and_new_table_resets():
    widget = ResultsTable(_table(5))
    widget.columns = [*DEFAULT_COLUMNS, "t_exptime"]
    assert len(widget._page_rows[0]) == len(DEFAULT_COLUMNS) + 1
    widget.select([1, 2])
    widget.table = _table(3)
    assert widget.selected_rows == []
    assert widget.n_rows == 3


def test_ten_thousand_rows_stay_responsive():
    table = _table(10_000)
    start = time.perf_counter()
    widget = ResultsTable(table, page_size=25)
    widget.sort_by = "s_ra"
    widget.page = 200
    widget.select_all()
    elapsed = time.perf_counter() - start
    assert len(widget._page_rows) == 25
    assert len(widget.selected) == 10_000
    assert elapsed < 2.0, elapsed
