"""Fast binning of events into WCS cubes, with bins identical to gammapy's.

gammapy bins with WCSLIB (``wcs_world2pix``) and ``np.digitize``. Here one compiled pass
(numba) per run rotates each event into the projection's native frame, projects it, and
adds it to the cube; no temporary array per event is made. The rotation and projection
follow WCSLIB's definitions (Calabretta & Greisen 2002) with the Euler angles WCSLIB
itself derives for the geometry, for the projections in :data:`FAST_PROJECTIONS`.

Identical bins are guaranteed, not hoped for: an event whose computed pixel coordinate lies
within :data:`BOUNDARY_EPS` of a pixel edge (where a rounding difference between two correct
computations could move it) is not binned here but returned, and the caller
(:func:`ctanb.analysis.histogram.add_events`) bins those few through WCSLIB exactly as
gammapy does. Energies use the same comparisons as ``np.digitize``, so they are exact.
Other projections, all-sky maps and maps wider than 170 deg fall back to the exact path
for every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from astropy import units as u
from gammapy.maps import WcsGeom
from numba import njit

__all__ = ["BOUNDARY_EPS", "FAST_PROJECTIONS", "Added", "FastWcsBinner", "unit_vectors"]

#: projection codes binned by the compiled kernel (others use WCSLIB for every event)
FAST_PROJECTIONS = {"CAR": 0, "TAN": 1, "SIN": 2, "ZEA": 3, "ARC": 4, "STG": 5}
#: pixel coordinates closer than this to a pixel edge are re-binned through WCSLIB
BOUNDARY_EPS = 1e-6
DOUBTFUL_CAPACITY = 65536  # events per run noted as doubtful before a second pass


def _native_rotation(euler: np.ndarray) -> np.ndarray:
    """Matrix taking celestial unit vectors to native ones, from WCSLIB's Euler angles.

    ``euler`` = (alpha_p, 90 - delta_p, phi_p, ...) as ``Wcsprm.cel.euler`` holds them.
    """
    alpha_p, colat_p, phi_p = np.radians(euler[:3])
    delta_p = np.pi / 2 - colat_p
    to_pole = np.array(  # rotate about z by -alpha_p
        [
            [np.cos(alpha_p), np.sin(alpha_p), 0.0],
            [-np.sin(alpha_p), np.cos(alpha_p), 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    # X = cos(dp) z' - sin(dp) x', Y = -y', Z = sin(dp) z' + cos(dp) x'  (C&G 2002, eq. 5)
    tilt = np.array(
        [
            [-np.sin(delta_p), 0.0, np.cos(delta_p)],
            [0.0, -1.0, 0.0],
            [np.cos(delta_p), 0.0, np.sin(delta_p)],
        ]
    )
    spin = np.array(  # add phi_p to the native longitude
        [[np.cos(phi_p), -np.sin(phi_p), 0.0], [np.sin(phi_p), np.cos(phi_p), 0.0], [0, 0, 1.0]]
    )
    return spin @ tilt @ to_pole


@dataclass(frozen=True)
class FastWcsBinner:
    """The compiled binning of one WCS geometry (with an optional energy axis).

    Build it with :meth:`for_geom`, which returns None for geometries only WCSLIB bins.
    """

    rotation: np.ndarray
    code: int
    r0: float
    offset: np.ndarray  # (x0, y0) of the projection
    inverse_cd: np.ndarray  # intermediate world coordinates (deg) -> pixel offsets
    crpix: np.ndarray  # 0-based reference pixel
    shape: tuple[int, int]  # (ny, nx)
    edges: np.ndarray  # energy edges in TeV (empty for a 2D map)

    @classmethod
    def for_geom(cls, geom: WcsGeom) -> FastWcsBinner | None:
        """Return the binner of ``geom``, or None when it needs WCSLIB for every event."""
        if not isinstance(geom, WcsGeom) or not geom.is_regular or geom.is_allsky:
            return None
        if geom.frame not in ("icrs", "galactic"):
            return None
        wcsprm = geom.wcs.wcs
        wcsprm.set()
        prj = wcsprm.cel.prj
        if prj.code not in FAST_PROJECTIONS or wcsprm.naxis != 2:
            return None
        if any(np.abs(np.asarray(geom.width.to_value(u.deg))).ravel() > 170):
            return None
        rotation = _native_rotation(np.asarray(wcsprm.cel.euler))
        cd = np.diag(wcsprm.cdelt) @ wcsprm.get_pc()
        edges = (
            geom.axes["energy"].edges.to_value(u.TeV).astype(np.float64)
            if geom.axes
            else np.zeros(0)
        )
        ny, nx = geom.data_shape[-2:]
        return cls(
            rotation=np.ascontiguousarray(rotation),
            code=FAST_PROJECTIONS[prj.code],
            r0=float(prj.r0),
            offset=np.array([prj.x0, prj.y0], dtype=np.float64),
            inverse_cd=np.ascontiguousarray(np.linalg.inv(cd)),
            crpix=np.asarray(wcsprm.crpix, dtype=np.float64) - 1.0,
            shape=(int(ny), int(nx)),
            edges=np.ascontiguousarray(edges),
        )

    def add(
        self,
        lon: np.ndarray | None,
        lat: np.ndarray | None,
        energy: np.ndarray | None,
        out: np.ndarray,
        vectors: np.ndarray | None = None,
        track: bool = False,
    ) -> Added:
        """Add events to the flat cube ``out``.

        Parameters
        ----------
        lon, lat : ndarray
            Event coordinates in the map's frame (deg); not needed with ``vectors``.
        energy : ndarray or None
            Energies (TeV), for a cube.
        out : ndarray
            The flat cube, of ``geom.data_shape``'s size; counts are added in place.
        vectors : ndarray, optional
            The events' unit vectors in the map's frame, shape (n, 3), as the columnar
            cache keeps them: binning then needs no trigonometry for zenithal projections.
        track : bool
            Also return the bins that were empty before and got counts (to reset or to
            read a sparse cube without scanning all of ``out``).

        Returns
        -------
        Added
            ``doubtful``: indices of the events too close to a pixel edge to be binned here
            (bin them with WCSLIB; usually none or a handful); ``touched``: the newly filled
            bins when ``track``.
        """
        if vectors is None:
            vectors = _vectors(np.asarray(lon, dtype=np.float64), np.asarray(lat, np.float64))
        n = len(vectors)
        doubtful = np.empty(min(n, DOUBTFUL_CAPACITY), dtype=np.int64)
        touched = np.empty(n if track else 0, dtype=np.int64)
        counters = np.zeros(2, dtype=np.int64)
        self._run(vectors, energy, out, doubtful, touched, counters)
        if counters[0] > len(doubtful):  # many events on edges (e.g. a pole on one)
            doubtful = np.empty(int(counters[0]), dtype=np.int64)
            scratch, counters_again = np.zeros_like(out), np.zeros(2, dtype=np.int64)
            self._run(vectors, energy, scratch, doubtful, touched[:0], counters_again)
        return Added(doubtful[: int(counters[0])], touched[: int(counters[1])] if track else None)

    def _run(self, vectors, energy, out, doubtful, touched, counters) -> None:  # type: ignore[no-untyped-def]
        e = np.zeros(0) if energy is None else np.ascontiguousarray(energy)
        geometry = (
            self.rotation,
            self.code,
            self.r0,
            self.offset,
            self.inverse_cd,
            self.crpix,
            self.shape[0],
            self.shape[1],
            self.edges,
            BOUNDARY_EPS,
        )
        buffers = (out, doubtful, touched, counters)
        _bin_vectors(np.ascontiguousarray(vectors), e, *geometry, *buffers)


class Added(NamedTuple):
    """What :meth:`FastWcsBinner.add` did not bin, and which bins it filled."""

    doubtful: np.ndarray
    touched: np.ndarray | None


def unit_vectors(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """ICRS unit vectors (n, 3) of event positions in degrees, for :meth:`FastWcsBinner.add`.

    The positions are taken as gammapy takes them from a DL3 file: float32 values, right
    ascensions wrapped to [0, 360) in float32.
    """
    lon = np.mod(np.asarray(ra).astype(np.float32), np.float32(360))
    return _vectors(lon.astype(np.float64), np.asarray(dec).astype(np.float32).astype(np.float64))


def _vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit vectors (n, 3) of longitudes and latitudes in degrees, exactly as given."""
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    vectors = np.empty((lon_r.size, 3))
    cos_lat = np.cos(lat_r)
    vectors[:, 0] = cos_lat * np.cos(lon_r)
    vectors[:, 1] = cos_lat * np.sin(lon_r)
    vectors[:, 2] = np.sin(lat_r)
    return vectors


# -- compiled kernels (numba); excluded from coverage, which cannot see inside them


@njit(inline="always", cache=True)
def _energy_index(e, edges):  # pragma: no cover
    """np.digitize(e, edges) - 1, or -1 outside the edges (NaN included)."""
    n_edges = edges.shape[0]
    if not (e >= edges[0] and e < edges[n_edges - 1]):
        return -1
    lo, hi = 0, n_edges - 1  # edges[lo] <= e < edges[hi]
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if e >= edges[mid]:
            lo = mid
        else:
            hi = mid
    return lo


@njit(inline="always", cache=True)
def _scalars(rot, r0, offset, icd, crpix):  # pragma: no cover
    """The geometry as a tuple of floats: kept in registers inside the loops."""
    return (
        rot[0, 0], rot[0, 1], rot[0, 2], rot[1, 0], rot[1, 1], rot[1, 2],
        rot[2, 0], rot[2, 1], rot[2, 2], r0, offset[0], offset[1],
        icd[0, 0], icd[0, 1], icd[1, 0], icd[1, 1], crpix[0], crpix[1],
    )  # fmt: skip


@njit(inline="always", cache=True)
def _add_one(vx, vy, vz, ie, g, code, ny, nx, eps):  # pragma: no cover
    """Project one unit vector: its flat bin index, -1 outside, -2 near a pixel edge."""
    nxv = g[0] * vx + g[1] * vy + g[2] * vz
    nyv = g[3] * vx + g[4] * vy + g[5] * vz
    nzv = g[6] * vx + g[7] * vy + g[8] * vz
    r0 = g[9]
    if code == 0:  # CAR: x = r0 phi, y = r0 theta (radians)
        x = r0 * (np.arctan(nyv / nxv) if nxv > 0.0 else np.arctan2(nyv, nxv))
        y = r0 * np.arcsin(min(1.0, max(-1.0, nzv)))
    else:  # zenithal: R(theta), x = R sin(phi), y = -R cos(phi)
        if nzv <= 0.0 and code != 3 and code != 4:
            return -1  # the far hemisphere: not projected (WCSLIB gives no pixel)
        if code == 1:  # TAN: R = r0 cot(theta)
            scale = r0 / nzv
        elif code == 2:  # SIN: R = r0 cos(theta)
            scale = r0
        elif code == 5:  # STG: R = 2 r0 cos(theta) / (1 + sin(theta))
            scale = 2.0 * r0 / (1.0 + nzv)
        else:
            rho = np.sqrt(nxv * nxv + nyv * nyv)  # cos(theta)
            if code == 3:  # ZEA: R = r0 sqrt(2 (1 - sin theta))
                scale = r0 * np.sqrt(2.0 * (1.0 - nzv)) / rho if rho > 0 else 0.0
            else:  # ARC: R = r0 (pi/2 - theta)
                scale = r0 * np.arctan2(rho, nzv) / rho if rho > 0 else r0
        x = scale * nyv
        y = -scale * nxv
    x -= g[10]
    y -= g[11]
    px = g[12] * x + g[13] * y + g[16] + 0.5
    py = g[14] * x + g[15] * y + g[17] + 0.5
    if not (px > -0.5 and px < nx + 0.5 and py > -0.5 and py < ny + 0.5):
        return -1
    ix = int(np.floor(px))
    iy = int(np.floor(py))
    rx = px - ix
    ry = py - iy
    if rx < eps or rx > 1.0 - eps or ry < eps or ry > 1.0 - eps:
        return -2
    if ix < 0 or ix >= nx or iy < 0 or iy >= ny:
        return -1
    return (ie * ny + iy) * nx + ix


@njit(cache=True, nogil=True)
def _bin_vectors(  # pragma: no cover
    vectors,
    energy,
    rot,
    code,
    r0,
    offset,
    icd,
    crpix,
    ny,
    nx,
    edges,
    eps,
    out,
    doubtful,
    touched,
    counters,
):
    has_energy = edges.shape[0] > 0
    g = _scalars(rot, r0, offset, icd, crpix)
    ie = 0
    n_doubtful, n_touched = 0, 0  # locals, not array elements: kept in registers
    capacity = doubtful.shape[0]
    track = touched.shape[0] > 0
    for i in range(vectors.shape[0]):
        if has_energy:
            e = energy[i]  # events come sorted by energy: the last bin is usually right
            if not (ie >= 0 and e >= edges[ie] and e < edges[ie + 1]):
                ie = _energy_index(e, edges)
            if ie < 0:
                continue
        k = _add_one(
            vectors[i, 0],
            vectors[i, 1],
            vectors[i, 2],
            ie,
            g,
            code,
            ny,
            nx,
            eps,
        )
        if k >= 0:
            if track and out[k] == 0.0:
                touched[n_touched] = k
                n_touched += 1
            out[k] += 1.0
        elif k == -2:
            if n_doubtful < capacity:
                doubtful[n_doubtful] = i
            n_doubtful += 1
    counters[0] = n_doubtful
    counters[1] = n_touched
