"""The gammapy geometry of a map: ``WcsGeom`` or ``HpxGeom``, with an optional energy axis.

Count maps and significance maps share it: the same arguments give the same geometry
object (remembered), centred by default on the mean pointing of the runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.maps import HpxGeom, MapAxis, WcsGeom

from ctanb.analysis.events import RunFile, read_events
from ctanb.analysis.specs import CountMapSpec
from ctanb.errors import DataError

__all__ = ["make_geom", "mean_pointing", "runs_geom"]

_DEFAULT = CountMapSpec()  # the defaults, written once in the spec
#: the geometries made so far, by their arguments (the last 256)
_GEOMS: dict[tuple[Any, ...], WcsGeom | HpxGeom] = {}


def make_geom(
    skydir: SkyCoord,
    *,
    frame: str = _DEFAULT.frame,
    width: Any = _DEFAULT.width,
    binsz: u.Quantity = _DEFAULT.binsz,
    proj: str = _DEFAULT.proj,
    energy_edges: u.Quantity | None = None,
    healpix_nside: int | None = None,
) -> WcsGeom | HpxGeom:
    """Build the gammapy geometry of a count map (WCS, or HEALPix with ``healpix_nside``).

    Parameters
    ----------
    skydir : SkyCoord
        Map centre.
    frame : {"icrs", "galactic"}
        Frame of the map.
    width : Quantity
        Width (one value or two) of the map.
    binsz : Quantity
        Pixel size.
    proj : str
        WCS projection (CAR, TAN, AIT, ... any gammapy supports).
    energy_edges : Quantity, optional
        Energy bin edges (TeV) for a cube.
    healpix_nside : int, optional
        Make a HEALPix map of this NSIDE instead of a WCS one.

    Returns
    -------
    WcsGeom or HpxGeom
        Remembered (the last 256): the same arguments give the same geometry object, whose
        compiled binner is then made once (building both costs ~3 ms).

    Raises
    ------
    ValueError
        For another frame, energy edges that do not increase, or no pixel.
    """
    key = (
        _frame_key(skydir),
        frame,
        tuple(np.atleast_1d(u.Quantity(width, u.deg).value).tolist()),
        float(u.Quantity(binsz, u.deg).value),
        proj,
        None if energy_edges is None else tuple(u.Quantity(energy_edges, u.TeV).value.tolist()),
        healpix_nside,
    )
    geom = _GEOMS.get(key)
    if geom is None:
        geom = _remembered_geom(key, skydir)
        if len(_GEOMS) >= 256:
            _GEOMS.clear()  # (simpler than LRU, and safe with threads)
        _GEOMS[key] = geom
    return geom


def _frame_key(skydir: SkyCoord) -> tuple[str, float, float]:
    """The centre as (frame, lon, lat): cheap, and distinct for distinct frames."""
    data = skydir.frame.data  # the coordinates as given (SkyCoord attributes cost ~1 ms)
    if not hasattr(data, "lon"):
        data = data.represent_as("unitspherical")
    frame_name = skydir.frame.name
    if frame_name not in ("icrs", "galactic"):  # frames with attributes (FK5's equinox ...)
        frame_name = repr(skydir.frame.replicate_without_data())
    return frame_name, float(data.lon.deg), float(data.lat.deg)


def _remembered_geom(key: tuple[Any, ...], skydir: SkyCoord) -> WcsGeom | HpxGeom:
    _, frame, width, binsz, proj, edges, nside = key
    return _create_geom(
        skydir,
        frame=frame,
        width=width[0] * u.deg if len(width) == 1 else u.Quantity(width, u.deg),
        binsz=binsz * u.deg,
        proj=proj,
        energy_edges=None if edges is None else u.Quantity(edges, u.TeV),
        healpix_nside=nside,
    )


def _create_geom(
    skydir: SkyCoord,
    *,
    frame: str,
    width: Any,
    binsz: u.Quantity,
    proj: str,
    energy_edges: u.Quantity | None,
    healpix_nside: int | None,
) -> WcsGeom | HpxGeom:
    """Build the gammapy geometry of a count map (WCS, or HEALPix with ``healpix_nside``)."""
    axes = []
    if energy_edges is not None:
        edges = u.Quantity(energy_edges, u.TeV)
        if edges.size < 2 or np.any(np.diff(edges.value) <= 0):
            raise ValueError("energy_edges must be at least two increasing energies")
        axes.append(MapAxis.from_edges(edges, name="energy", interp="log"))
    if frame not in ("icrs", "galactic"):
        raise ValueError(f"frame must be 'icrs' or 'galactic', not {frame!r}")
    centre = skydir.transform_to(frame)
    widths = u.Quantity(width, u.deg)
    if healpix_nside is not None:
        return HpxGeom.create(
            nside=healpix_nside,
            skydir=centre,
            frame=frame,
            width=float(np.max(widths.value)),
            axes=axes,
        )
    if u.Quantity(binsz, u.deg).value <= 0 or np.any(widths.value <= 0):
        raise ValueError("a geometry with no pixels: width and binsz must be positive")
    return WcsGeom.create(
        skydir=centre,
        width=tuple(np.atleast_1d(widths.value)) if widths.size > 1 else float(widths.value),
        binsz=u.Quantity(binsz, u.deg).value,
        frame=frame,
        proj=proj,
        axes=axes,
    )


def mean_pointing(runs: list[RunFile]) -> SkyCoord:
    """Mean pointing of the readable runs (the default map centre).

    Raises
    ------
    DataError
        When none of the runs can be read, with each run's reason.
    """
    pointings, errors = [], []
    for run in runs:
        try:
            pointings.append(read_events(run.path).pointing)
        except DataError as exc:
            errors.append(str(exc))
    if not pointings:
        raise DataError("none of the inputs could be read: " + "; ".join(errors))
    mean = SkyCoord(pointings).cartesian.mean()
    centre = SkyCoord(mean, frame="icrs", representation_type="cartesian")
    centre.representation_type = "spherical"
    return SkyCoord(centre.ra, centre.dec, frame="icrs")


def runs_geom(
    runs: list[RunFile], skydir: SkyCoord | None, **geometry: Any
) -> tuple[SkyCoord, WcsGeom | HpxGeom]:
    """The map's centre (``skydir``, else the runs' mean pointing) and its geometry.

    ``geometry`` holds :func:`make_geom`'s keywords (``frame``, ``width``, ...).
    """
    centre = mean_pointing(runs) if skydir is None else skydir
    return centre, make_geom(centre, **geometry)
