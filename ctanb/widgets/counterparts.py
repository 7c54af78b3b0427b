"""Counterparts on the sky view: one colour-coded catalogue layer per instrument.

``add_counterparts(view, counterparts(...))`` adds the sources of each instrument
(Fermi-LAT, HAWC, LHAASO-WCDA, LHAASO-KM2A, H.E.S.S., the IACTs of gamma-cat) to an Aladin
Lite view (:class:`ctanb.widgets.SkyView` or the Explorer's ``sky``) as its own catalogue
layer, named after the instrument and drawn in the instrument's colour; the same colours
mark the instruments in the multi-instrument SED (:mod:`ctanb.widgets.sed`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table

from ctanb.search.counterparts import counterparts

__all__ = ["INSTRUMENT_COLOURS", "add_counterparts", "counterpart_layers", "show_counterparts"]

#: Colour of each instrument's layer and SED curves (colour-blind-safe Okabe-Ito palette).
INSTRUMENT_COLOURS: dict[str, str] = {
    "Fermi-LAT": "#D55E00",
    "HAWC": "#009E73",
    "LHAASO-WCDA": "#56B4E9",
    "LHAASO-KM2A": "#0072B2",
    "H.E.S.S.": "#CC79A7",
    "IACT": "#E69F00",
}
OTHER_COLOUR = "#000000"
SHAPES = {"Fermi-LAT": "square", "HAWC": "circle", "H.E.S.S.": "rhomb", "IACT": "triangle"}


def counterpart_layers(table: Table) -> list[tuple[str, str, Table]]:
    """Split a counterparts table into (instrument, colour, sources) layers.

    The sources keep ``source_name``, ``catalogue``, ``ra``, ``dec``, ``separation`` and
    ``model_type`` (not the model objects, which a VOTable cannot hold).
    """
    columns = ["source_name", "catalogue", "ra", "dec", "separation", "model_type"]
    layers = []
    for instrument in dict.fromkeys(str(i) for i in table["instrument"]):
        rows = table[np.asarray(table["instrument"]).astype(str) == instrument][columns]
        colour = INSTRUMENT_COLOURS.get(instrument, OTHER_COLOUR)
        layers.append((instrument, colour, Table(rows, copy=True)))
    return layers


def add_counterparts(view: Any, table: Table, source_size: int = 12) -> list[str]:
    """Add one catalogue layer per instrument to an Aladin Lite view; return their names.

    Parameters
    ----------
    view : ipyaladin.Aladin
        A :class:`ctanb.widgets.SkyView` (or the Explorer's ``sky``).
    table : astropy.table.Table
        The result of :func:`ctanb.search.counterparts`.
    source_size : int
        Size of the markers in pixels.

    Examples
    --------
    >>> from ctanb.search import counterparts
    >>> from ctanb.widgets import SkyView
    >>> view = SkyView()  # doctest: +SKIP
    >>> add_counterparts(view, counterparts("Crab", 1 * u.deg))  # doctest: +SKIP
    ['IACT', 'Fermi-LAT', 'HAWC', ...]
    """
    names = []
    for instrument, colour, rows in counterpart_layers(table):
        view.add_table(
            rows,
            shape=SHAPES.get(instrument, "plus"),
            name=instrument,
            color=colour,
            source_size=source_size,
            ra_field="ra",
            dec_field="dec",
        )
        names.append(instrument)
    return names


def show_counterparts(explorer: Any, radius: Any = None) -> Table:
    """Add the counterparts in the field of an Explorer's results to its sky view.

    Parameters
    ----------
    explorer : ctanb.widgets.Explorer
        An Explorer showing a search result.
    radius : Quantity, optional
        Radius of the field; default the radius that covers every run's field of view.

    Returns
    -------
    astropy.table.Table
        The counterparts shown (see :func:`ctanb.search.counterparts`).
    """
    if explorer.results is None or len(explorer.results) == 0:
        raise ValueError("search first: the counterparts are those in the field of the results")
    table = counterparts(explorer.results, radius)
    add_counterparts(explorer.sky, table)
    return table
