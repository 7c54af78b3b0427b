"""Counterparts from other instruments, offline: the sources of six catalogues in a field.

``counterparts(position, radius)`` reads gamma-cat, the H.E.S.S. Galactic Plane Survey,
Fermi-LAT 3FHL and 3FGL, HAWC 3HWC and LHAASO 1LHAASO from ``CTANB_CATALOGS`` with
gammapy's own catalogue classes, and returns one astropy Table of the sources in the field:
the instrument, the catalogue, the separation and, where the catalogue has one, the source's
spectral model (a gammapy ``SpectralModel``, ready to be evaluated or plotted).

Each 1LHAASO source can have two components (one per detector, WCDA at 1-25 TeV and KM2A
above 25 TeV), each with its own position and spectrum: they are two rows, instruments
``LHAASO-WCDA`` and ``LHAASO-KM2A``. Reading all six catalogues takes about 0.3 s; they are
read once per session.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from astropy.table import Table

from ctanb.config import get_settings
from ctanb.errors import CtanbError
from ctanb.search.resolve import resolve

__all__ = ["CATALOGUES", "COLUMNS", "Catalogue", "CounterpartError", "counterparts", "field_of"]

log = logging.getLogger(__name__)


class CounterpartError(CtanbError, ValueError):
    """A field that cannot be searched, or a catalogue that cannot be read."""


@dataclass(frozen=True)
class Catalogue:
    """One source catalogue: its name, instrument, file and gammapy class."""

    name: str
    instrument: str
    path: str  # relative to CTANB_CATALOGS
    gammapy_class: str


#: Columns of the table :func:`counterparts` returns.
COLUMNS = (
    "source_name",
    "catalogue",
    "instrument",
    "ra",
    "dec",
    "separation",
    "model_type",
    "spectral_model",
)

#: The catalogues searched, in the order their rows are listed.
CATALOGUES: tuple[Catalogue, ...] = (
    Catalogue("gamma-cat", "IACT", "gammacat/gammacat.fits.gz", "SourceCatalogGammaCat"),
    Catalogue("HGPS", "H.E.S.S.", "hgps_catalog_v1.fits.gz", "SourceCatalogHGPS"),
    Catalogue("3FHL", "Fermi-LAT", "fermi/gll_psch_v13.fit.gz", "SourceCatalog3FHL"),
    Catalogue("3FGL", "Fermi-LAT", "fermi/gll_psc_v16.fit.gz", "SourceCatalog3FGL"),
    Catalogue("3HWC", "HAWC", "hawc/3HWC.ecsv", "SourceCatalog3HWC"),
    Catalogue("1LHAASO", "LHAASO", "lhaaso/1LHAASO_catalog.fits", "SourceCatalog1LHAASO"),
)


@functools.cache
def _load(path: Path, class_name: str) -> Any:
    """Read a catalogue file with its gammapy class (named in ``Catalogue.gammapy_class``)."""
    # gammapy takes ~3 s to import: only reading a catalogue needs it
    from gammapy import catalog

    classes = {
        "SourceCatalogGammaCat": catalog.SourceCatalogGammaCat,
        "SourceCatalogHGPS": catalog.SourceCatalogHGPS,
        "SourceCatalog3FHL": catalog.SourceCatalog3FHL,
        "SourceCatalog3FGL": catalog.SourceCatalog3FGL,
        "SourceCatalog3HWC": catalog.SourceCatalog3HWC,
        "SourceCatalog1LHAASO": catalog.SourceCatalog1LHAASO,
    }
    if class_name not in classes:
        raise CounterpartError(f"no gammapy catalogue class {class_name!r}: one of {list(classes)}")
    return classes[class_name](filename=str(path))


def _components(catalogue: Catalogue, source_catalogue: Any) -> Iterator[tuple[str, SkyCoord]]:
    """(instrument, positions) of each component the catalogue lists (two for 1LHAASO)."""
    if catalogue.name != "1LHAASO":
        yield catalogue.instrument, source_catalogue.positions.icrs
        return
    table = source_catalogue.table
    for suffix, which in (("", "Model_a"), ("_b", "Model_b")):
        ra: np.ndarray = np.ma.filled(np.ma.asarray(table[f"RAJ2000{suffix}"], float), np.nan)
        dec: np.ndarray = np.ma.filled(np.ma.asarray(table[f"DECJ2000{suffix}"], float), np.nan)
        # each row names its detector in Model_a / Model_b: KM2A or WCDA
        yield which, SkyCoord(ra * u.deg, dec * u.deg, frame="fk5").icrs


def _spectral_model(catalogue: Catalogue, source: Any, detector: str | None) -> Any:
    try:
        if catalogue.name == "1LHAASO":
            return source.spectral_model(detector)
        if catalogue.name == "HGPS":
            return source.spectral_model("best")
        return source.spectral_model()
    except Exception as exc:  # gamma-cat sources without a spectrum, unknown model types
        log.debug("no spectral model for %s: %s", source.name, exc)
        return None


def field_of(target: Any, radius: u.Quantity | None = None) -> tuple[SkyCoord, Angle]:
    """Return the centre and radius of a field: a position, a name, or a selection of runs.

    Parameters
    ----------
    target : SkyCoord, str or astropy.table.Table
        A position; a name (resolved with :func:`ctanb.search.resolve`); or a table of
        observations with ``s_ra``, ``s_dec`` (deg) and ``s_fov`` (deg), as the archive's
        searches return, whose field covers every run's field of view.
    radius : Quantity, optional
        Radius of the field; for a selection, default the radius that covers every run.
    """
    if isinstance(target, SkyCoord):
        if not target.isscalar:
            raise CounterpartError("give one position, not an array of positions")
        centre = target.icrs
    elif isinstance(target, str):
        centre = resolve(target).coord
    elif isinstance(target, Table):
        missing = {"s_ra", "s_dec"} - set(target.colnames)
        if missing or len(target) == 0:
            raise CounterpartError(
                "a selection must be a non-empty table of observations with s_ra and s_dec "
                f"(and s_fov) columns, as cone_search returns; missing: {sorted(missing)}"
            )
        pointings = SkyCoord(
            np.asarray(target["s_ra"], float) * u.deg, np.asarray(target["s_dec"], float) * u.deg
        )
        vector = pointings.cartesian.xyz.mean(axis=1)
        centre = SkyCoord(*vector, representation_type="cartesian").represent_as("spherical")
        centre = SkyCoord(centre.lon, centre.lat, frame="icrs")
        if radius is None:
            half_fov = np.asarray(target["s_fov"], float) / 2 if "s_fov" in target.colnames else 0.0
            reach = centre.separation(pointings).deg + half_fov
            radius = float(np.nanmax(reach)) * u.deg
    else:
        raise CounterpartError(
            f"cannot search around a {type(target).__name__}: give a SkyCoord, a source name "
            "or a table of observations"
        )
    if radius is None:
        raise CounterpartError("give the radius of the field, e.g. radius=0.5 * u.deg")
    try:
        angle = Angle(radius)
    except (u.UnitsError, TypeError, ValueError) as exc:
        message = f"radius must be an angle, e.g. 0.5 * u.deg, not {radius!r}"
        raise CounterpartError(message) from exc
    if not 0 <= angle.deg <= 180:
        raise CounterpartError(f"radius must be between 0 and 180 deg, not {angle}")
    return centre, angle


def counterparts(
    target: Any,
    radius: u.Quantity | None = None,
    *,
    catalogues: tuple[str, ...] | None = None,
    catalogs_dir: str | Path | None = None,
) -> Table:
    """Sources of gamma-cat, HGPS, 3FHL, 3FGL, 3HWC and 1LHAASO in a field, offline.

    Parameters
    ----------
    target : SkyCoord, str or astropy.table.Table
        The field's centre, a source name, or a selection of observations (see
        :func:`field_of`).
    radius : Quantity, optional
        Radius of the field (an angle); required for a position or a name.
    catalogues : tuple of str, optional
        Names of the catalogues to search (default all of :data:`CATALOGUES`).
    catalogs_dir : str or Path, optional
        Folder of the catalogue files (default ``CTANB_CATALOGS``).

    Returns
    -------
    astropy.table.Table
        One row per source (per component for 1LHAASO), nearest first: ``source_name``,
        ``catalogue``, ``instrument``, ``ra``, ``dec`` (deg, ICRS), ``separation`` (deg),
        ``model_type`` (the spectral model's class, empty without one) and
        ``spectral_model`` (the gammapy model object, or None). ``meta`` holds the centre
        and radius.

    Raises
    ------
    CounterpartError
        For a field that cannot be searched or a catalogue file that is missing.

    Examples
    --------
    >>> import astropy.units as u
    >>> from ctanb.search import counterparts
    >>> found = counterparts("Crab", 0.2 * u.deg)  # doctest: +SKIP
    >>> "3HWC J0534+220" in found["source_name"]  # doctest: +SKIP
    True
    """
    centre, angle = field_of(target, radius)
    folder = Path(catalogs_dir or get_settings().catalogs_dir or "")
    rows: list[dict[str, Any]] = []
    for catalogue in _chosen(catalogues):
        path = folder / catalogue.path
        if not path.exists():
            raise CounterpartError(
                f"the {catalogue.name} catalogue is missing: expected {path}; set "
                "CTANB_CATALOGS to the folder holding the catalogues"
            )
        rows += _sources_in_field(catalogue, _load(path, catalogue.gammapy_class), centre, angle)
    return _nearest_first(rows, centre, angle)


def _nearest_first(rows: list[dict[str, Any]], centre: SkyCoord, angle: Angle) -> Table:
    """The rows as a table of :data:`COLUMNS`, nearest first, with the field in ``meta``."""
    rows = sorted(rows, key=lambda row: row["separation"])
    table = Table(
        {name: [row[name] for row in rows] for name in COLUMNS},
        dtype=[str, str, str, float, float, float, str, object],
        meta={"centre": centre, "radius": angle.to(u.deg)},
    )
    for name in ("ra", "dec", "separation"):
        table[name].unit = u.deg
    return table


def _chosen(names: tuple[str, ...] | None) -> list[Catalogue]:
    """The catalogues named (all by default), in the order of :data:`CATALOGUES`."""
    wanted = names or tuple(c.name for c in CATALOGUES)
    unknown = set(wanted) - {c.name for c in CATALOGUES}
    if unknown:
        raise CounterpartError(
            f"unknown catalogues {sorted(unknown)}: choose among "
            + ", ".join(c.name for c in CATALOGUES)
        )
    return [c for c in CATALOGUES if c.name in wanted]


def _sources_in_field(
    catalogue: Catalogue, source_catalogue: Any, centre: SkyCoord, angle: Angle
) -> list[dict[str, Any]]:
    """One row (of :data:`COLUMNS`) per source (per component for 1LHAASO) in the field."""
    rows = []
    for label, positions in _components(catalogue, source_catalogue):
        separation = centre.separation(positions).deg
        for index in np.flatnonzero(separation <= angle.deg):
            source = source_catalogue[int(index)]
            instrument, detector = catalogue.instrument, None
            if catalogue.name == "1LHAASO":
                detector = str(source_catalogue.table[label][index]).strip()
                if not detector:
                    continue
                instrument = f"LHAASO-{detector}"
            model = _spectral_model(catalogue, source, detector)
            rows.append(
                {
                    "source_name": str(source.name).strip(),
                    "catalogue": catalogue.name,
                    "instrument": instrument,
                    "ra": float(positions[index].ra.deg),
                    "dec": float(positions[index].dec.deg),
                    "separation": float(separation[index]),
                    "model_type": type(model).__name__ if model is not None else "",
                    "spectral_model": model,
                }
            )
    return rows
