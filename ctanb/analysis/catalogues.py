"""Known VHE gamma-ray sources in a field: gamma-cat, then the HGPS sources it lacks.

The plots mark and name them (:func:`ctanb.analysis.skyplots.image_figure`), the sky view
shows them (``ctanb.widgets.skyview``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.config import get_settings

__all__ = ["catalogue_sources"]

#: Catalogue -> its file in the catalogues folder, gamma-cat first (it wins a tie).
CATALOGUE_FILES = (("gamma-cat", "gammacat/gammacat.fits.gz"), ("HGPS", "hgps_catalog_v1.fits.gz"))


@functools.cache
def _catalogue(path: str, kind: str) -> Table:
    """The sources of one catalogue file: ``name``, ``ra``, ``dec`` (deg) and ``catalogue``."""
    if kind == "gamma-cat":
        table = Table.read(path)
        names = [str(n) for n in table["common_name"]]
        ra, dec = table["ra"], table["dec"]
    else:
        table = Table.read(path, hdu="HGPS_SOURCES")
        names = [str(n) for n in table["Source_Name"]]
        ra, dec = table["RAJ2000"], table["DEJ2000"]
    return Table(
        {
            "name": names,
            "ra": np.asarray(ra, dtype=float),
            "dec": np.asarray(dec, dtype=float),
            "catalogue": [kind] * len(names),
        }
    )


def catalogue_sources(
    centre: SkyCoord, radius: u.Quantity, catalogs_dir: str | Path | None = None
) -> Table:
    """Known VHE sources (gamma-cat, then HGPS ones gamma-cat lacks) within ``radius``.

    Parameters
    ----------
    centre : SkyCoord
        Centre of the field.
    radius : Quantity
        Radius of the field.
    catalogs_dir : path, optional
        Folder with ``gammacat/gammacat.fits.gz`` and ``hgps_catalog_v1.fits.gz``
        (default ``CTANB_CATALOGS``); missing files give no sources.

    Returns
    -------
    astropy.table.Table
        Columns ``name``, ``ra``, ``dec`` (deg, ICRS) and ``catalogue``.
    """
    if catalogs_dir is None:
        catalogs_dir = get_settings().catalogs_dir
    folder = Path(catalogs_dir) if catalogs_dir else None
    parts = [
        _catalogue(str(folder / name), kind)
        for kind, name in CATALOGUE_FILES
        if folder is not None and (folder / name).exists()
    ]
    out = Table(names=("name", "ra", "dec", "catalogue"), dtype=(str, float, float, str))
    kept: list[SkyCoord] = []
    for table in parts:
        coords = SkyCoord(table["ra"], table["dec"], unit="deg")
        inside = coords.separation(centre) <= radius
        for row, coord in zip(table[inside], coords[inside], strict=True):
            # one marker per source: an HGPS source gamma-cat has (within 0.1 deg) is dropped
            if any(coord.separation(k).deg < 0.1 for k in kept):
                continue
            kept.append(coord)
            out.add_row([row["name"], row["ra"], row["dec"], row["catalogue"]])
    return out
