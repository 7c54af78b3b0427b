"""A multi-instrument SED: an extracted spectrum against the catalogued spectral models.

``sed_figure(flux_points(spectrum), counterparts(...))`` draws, in E^2 dN/dE against
energy (log-log, bokeh, offline), the flux points of a ctanb ON/OFF spectrum and the
spectral models of the matched source from Fermi-LAT (3FGL, 3FHL), HAWC (3HWC) and LHAASO
(1LHAASO, WCDA and KM2A), each over the energy range its catalogue measured, in the
instrument's colour of the sky view's counterpart layers.

The flux points come from gammapy: the spectrum is handed over with its IRFs
(``spectrum.to_gammapy()``), a power law is fitted, and ``FluxPointsEstimator`` fits its
norm in each energy bin (2 s for the four Crab runs).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u
from astropy.table import Table

from ctanb.widgets.counterparts import INSTRUMENT_COLOURS, OTHER_COLOUR

__all__ = ["ENERGY_RANGES", "SED_UNIT", "flux_points", "model_curve", "sed_figure"]

SED_UNIT = u.Unit("erg cm-2 s-1")

#: Energy range over which each catalogue's spectral model was measured.
ENERGY_RANGES: dict[str, u.Quantity] = {
    "3FGL": [0.1, 100] * u.GeV,
    "3FHL": [10, 2000] * u.GeV,
    "3HWC": [1, 100] * u.TeV,
    "LHAASO-WCDA": [1, 25] * u.TeV,
    "LHAASO-KM2A": [25, 1000] * u.TeV,
    "HGPS": [1, 100] * u.TeV,
    "gamma-cat": [0.3, 100] * u.TeV,
}
#: Instruments drawn by default (the other-instrument view of the issue).
DEFAULT_INSTRUMENTS = ("Fermi-LAT", "HAWC", "LHAASO-WCDA", "LHAASO-KM2A")


def flux_points(spectrum: Any, model: Any = None, min_ts: float = 4.0) -> Table:
    """Flux points of an ON/OFF spectrum, with gammapy (fit, then one norm per bin).

    Parameters
    ----------
    spectrum : ctanb.analysis.OnOffSpectrum
        The extracted spectrum (its runs' IRFs are read for the hand-over).
    model : gammapy SpectralModel, optional
        The spectral shape fitted first; default a power law.
    min_ts : float
        Bins with a smaller test statistic are left out (no upper limits are drawn).

    Returns
    -------
    astropy.table.Table
        ``e_ref``, ``e_min``, ``e_max`` (TeV), ``e2dnde`` and ``e2dnde_err`` (erg cm-2 s-1),
        ``ts`` per kept bin; ``meta["model"]`` is the fitted model.
    """
    # gammapy takes ~3 s to import: only the fit needs it (the widgets load without it)
    from gammapy.estimators import FluxPointsEstimator
    from gammapy.modeling import Fit
    from gammapy.modeling.models import PowerLawSpectralModel, SkyModel

    dataset = spectrum.to_gammapy()
    spectral = model or PowerLawSpectralModel(
        index=2.5, amplitude="1e-11 cm-2 s-1 TeV-1", reference="1 TeV"
    )
    dataset.models = [SkyModel(spectral_model=spectral, name="source")]
    Fit().run([dataset])
    estimator = FluxPointsEstimator(
        energy_edges=spectrum.energy_edges, source="source", selection_optional=[]
    )
    points = estimator.run([dataset]).to_table(sed_type="e2dnde")
    keep = np.isfinite(points["e2dnde"]) & (np.asarray(points["ts"]) >= min_ts)
    table = Table(
        {
            "e_ref": points["e_ref"].quantity.to(u.TeV),
            "e_min": points["e_min"].quantity.to(u.TeV),
            "e_max": points["e_max"].quantity.to(u.TeV),
            "e2dnde": points["e2dnde"].quantity.to(SED_UNIT),
            "e2dnde_err": points["e2dnde_err"].quantity.to(SED_UNIT),
            "ts": np.asarray(points["ts"]),
        }
    )[keep]
    table.meta["model"] = spectral
    return table


def _range_key(row: Any) -> str:
    return str(row["instrument"]) if row["catalogue"] == "1LHAASO" else str(row["catalogue"])


def model_curve(row: Any, n_points: int = 50) -> tuple[u.Quantity, u.Quantity]:
    """Energies (TeV) and E^2 dN/dE (erg cm-2 s-1) of one counterpart's spectral model."""
    low, high = ENERGY_RANGES[_range_key(row)].to_value(u.TeV)
    energy = np.geomspace(low, high, n_points) * u.TeV
    dnde = row["spectral_model"](energy)
    return energy, (energy**2 * dnde).to(SED_UNIT)


def sed_figure(
    points: Table | None = None,
    counterparts: Table | None = None,
    *,
    instruments: tuple[str, ...] = DEFAULT_INSTRUMENTS,
    matched: bool = True,
    title: str = "Multi-instrument SED",
    label: str = "ctanb spectrum",
) -> Any:
    """Return a bokeh figure: flux points and the counterparts' spectral models.

    Parameters
    ----------
    points : astropy.table.Table, optional
        Flux points from :func:`flux_points`.
    counterparts : astropy.table.Table, optional
        The result of :func:`ctanb.search.counterparts`; rows with a spectral model of
        ``instruments`` are drawn, each as a line named ``"<source> (<catalogue>)"``.
    instruments : tuple of str
        Instruments whose models are drawn.
    matched : bool
        Draw only the matched source of each catalogue (and LHAASO detector): the nearest
        one with a spectral model. False draws every source of the table.
    title, label : str
        Figure title and legend label of the flux points.

    Examples
    --------
    >>> from ctanb.search import counterparts
    >>> fig = sed_figure(flux_points(spectrum), counterparts("Crab", 0.2 * u.deg))  # doctest: +SKIP
    """
    # bokeh takes ~1.5 s to import: only a drawn figure needs it
    from bokeh.plotting import figure

    fig = figure(
        title=title,
        width=640,
        height=420,
        x_axis_type="log",
        y_axis_type="log",
        x_axis_label="energy (TeV)",
        y_axis_label="E² dN/dE (erg cm⁻² s⁻¹)",
    )
    if counterparts is not None:
        _draw_models(fig, counterparts, instruments, matched)
    if points is not None and len(points):
        _draw_points(fig, points, label)
    if fig.legend:
        fig.legend.location = "bottom_left"
        fig.legend.label_text_font_size = "8pt"
    return fig


def _draw_models(
    fig: Any, counterparts: Table, instruments: tuple[str, ...], matched: bool
) -> None:
    """One line per counterpart's spectral model (the nearest of each catalogue if matched)."""
    drawn: set[tuple[str, str]] = set()
    for row in counterparts:  # nearest first
        if row["spectral_model"] is None or str(row["instrument"]) not in instruments:
            continue
        key = (str(row["catalogue"]), str(row["instrument"]))
        if matched and key in drawn:
            continue
        drawn.add(key)
        energy, sed = model_curve(row)
        name = f"{row['source_name']} ({row['catalogue']})"
        fig.line(
            energy.value,
            sed.value,
            line_width=2,
            color=INSTRUMENT_COLOURS.get(str(row["instrument"]), OTHER_COLOUR),
            legend_label=f"{row['instrument']}: {name}",
            name=name,
        )


def _draw_points(fig: Any, points: Table, label: str) -> None:
    """The flux points with their error bars."""
    # bokeh takes ~1.5 s to import: only a drawn figure needs it
    from bokeh.models import ColumnDataSource, Whisker

    y = points["e2dnde"].quantity.to_value(SED_UNIT)
    error = points["e2dnde_err"].quantity.to_value(SED_UNIT)
    source = ColumnDataSource(
        {
            "x": points["e_ref"].quantity.to_value(u.TeV),
            "y": y,
            "lower": np.clip(y - error, y * 1e-3, None),
            "upper": y + error,
        }
    )
    fig.scatter("x", "y", source=source, size=8, color="black", legend_label=label, name=label)
    fig.add_layout(Whisker(source=source, base="x", lower="lower", upper="upper"))
