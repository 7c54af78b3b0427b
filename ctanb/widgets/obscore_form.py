"""The ObsCore search form: every ObsCore and CTA field, grouped in collapsible sections.

The form produces the keywords of :func:`ctanb.search.obscore_search`
(:meth:`ObsCoreSearch.constraints`): ``{column: value}`` for equality, ``{column: (low,
high)}`` for ranges, ``target``, ``time`` and ``energy`` ranges, with astropy Quantities for
energies and :class:`~astropy.time.Time` for dates. The ADQL is built and run
by :func:`ctanb.search.obscore_search` (and previewed with
:func:`ctanb.search.adql.obscore_query`); the form never builds ADQL itself.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pyvo
from astropy import units as u
from astropy.table import Table
from astropy.time import Time

from ctanb.config import get_settings
from ctanb.errors import CtanbError
from ctanb.obscore import COLUMN_BY_NAME
from ctanb.search.adql import obscore_query
from ctanb.search.searches import obscore_search

__all__ = ["SECTIONS", "ObsCoreSearch", "distinct_values"]

#: Section title -> columns shown in it (the prototype's grouping).
SECTIONS: dict[str, tuple[str, ...]] = {
    "ObsCore": (
        "obs_collection",
        "facility_name",
        "instrument_name",
        "dataproduct_type",
        "target_name",
        "obs_id",
        "t_min",
        "t_exptime",
        "energy",
    ),
    "Optional": (
        "dataproduct_subtype",
        "target_class",
        "proposal_id",
        "data_rights",
        "obs_release_date",
    ),
    "ObsConfig": (
        "site",
        "sub_array_name",
        "pointing_mode",
        "obs_mode",
        "run_type",
        "n_tels",
        "zenith_angle",
    ),
    "Provenance": (
        "calib_version",
        "reco_version",
        "reco_method",
        "applied_cuts",
        "data_quality",
    ),
}

#: Columns typed freely (too many distinct values for a drop-down).
_FREE_TEXT = {"target_name", "obs_id"}
_ENERGY_UNITS = ("TeV", "GeV", "MeV")
_ANY = "(any)"


def distinct_values(column: str, tap_url: str | None = None, limit: int = 200) -> list[str]:
    """Distinct values of an ObsCore column in the archive (for the form's drop-downs)."""
    if column not in COLUMN_BY_NAME:
        raise ValueError(f"unknown ObsCore column {column!r}")
    url = tap_url or get_settings().service_url.rstrip("/") + "/tap"
    query = f"SELECT DISTINCT {column} FROM ivoa.obscore"
    table = pyvo.dal.TAPService(url).run_sync(query, maxrec=limit).to_table()
    return sorted(str(v) for v in table[column] if str(v) not in ("", "--", "None"))


class ObsCoreSearch(w.VBox):
    """ObsCore search form with collapsible sections and a live ADQL preview.

    Parameters
    ----------
    tap_url : str, optional
        TAP service for the drop-downs' distinct values (default: the archive's ``/tap``).
    on_result : callable, optional
        Called with each result table.
    fill : bool
        Fill the drop-downs from the archive now (set False to build the form offline).
    """

    def __init__(
        self,
        tap_url: str | None = None,
        on_result: Callable[[Table], None] | None = None,
        fill: bool = True,
    ) -> None:
        self.tap_url = tap_url
        self.inputs: dict[str, Any] = {}
        self.result: Table | None = None
        self._callbacks = [on_result] if on_result else []
        sections = []
        for _title, columns in SECTIONS.items():
            rows = [self._make_input(column) for column in columns]
            sections.append(w.VBox(rows))
        self.accordion = w.Accordion(children=sections, titles=tuple(SECTIONS))
        self.accordion.selected_index = 0
        self.adql = w.Textarea(
            description="ADQL", disabled=True, layout=w.Layout(width="100%", height="6em")
        )
        self.submit_button = w.Button(description="Submit", button_style="primary")
        self.reset_button = w.Button(description="Reset")
        self.submit_button.on_click(lambda _: self.submit())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = w.HTML("")
        super().__init__(
            [
                self.accordion,
                w.HBox([self.submit_button, self.reset_button]),
                self.adql,
                self.status,
            ]
        )
        self.add_class("ctanb-obscore-search")
        if fill:
            self.fill_choices()
        self._update_adql()

    # ------------------------------------------------------------------ inputs
    def _make_input(self, column: str) -> w.Widget:
        watch: list[w.Widget]
        if column == "energy":
            low = w.FloatText(description="Energy from", value=0.0)
            high = w.FloatText(description="to", value=0.0)
            unit = w.Dropdown(options=_ENERGY_UNITS, value="TeV", layout=w.Layout(width="6em"))
            self.inputs[column] = (low, high, unit)
            watch, box = [low, high, unit], w.HBox([low, high, unit])
        elif column in ("t_min", "obs_release_date"):
            start = w.DatePicker(description="From" if column == "t_min" else "Released from")
            end = w.DatePicker(description="to")
            self.inputs[column] = (start, end)
            watch, box = [start, end], w.HBox([start, end])
        elif COLUMN_BY_NAME[column].datatype != "char":
            unit = COLUMN_BY_NAME[column].unit
            label = f"{column} ({unit})" if unit else column
            low = w.Text(description=label, placeholder="min")
            high = w.Text(description="to", placeholder="max")
            self.inputs[column] = (low, high)
            watch, box = [low, high], w.HBox([low, high])
        elif column in _FREE_TEXT:
            text = w.Text(description=column)
            self.inputs[column] = text
            watch, box = [text], text
        else:
            choice = w.Dropdown(description=column, options=[_ANY], value=_ANY)
            self.inputs[column] = choice
            watch, box = [choice], choice
        for widget in watch:
            widget.style.description_width = "initial"
            widget.observe(lambda _: self._update_adql(), "value")
        return box

    def fill_choices(self) -> None:
        """Fill the drop-downs with the archive's distinct values (errors shown in the form)."""
        for column, widget in self.inputs.items():
            if not isinstance(widget, w.Dropdown):
                continue
            try:
                values = distinct_values(column, self.tap_url)
            except Exception as exc:
                self._message(f"cannot list values of {column}: {exc}", error=True)
                continue
            widget.options = [_ANY, *values]

    # ------------------------------------------------------------------ constraints
    def constraints(self) -> dict[str, Any]:
        """Return the form's constraints: ``{column: value}`` or ``{column: (low, high)}``.

        Ranges use ``None`` for an open end; energies are Quantities, dates Times.

        Raises
        ------
        ValueError
            For a number that cannot be read (the message names the field).
        """
        out: dict[str, Any] = {}
        for column, widget in self.inputs.items():
            if column == "energy":
                low, high, unit = widget
                lo = low.value * u.Unit(unit.value) if low.value > 0 else None
                hi = high.value * u.Unit(unit.value) if high.value > 0 else None
                if lo is not None or hi is not None:
                    out["energy"] = (lo, hi)
            elif isinstance(widget, tuple) and isinstance(widget[0], w.DatePicker):
                start, end = (_as_time(p.value) for p in widget)
                if start is not None or end is not None:
                    # Observation dates: observations overlapping the interval.
                    out["time" if column == "t_min" else column] = (start, end)
            elif isinstance(widget, tuple):
                low, high = (_as_number(column, t.value) for t in widget)
                if low is not None or high is not None:
                    unit = COLUMN_BY_NAME[column].unit
                    if unit:
                        low, high = (None if v is None else v * u.Unit(unit) for v in (low, high))
                    out[column] = (low, high)
            elif isinstance(widget, w.Dropdown):
                if widget.value != _ANY:
                    out[column] = widget.value
            elif widget.value.strip():
                out["target" if column == "target_name" else column] = widget.value.strip()
        return out

    def _update_adql(self) -> None:
        try:
            constraints = self.constraints()
        except ValueError as exc:
            self._message(str(exc), error=True)
            return
        self._message("")
        try:
            self.adql.value = str(obscore_query(**constraints))
        except (CtanbError, ValueError, TypeError) as exc:
            self._message(str(exc), error=True)

    # ------------------------------------------------------------------ actions
    def on_result(self, callback: Callable[[Table], None]) -> None:
        """Call ``callback(table)`` after each successful search."""
        self._callbacks.append(callback)

    def submit(self) -> Table | None:
        """Run :func:`ctanb.search.obscore_search` with the constraints; errors stay here."""
        try:
            table = obscore_search(**self.constraints())
        except (CtanbError, ValueError, TypeError, OSError) as exc:
            self._message(str(exc), error=True)
            return None
        except Exception as exc:
            self._message(f"search failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self.result = table
        if table.meta.get("adql"):
            self.adql.value = str(table.meta["adql"])
        self._message(f"{len(table)} observations found")
        for callback in self._callbacks:
            callback(table)
        return table

    def reset(self) -> None:
        """Clear every field."""
        for widget in self.inputs.values():
            parts = widget if isinstance(widget, tuple) else (widget,)
            for part in parts:
                if isinstance(part, w.Dropdown):
                    part.value = "TeV" if "TeV" in part.options else _ANY
                elif isinstance(part, w.FloatText):
                    part.value = 0.0
                elif isinstance(part, w.DatePicker):
                    part.value = None
                else:
                    part.value = ""
        self.result = None
        self._update_adql()

    def _message(self, text: str, error: bool = False) -> None:
        style = ' style="color:#b00"' if error else ""
        kind = "ctanb-error" if error else "ctanb-info"
        self.status.value = (
            f'<span class="{kind}"{style}>{html.escape(text)}</span>' if text else ""
        )


def _as_number(column: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise ValueError(f"{column}: '{text}' is not a number") from exc


def _as_time(value: dt.date | None) -> Time | None:
    return None if value is None else Time(value.isoformat(), scale="utc")
