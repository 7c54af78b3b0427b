"""Events into the bins of a gammapy geometry, bin for bin as gammapy's ``MapDatasetMaker``.

For the common WCS projections :class:`~ctanb.analysis.binning.FastWcsBinner` projects and
adds each event in one compiled pass from the cached unit vectors; the few events within a
rounding error of a pixel edge, and other geometries, go through :func:`bin_indices`, which
follows gammapy's conventions exactly (WCSLIB's ``wcs_world2pix``, ``floor(pix + 0.5)``,
``digitize(energy, edges) - 1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.maps import HpxGeom, WcsGeom

from ctanb.analysis.binning import FastWcsBinner
from ctanb.analysis.events import RunEvents

__all__ = [
    "add_events",
    "bin_events",
    "bin_events_sparse",
    "bin_indices",
    "binner_for",
    "frame_coordinates",
]

#: geometry id -> (the geometry, its binner); the geometry is held so its id is not reused
_BINNERS: dict[int, tuple[Any, FastWcsBinner | None]] = {}


def binner_for(geom: WcsGeom | HpxGeom) -> FastWcsBinner | None:
    """The geometry's compiled binner, made once per geometry object (it costs ~1 ms).

    None for the geometries only WCSLIB bins (HEALPix, all-sky, other projections).
    """
    known = _BINNERS.get(id(geom))
    if known is not None and known[0] is geom:
        return known[1]
    binner = FastWcsBinner.for_geom(geom) if isinstance(geom, WcsGeom) else None
    if len(_BINNERS) > 256:
        _BINNERS.clear()
    _BINNERS[id(geom)] = (geom, binner)
    return binner


def bin_events(
    events: RunEvents,
    geom: WcsGeom | HpxGeom,
    out: np.ndarray | None = None,
    binner: FastWcsBinner | bool | None = True,
) -> np.ndarray:
    """Add one run's events to ``out`` (flat, ``geom.data_shape``'s size; new if None).

    ``binner`` is the geometry's :class:`FastWcsBinner` (its own when True; False or None
    bins every event through WCSLIB, as gammapy does).
    """
    if out is None:
        out = np.zeros(int(np.prod(geom.data_shape)))
    if binner is True:
        binner = binner_for(geom)
    if not binner:
        out += np.bincount(bin_indices(events, geom), minlength=out.size)
        return out
    add_events(events, geom, binner, out, track=False)
    return out


def bin_events_sparse(
    events: RunEvents, geom: WcsGeom, binner: FastWcsBinner, work: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bin one run; return its non-empty bins (sorted flat indices) and their counts.

    ``work`` is a zeroed flat cube of ``geom``'s size, lent for the binning and returned
    zeroed: only the bins the run filled are read and reset, so a run's cube costs its
    events, not the cube's size (for one cube per run over many runs).
    """
    index = np.sort(add_events(events, geom, binner, work, track=True))  # distinct bins
    counts = work[index].copy()
    work[index] = 0.0
    return index, counts


def add_events(
    events: RunEvents, geom: WcsGeom, binner: FastWcsBinner, out: np.ndarray, track: bool
) -> np.ndarray:
    """Add events to the flat cube ``out`` with the compiled binner.

    Returns the bins the events filled first (each was empty before them) when ``track``,
    else those of the few events binned through WCSLIB (near a pixel edge).
    """
    energy = events.energy if geom.axes else None
    if geom.frame == "icrs" and events.vectors is not None:
        added = binner.add(None, None, energy, out, vectors=events.vectors, track=track)
    else:
        lon, lat = frame_coordinates(events, geom.frame)
        added = binner.add(lon, lat, energy, out, track=track)
    new = np.zeros(0, dtype=np.int64)
    if len(added.doubtful):  # within a rounding error of a pixel edge: WCSLIB decides
        exact = bin_indices(events.subset(added.doubtful), geom)
        new = np.unique(exact[out[exact] == 0])  # the bins these few fill first
        np.add.at(out, exact, 1.0)
    if added.touched is None:
        return new
    return np.concatenate([added.touched, new])


def frame_coordinates(events: RunEvents, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """The events' longitudes and latitudes in ``frame``, computed exactly as gammapy does."""
    if frame == "galactic":
        # the file's float32 values, transformed as gammapy does, for identical pixels
        coords = SkyCoord(
            events.ra.astype(np.float32), events.dec.astype(np.float32), unit="deg", frame="icrs"
        ).galactic
        return coords.l.deg, coords.b.deg
    # the file's float32 values, wrapped to [0, 360) as gammapy passes them
    return np.mod(events.ra.astype(np.float32), np.float32(360)), events.dec.astype(np.float32)


def bin_indices(events: RunEvents, geom: WcsGeom | HpxGeom) -> np.ndarray:
    """Return the flat bin index of every event that falls inside ``geom``."""
    if isinstance(geom, WcsGeom):
        flat, valid, npix = _wcs_pixels(events, geom)
    else:  # HEALPix: gammapy's own vectorised pixel look-up
        coords = SkyCoord(events.ra, events.dec, unit="deg", frame="icrs")
        image = geom.to_image()
        index = image.coord_to_idx({"skycoord": coords})
        flat = np.asarray(image.global_to_local(index, ravel=True), dtype=np.int64)
        npix = int(np.prod(geom.data_shape[-1:]))
        valid = flat >= 0
    if geom.axes:
        edges = geom.axes["energy"].edges.to_value(u.TeV)
        ie = np.digitize(events.energy, edges) - 1
        valid &= (ie >= 0) & (ie < len(edges) - 1)
        flat = ie * npix + flat
    return flat[valid]


def _wcs_pixels(events: RunEvents, geom: WcsGeom) -> tuple[np.ndarray, np.ndarray, int]:
    """Flat pixel of each event in a WCS image (WCSLIB's), which are inside, and the size."""
    lon, lat = frame_coordinates(events, geom.frame)
    px, py = geom.wcs.wcs_world2pix(lon, lat, 0)
    ix = np.floor(px + 0.5).astype(np.int64)
    iy = np.floor(py + 0.5).astype(np.int64)
    ny, nx = geom.data_shape[-2], geom.data_shape[-1]
    valid = np.isfinite(px) & np.isfinite(py) & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    return iy * nx + ix, valid, nx * ny
