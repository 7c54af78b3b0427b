"""Exclusion masks: where no background may be measured (known gamma-ray sources).

By default the mask excludes a circle around every gamma-cat and H.E.S.S. Galactic Plane
Survey (HGPS) source in the field: 0.3 deg plus the source's size (gamma-cat
``morph_sigma``, HGPS ``Size``). The user adds regions (``regions`` sky regions) or gives
a whole mask (a gammapy boolean ``WcsNDMap``, True where background may be measured, as
gammapy's makers take it). Reflected OFF regions and the ring background use the mask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from gammapy.catalog import SourceCatalogGammaCat, SourceCatalogHGPS
from gammapy.maps import Map, WcsGeom, WcsNDMap
from regions import CircleSkyRegion

from ctanb.config import get_settings
from ctanb.errors import DataError

__all__ = [
    "CATALOG_MARGIN",
    "as_exclusion_mask",
    "catalog_regions",
    "exclusion_parameter",
    "make_exclusion_mask",
]

#: radius excluded around a catalogued source, beyond its size
CATALOG_MARGIN = Angle(0.3, "deg")
#: side of the default mask around its centre (covers the reflected regions of a run)
DEFAULT_WIDTH = 10 * u.deg
DEFAULT_BINSZ = 0.02 * u.deg
#: how far from the centre catalogued sources are looked for
SEARCH_RADIUS = Angle(8, "deg")


@lru_cache(maxsize=1)
def _catalog_sources() -> tuple[SkyCoord, np.ndarray]:
    """Positions and sizes (deg) of the gamma-cat and HGPS sources (read once)."""
    settings = get_settings()
    folder = settings.catalogs_dir or settings.data_dir / "catalogs"
    try:
        gammacat = SourceCatalogGammaCat(folder / "gammacat" / "gammacat.fits.gz").table
        hgps = SourceCatalogHGPS(folder / "hgps_catalog_v1.fits.gz").table
    except OSError as exc:
        raise DataError(
            f"cannot read the gamma-cat/HGPS catalogues under {folder} ({exc}): set "
            "CTANB_CATALOGS (or CTANB_DATA) to the folder holding them, or pass "
            "exclusion=None or a mask"
        ) from exc
    ra = np.concatenate([np.asarray(gammacat["ra"], float), np.asarray(hgps["RAJ2000"], float)])
    dec = np.concatenate([np.asarray(gammacat["dec"], float), np.asarray(hgps["DEJ2000"], float)])
    size = np.concatenate(
        [
            np.ma.filled(np.ma.asarray(gammacat["morph_sigma"], float), 0.0),
            np.ma.filled(np.ma.asarray(hgps["Size"], float), 0.0),
        ]
    )
    size = np.where(np.isfinite(size), size, 0.0)
    return SkyCoord(ra, dec, unit="deg", frame="icrs"), size


def catalog_regions(center: SkyCoord, radius: Angle = SEARCH_RADIUS) -> list[Any]:
    """Circles to exclude around the catalogued sources within ``radius`` of ``center``."""
    positions, sizes = _catalog_sources()
    near = positions.separation(center) < Angle(radius)
    return [
        CircleSkyRegion(positions[i], CATALOG_MARGIN + sizes[i] * u.deg)
        for i in np.flatnonzero(near)
    ]


def make_exclusion_mask(
    center: SkyCoord,
    *,
    regions: Iterable[Any] = (),
    catalogs: bool = True,
    width: u.Quantity = DEFAULT_WIDTH,
    binsz: u.Quantity = DEFAULT_BINSZ,
) -> Any:
    """A boolean gammapy ``WcsNDMap`` around ``center``: False where excluded.

    Parameters
    ----------
    center : SkyCoord
        Centre of the mask (e.g. the ON region's or the map's centre).
    regions : iterable of regions.SkyRegion
        More regions to exclude.
    catalogs : bool
        Exclude the gamma-cat and HGPS sources in the field (default).
    width, binsz : Quantity
        Side and pixel size of the mask.
    """
    geom = WcsGeom.create(
        skydir=center.icrs,
        width=u.Quantity(width, u.deg).value,
        binsz=u.Quantity(binsz, u.deg).value,
        frame="icrs",
    )
    excluded = list(regions)
    if catalogs:
        excluded += catalog_regions(center, Angle(u.Quantity(width, u.deg)) * 0.75 + 2 * u.deg)
    if not excluded:
        return Map.from_geom(geom, data=np.ones(geom.data_shape, dtype=bool))
    return ~geom.region_mask(excluded)


def as_exclusion_mask(exclusion: Any, center: SkyCoord) -> Any:
    """The exclusion mask an analysis uses, from its ``exclusion`` keyword.

    Parameters
    ----------
    exclusion : "catalogs", None, sky region(s) or WcsNDMap
        ``"catalogs"``: the gamma-cat and HGPS sources in the field (the default);
        None or False: no exclusion; a region or a list of regions: those and the
        catalogued sources; a boolean ``WcsNDMap``: used as given (True = usable).
    center : SkyCoord
        Where the analysis looks (the mask is made around it).
    """
    if exclusion is None or exclusion is False:
        return None
    if isinstance(exclusion, WcsNDMap):
        if exclusion.data.dtype != bool:
            raise ValueError("exclusion: a mask must be a boolean WcsNDMap (True = usable)")
        return exclusion
    if isinstance(exclusion, str):
        if exclusion == "catalogs":
            return make_exclusion_mask(center)
        if exclusion.startswith("mask:"):
            raise DataError(
                "this product was made with a user's exclusion mask, which its provenance "
                f"identifies ({exclusion}) but does not hold: pass the mask as exclusion="
            )
        raise ValueError(f"exclusion must be 'catalogs', None, regions or a mask: {exclusion!r}")
    regions = [exclusion] if type(exclusion).__module__.startswith("regions") else list(exclusion)
    return make_exclusion_mask(center, regions=regions)


def exclusion_parameter(exclusion: Any) -> Any:
    """What provenance records of ``exclusion``: the keyword, or a user mask's digest."""
    if isinstance(exclusion, WcsNDMap):
        digest = hashlib.sha256(np.ascontiguousarray(exclusion.data).tobytes())
        digest.update(exclusion.geom.to_header().tostring().encode())
        return "mask:sha256:" + digest.hexdigest()
    if exclusion is False:
        return None
    if exclusion is not None and not isinstance(exclusion, str):
        if type(exclusion).__module__.startswith("regions"):
            return [exclusion]
        return list(exclusion)
    return exclusion
