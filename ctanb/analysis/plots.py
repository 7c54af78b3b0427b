"""bokeh figures of analysis products, drawn as astronomers read them.

Light curves have a time axis (UTC dates), spectra a log energy axis with excess and
errors. Sky maps (:func:`image_figure`, :func:`on_off_figure`, :func:`sky_ticks`) are drawn
by :mod:`ctanb.analysis.skyplots`, and the known sources they mark
(:func:`catalogue_sources`) come from :mod:`ctanb.analysis.catalogues`; both are
importable from here too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u
from astropy.time import Time

from ctanb.analysis.catalogues import catalogue_sources
from ctanb.analysis.skyplots import STRETCHES, image_figure, on_off_figure, sky_ticks

__all__ = [
    "STRETCHES",
    "catalogue_sources",
    "image_figure",
    "light_curve_figure",
    "on_off_figure",
    "points_figure",
    "sky_ticks",
    "spectrum_figure",
]


def points_figure(
    x: np.ndarray,
    y: np.ndarray,
    error: np.ndarray,
    *,
    x_label: str,
    y_label: str,
    title: str,
    log_x: bool = False,
    x_errors: tuple[np.ndarray, np.ndarray] | None = None,
    datetime_x: bool = False,
) -> Any:
    """Return a bokeh plot of points with vertical (and optional horizontal) error bars."""
    # bokeh takes ~0.7 s to import (python -X importtime -c "import bokeh.plotting"); the
    # analysis modules import this one for their plot() methods, which job workers never call
    from bokeh.models import ColumnDataSource, Span, Whisker
    from bokeh.plotting import figure  # lazy too: see the comment above

    fig = figure(
        title=title,
        width=560,
        height=360,
        x_axis_label=x_label,
        y_axis_label=y_label,
        x_axis_type="datetime" if datetime_x else ("log" if log_x else "linear"),
    )
    columns = {"x": x, "y": y, "lower": y - error, "upper": y + error}
    if x_errors is not None:
        columns |= {"left": x_errors[0], "right": x_errors[1]}
    source = ColumnDataSource(columns)
    fig.scatter("x", "y", source=source, size=6)
    fig.add_layout(Whisker(source=source, base="x", lower="lower", upper="upper"))
    if x_errors is not None:
        fig.add_layout(
            Whisker(source=source, base="y", lower="left", upper="right", dimension="width")
        )
    fig.add_layout(Span(location=0, dimension="width", line_dash="dashed", line_alpha=0.5))
    return fig


def spectrum_figure(spectrum: Any) -> Any:
    """Excess per energy bin with Poisson errors (log energy axis, bin widths shown)."""
    edges = spectrum.energy_edges.to_value(u.TeV)
    centres = np.sqrt(edges[:-1] * edges[1:])
    error = np.sqrt(spectrum.n_on + spectrum.alpha**2 * spectrum.n_off)
    significance = float(np.nansum(spectrum.excess) / np.sqrt(np.nansum(error**2)) or 0)
    return points_figure(
        centres,
        spectrum.excess,
        error,
        x_label="reconstructed energy (TeV)",
        y_label="excess counts",
        title=f"ON/OFF spectrum: excess {np.nansum(spectrum.excess):.0f} (≈{significance:.1f} σ)",
        log_x=True,
        x_errors=(edges[:-1], edges[1:]),
    )


def light_curve_figure(curve: Any) -> Any:
    """Excess per time bin with errors on a UTC date axis (bins' extent as x errors)."""

    def ms(mjd: np.ndarray) -> np.ndarray:
        return np.asarray(Time(mjd, format="mjd", scale="tt").utc.unix * 1000.0)

    error = np.sqrt(curve.n_on + curve.alpha**2 * curve.n_off)
    middle = 0.5 * (curve.time_min + curve.time_max)
    return points_figure(
        ms(middle),
        curve.excess,
        error,
        x_label="time (UTC)",
        y_label="excess counts",
        title=f"Light curve ({len(middle)} bins)",
        x_errors=(ms(curve.time_min), ms(curve.time_max)),
        datetime_x=True,
    )
