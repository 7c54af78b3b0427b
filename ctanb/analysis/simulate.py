"""``ctanb simulate``: synthetic GADF DL3 runs drawn from the CTA 1DC instrument response.

The sampler is vectorised NumPy (no Python loop over events): per run, one Poisson draw per
IRF bin and a few array operations per event. The output folder is a GADF data store that
gammapy's ``DataStore.from_dir`` reads, with one copy of the IRF file for all runs.
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time

from ctanb.config import get_settings
from ctanb.errors import DataError

__all__ = [
    "PointSource",
    "add_arguments",
    "default_irf_file",
    "run",
    "simulate_runs",
]

IRF_NAME = "South_z20_50h"
MJDREFI = 51544
MJDREFF = 0.5
#: CTA South (Paranal), as gammapy's ``observatory_locations["cta_south"]``.
GEOLON, GEOLAT, ALTITUDE = -70.316345, -24.683429, 2147.0
DEFAULT_START = "2021-01-01T00:00:00"
DEFAULT_ENERGY_RANGE = (0.03, 150.0)  # TeV
MC_ID_BACKGROUND = 1
MC_ID_SOURCE = 2
_TINY = float(np.finfo(np.float32).tiny)  # gammapy's floor for log interpolation
_GADF_DOC = "https://github.com/open-gamma-ray-astro/gamma-astro-data-formats"

Progress = Callable[[int, int], None]


def default_irf_file() -> Path:
    """The 1DC ``South_z20_50h`` IRF under ``<data_dir>/cta-1dc`` (``CTANB_DATA``)."""
    return (
        get_settings().data_dir
        / "cta-1dc"
        / "caldb"
        / "data"
        / "cta"
        / "1dc"
        / "bcf"
        / IRF_NAME
        / "irf_file.fits"
    )


@dataclass(frozen=True)
class PointSource:
    """A point source with a power-law spectrum ``amplitude * (E / reference) ** -index``.

    Parameters
    ----------
    position : SkyCoord
        Source position.
    amplitude : Quantity
        Differential flux at ``reference`` (e.g. ``1e-11 cm-2 s-1 TeV-1``).
    index : float
        Spectral index (default 2.5).
    reference : Quantity
        Reference energy (default 1 TeV).
    """

    position: SkyCoord
    amplitude: u.Quantity
    index: float = 2.5
    reference: u.Quantity = 1 * u.TeV


# ---------------------------------------------------------------- IRF


def _centres(lo: np.ndarray, hi: np.ndarray, log: bool = False) -> np.ndarray:
    return np.sqrt(lo * hi) if log else 0.5 * (lo + hi)


def _column(hdu: Any, name: str) -> np.ndarray:
    return np.asarray(hdu.data[name][0], dtype=np.float64)


def _unit(hdu: Any, name: str, default: str) -> u.UnitBase:
    text = hdu.columns[name].unit or default
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", u.UnitsWarning)
            return u.Unit(text)
    except ValueError:
        return u.Unit(default)


def _node_weights(nodes: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower node index, upper node index and upper weight of linear interpolation (clipped)."""
    x = np.clip(x, nodes[0], nodes[-1])
    hi = np.clip(np.searchsorted(nodes, x, side="right"), 1, len(nodes) - 1)
    lo = hi - 1
    weight = (x - nodes[lo]) / (nodes[hi] - nodes[lo])
    return lo, hi, weight


def _bilinear(
    x_nodes: np.ndarray, y_nodes: np.ndarray, values: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Interpolate ``values[iy, ix]`` linearly at (x, y), clipped to the node range."""
    x0, x1, wx = _node_weights(x_nodes, x)
    y0, y1, wy = _node_weights(y_nodes, y)
    return (
        values[y0, x0] * (1 - wx) * (1 - wy)
        + values[y0, x1] * wx * (1 - wy)
        + values[y1, x0] * (1 - wx) * wy
        + values[y1, x1] * wx * wy
    )


def _stochastic_node(nodes: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick the lower or upper neighbouring node with the linear-interpolation weights.

    Sampling from the node picked this way is sampling from the linear interpolation (in
    ``x``) of the nodes' distributions.
    """
    lo, hi, weight = _node_weights(nodes, x)
    return np.where(rng.random(len(x)) < weight, hi, lo)


def _power_law_sample(
    a: np.ndarray, b: np.ndarray, slope: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw E in [a, b] from dN/dE ∝ E**-slope (vectorised inverse CDF)."""
    k = 1.0 - slope
    log_r = np.log(b / a)
    uniform = rng.random(len(a))
    small = np.abs(k * log_r) < 1e-8
    k_safe = np.where(small, 1.0, k)
    log_x = np.where(
        small,
        uniform * log_r,
        np.log1p(uniform * np.expm1(k_safe * log_r)) / k_safe,
    )
    return np.asarray(a * np.exp(log_x))


def _power_law_integral(
    a: np.ndarray, b: np.ndarray, value_a: np.ndarray, value_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Integral over [a, b] of the power law through (a, value_a), (b, value_b), and its slope."""
    slope = -np.log(value_b / value_a) / np.log(b / a)
    k = 1.0 - slope
    small = np.abs(k) < 1e-9
    integral = np.where(
        small,
        value_a * a * np.log(b / a),
        (value_b * b - value_a * a) / np.where(small, 1.0, k),
    )
    return integral, slope


@dataclass
class _Response:
    """The four IRF components of a GADF full-enclosure file, as plain arrays (TeV, deg, cm2)."""

    path: Path
    zenith: float
    aeff_energy: np.ndarray  # log bin centres
    aeff_theta: np.ndarray
    aeff: np.ndarray  # (theta, energy), cm2
    edisp_energy: np.ndarray
    edisp_theta: np.ndarray
    migra_lo: np.ndarray
    migra_hi: np.ndarray
    edisp_cdf: np.ndarray  # (theta * energy, migra), global-monotone (row index added)
    edisp_valid: np.ndarray  # (theta * energy,)
    psf_energy: np.ndarray
    psf_theta: np.ndarray
    psf_sigma: np.ndarray  # (3, theta, energy), deg
    psf_weight: np.ndarray  # (3, theta, energy), relative 2D integrals of the components
    bkg_energy_nodes: np.ndarray
    bkg_energy_range: tuple[float, float]
    bkg_lon_edges: np.ndarray
    bkg_lat_edges: np.ndarray
    bkg_rate: np.ndarray  # (energy, lon, lat), 1 / (TeV s sr)

    @classmethod
    def read(cls, path: Path) -> _Response:
        try:
            with fits.open(path, memmap=False) as hdul:
                return cls._from_hdul(path, hdul)
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(
                f"{path}: not a GADF full-enclosure IRF with EFFECTIVE AREA, ENERGY DISPERSION, "
                f"POINT SPREAD FUNCTION (3-Gauss) and BACKGROUND (3D) ({exc})"
            ) from exc

    @classmethod
    def _from_hdul(cls, path: Path, hdul: fits.HDUList) -> _Response:
        aeff_hdu = hdul["EFFECTIVE AREA"]
        aeff_e = _centres(_column(aeff_hdu, "ENERG_LO"), _column(aeff_hdu, "ENERG_HI"), log=True)
        aeff_e *= _unit(aeff_hdu, "ENERG_LO", "TeV").to(u.TeV)
        aeff = _column(aeff_hdu, "EFFAREA") * _unit(aeff_hdu, "EFFAREA", "m2").to(u.cm**2)
        zenith = 20.0
        for value in aeff_hdu.header.values():
            if isinstance(value, str) and value.startswith("ZENITH("):
                zenith = float(value[7:].split(")")[0])

        edisp_hdu = hdul["ENERGY DISPERSION"]
        matrix = _column(edisp_hdu, "MATRIX")  # (theta, migra, energy)
        migra_lo, migra_hi = _column(edisp_hdu, "MIGRA_LO"), _column(edisp_hdu, "MIGRA_HI")
        prob = np.clip(np.moveaxis(matrix, 1, 2), 0, None) * (migra_hi - migra_lo)
        prob = prob.reshape(-1, len(migra_lo))
        norm = prob.sum(axis=1)
        valid = norm > 0
        cdf = np.where(
            valid[:, None],
            np.cumsum(prob, axis=1) / np.where(valid, norm, 1.0)[:, None],
            np.linspace(0, 1, len(migra_lo))[None, :],
        )
        cdf[:, -1] = 1.0
        cdf += np.arange(len(cdf))[:, None]
        edisp_e = _centres(_column(edisp_hdu, "ETRUE_LO"), _column(edisp_hdu, "ETRUE_HI"), True)
        edisp_e *= _unit(edisp_hdu, "ETRUE_LO", "TeV").to(u.TeV)

        psf_hdu = hdul["POINT SPREAD FUNCTION"]
        if "SIGMA_1" not in psf_hdu.columns.names:
            raise DataError(f"{path}: only 3-Gauss PSFs (psf_3gauss) are supported")
        sigma = np.stack([_column(psf_hdu, f"SIGMA_{i}") for i in (1, 2, 3)])
        ampl = np.stack(
            [np.ones_like(sigma[0]), _column(psf_hdu, "AMPL_2"), _column(psf_hdu, "AMPL_3")]
        )
        weight = np.clip(ampl, 0, None) * sigma**2
        psf_e = _centres(_column(psf_hdu, "ENERG_LO"), _column(psf_hdu, "ENERG_HI"), log=True)
        psf_e *= _unit(psf_hdu, "ENERG_LO", "TeV").to(u.TeV)

        bkg_hdu = hdul["BACKGROUND"]
        names = bkg_hdu.columns.names
        data_name = "BKG" if "BKG" in names else "BGD"
        rate_unit = _unit(bkg_hdu, data_name, "s-1 MeV-1 sr-1")
        if not rate_unit.is_equivalent("s-1 MeV-1 sr-1"):
            rate_unit = u.Unit("s-1 MeV-1 sr-1")
        e_unit = _unit(bkg_hdu, "ENERG_LO", "TeV").to(u.TeV)
        e_lo, e_hi = _column(bkg_hdu, "ENERG_LO") * e_unit, _column(bkg_hdu, "ENERG_HI") * e_unit
        # axes as gammapy's Background3D reads them: (energy, fov_lon=DETX, fov_lat=DETY)
        rate = _column(bkg_hdu, data_name) * rate_unit.to("s-1 TeV-1 sr-1")
        return cls(
            path=path,
            zenith=zenith,
            aeff_energy=np.log(aeff_e),
            aeff_theta=_centres(_column(aeff_hdu, "THETA_LO"), _column(aeff_hdu, "THETA_HI")),
            aeff=aeff,
            edisp_energy=np.log(edisp_e),
            edisp_theta=_centres(_column(edisp_hdu, "THETA_LO"), _column(edisp_hdu, "THETA_HI")),
            migra_lo=migra_lo,
            migra_hi=migra_hi,
            edisp_cdf=cdf.ravel(),
            edisp_valid=valid,
            psf_energy=np.log(psf_e),
            psf_theta=_centres(_column(psf_hdu, "THETA_LO"), _column(psf_hdu, "THETA_HI")),
            psf_sigma=sigma,
            psf_weight=weight,
            bkg_energy_nodes=np.sqrt(e_lo * e_hi),
            bkg_energy_range=(float(e_lo[0]), float(e_hi[-1])),
            bkg_lon_edges=np.append(_column(bkg_hdu, "DETX_LO"), _column(bkg_hdu, "DETX_HI")[-1]),
            bkg_lat_edges=np.append(_column(bkg_hdu, "DETY_LO"), _column(bkg_hdu, "DETY_HI")[-1]),
            bkg_rate=rate,
        )

    # ------------------------------------------------------------ background

    def background_cells(
        self, energy_range: tuple[float, float], oversample: int = 3
    ) -> _BackgroundCells:
        """Expected background counts per second of ontime in (segment, lon, lat) cells.

        Each FoV bin is split into ``oversample`` x ``oversample`` cells whose rate is the
        IRF's interpolated (bilinear in log rate, as gammapy) at the cell centre, constant
        inside the cell. In energy the rate is a power law between the IRF's bin centres
        (gammapy's log-log interpolation, extrapolated to the range's ends).
        """
        nodes = self.bkg_energy_nodes
        lo = max(energy_range[0], self.bkg_energy_range[0])
        hi = min(energy_range[1], self.bkg_energy_range[1])
        if not lo < hi:
            raise DataError(f"energy range {energy_range} TeV outside the background IRF")
        edges = np.unique(np.concatenate([[lo, hi], nodes[(nodes > lo) & (nodes < hi)]]))
        log_rate = np.log(np.clip(self.bkg_rate, _TINY, None))

        def split(bin_edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            step = np.arange(oversample) / oversample
            fine = np.append(
                (bin_edges[:-1, None] + step[None, :] * np.diff(bin_edges)[:, None]).ravel(),
                bin_edges[-1],
            )
            centres = 0.5 * (fine[:-1] + fine[1:])
            i1 = np.clip(
                np.searchsorted(_centres(bin_edges[:-1], bin_edges[1:]), centres),
                1,
                len(bin_edges) - 2,
            )
            node = _centres(bin_edges[:-1], bin_edges[1:])
            weight = (centres - node[i1 - 1]) / (node[i1] - node[i1 - 1])  # extrapolates
            return fine, i1 - 1, i1, weight

        lon_edges, x0, x1, wx = split(self.bkg_lon_edges)
        lat_edges, y0, y1, wy = split(self.bkg_lat_edges)
        wx, wy = wx[:, None], wy[None, :]
        log_rate = (
            log_rate[:, x0][:, :, y0] * (1 - wx) * (1 - wy)
            + log_rate[:, x1][:, :, y0] * wx * (1 - wy)
            + log_rate[:, x0][:, :, y1] * (1 - wx) * wy
            + log_rate[:, x1][:, :, y1] * wx * wy
        )
        log_nodes = np.log(nodes)

        def at(energy: np.ndarray) -> np.ndarray:
            i1 = np.clip(np.searchsorted(nodes, energy, side="right"), 1, len(nodes) - 1)
            i0 = i1 - 1
            w = ((np.log(energy) - log_nodes[i0]) / (log_nodes[i1] - log_nodes[i0]))[:, None, None]
            return np.asarray(np.exp(log_rate[i0] * (1 - w) + log_rate[i1] * w))

        a, b = edges[:-1], edges[1:]
        integral, slope = _power_law_integral(a[:, None, None], b[:, None, None], at(a), at(b))
        lon, lat = np.radians(lon_edges), np.radians(lat_edges)
        solid_angle = np.diff(lon)[:, None] * np.diff(np.sin(lat))[None, :]
        return _BackgroundCells(integral * solid_angle[None], slope, a, b, lon_edges, lat_edges)


@dataclass
class _BackgroundCells:
    """Background counts per second of ontime per (energy segment, lon, lat) cell."""

    rate: np.ndarray
    slope: np.ndarray
    segment_lo: np.ndarray  # TeV
    segment_hi: np.ndarray
    lon_edges: np.ndarray  # deg, FoV (DETX)
    lat_edges: np.ndarray  # deg, FoV (DETY)


# ---------------------------------------------------------------- geometry


def _rotation(ra: float, dec: float, reflect: bool) -> np.ndarray:
    """Matrix taking ICRS unit vectors to a frame centred on (ra, dec) (deg).

    With ``reflect`` the longitude is reversed, as in gammapy's ``FoVICRSFrame``.
    """
    a, d = np.radians(ra), np.radians(dec)
    rz = np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1]])
    ry = np.array([[np.cos(d), 0, np.sin(d)], [0, 1, 0], [-np.sin(d), 0, np.cos(d)]])
    matrix = ry @ rz
    if reflect:
        matrix = np.diag([1.0, -1.0, 1.0]) @ matrix
    return np.asarray(matrix)


def _to_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _from_vectors(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y, z = vectors
    lon = np.degrees(np.arctan2(y, x))
    lat = np.degrees(np.arcsin(np.clip(z, -1, 1)))
    return lon, lat


def _frame_to_sky(
    lon: np.ndarray, lat: np.ndarray, ra: float, dec: float, reflect: bool
) -> tuple[np.ndarray, np.ndarray]:
    ra_out, dec_out = _from_vectors(_rotation(ra, dec, reflect).T @ _to_vectors(lon, lat))
    return np.mod(ra_out, 360.0), dec_out


def _sky_to_frame(
    ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float, reflect: bool
) -> tuple[np.ndarray, np.ndarray]:
    return _from_vectors(_rotation(ra0, dec0, reflect) @ _to_vectors(ra, dec))


# ---------------------------------------------------------------- sampling


@dataclass
class _Events:
    ra: np.ndarray
    dec: np.ndarray
    energy: np.ndarray
    detx: np.ndarray
    dety: np.ndarray
    mc_id: np.ndarray


def _sample_background(
    irf: _Response,
    cells: _BackgroundCells,
    ontime: float,
    ra_pnt: float,
    dec_pnt: float,
    rng: np.random.Generator,
) -> _Events:
    rate, slope, seg_lo, seg_hi = cells.rate, cells.slope, cells.segment_lo, cells.segment_hi
    counts = rng.poisson(rate.ravel() * ontime)
    cell = np.repeat(np.arange(counts.size), counts)
    i_seg, i_lon, i_lat = np.unravel_index(cell, rate.shape)
    energy = _power_law_sample(seg_lo[i_seg], seg_hi[i_seg], slope.ravel()[cell], rng)
    lon_edges, lat_edges = cells.lon_edges, cells.lat_edges
    fov_lon = lon_edges[i_lon] + rng.random(len(cell)) * (lon_edges[i_lon + 1] - lon_edges[i_lon])
    sin_lo, sin_hi = np.sin(np.radians(lat_edges[i_lat])), np.sin(np.radians(lat_edges[i_lat + 1]))
    fov_lat = np.degrees(np.arcsin(sin_lo + rng.random(len(cell)) * (sin_hi - sin_lo)))
    ra, dec = _frame_to_sky(fov_lon, fov_lat, ra_pnt, dec_pnt, reflect=True)
    return _Events(ra, dec, energy, fov_lon, fov_lat, np.full(len(cell), MC_ID_BACKGROUND))


def _source_grid(energy_range: tuple[float, float]) -> np.ndarray:
    decades = np.log10(energy_range[1] / energy_range[0])
    return np.geomspace(*energy_range, max(int(np.ceil(40 * decades)), 2) + 1)


def _source_rate(
    irf: _Response, source: PointSource, offset: float, energy_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Expected source counts per second of livetime in fine true-energy bins, and the edges."""
    edges = _source_grid(energy_range)
    index = float(source.index)
    e_ref = source.reference.to_value(u.TeV)
    norm = source.amplitude.to_value("cm-2 s-1 TeV-1")
    a, b = edges[:-1], edges[1:]
    flux, _ = _power_law_integral(a, b, norm * (a / e_ref) ** -index, norm * (b / e_ref) ** -index)
    centre = np.sqrt(a * b)
    area = _bilinear(
        irf.aeff_energy, irf.aeff_theta, irf.aeff, np.log(centre), np.full(len(a), offset)
    )
    return flux * np.clip(area, 0, None), edges


def _sample_source(
    irf: _Response,
    source: PointSource,
    livetime: float,
    ra_pnt: float,
    dec_pnt: float,
    energy_range: tuple[float, float],
    rng: np.random.Generator,
) -> _Events:
    ra_src, dec_src = source.position.icrs.ra.deg, source.position.icrs.dec.deg
    offset = float(source.position.icrs.separation(SkyCoord(ra_pnt * u.deg, dec_pnt * u.deg)).deg)
    rate, edges = _source_rate(irf, source, offset, energy_range)
    counts = rng.poisson(rate * livetime)
    i_bin = np.repeat(np.arange(len(counts)), counts)
    n = len(i_bin)
    energy_true = _power_law_sample(
        edges[i_bin], edges[i_bin + 1], np.full(n, float(source.index)), rng
    )
    log_e = np.log(energy_true)
    offsets = np.full(n, offset)

    # energy dispersion: the MIGRA matrix at a node picked with the interpolation weights
    i_theta = _stochastic_node(irf.edisp_theta, offsets, rng)
    i_energy = _stochastic_node(irf.edisp_energy, log_e, rng)
    row = i_theta * len(irf.edisp_energy) + i_energy
    n_migra = len(irf.migra_lo)
    cdf = irf.edisp_cdf
    target = row + rng.random(n)
    pos = np.minimum(np.searchsorted(cdf, target, side="right"), row * n_migra + n_migra - 1)
    j = pos - row * n_migra
    below = np.where(j > 0, cdf[np.maximum(pos - 1, 0)], row)
    width = cdf[pos] - below
    frac = np.clip((target - below) / np.where(width > 0, width, 1.0), 0, 1)
    migra = irf.migra_lo[j] + frac * (irf.migra_hi[j] - irf.migra_lo[j])
    energy = energy_true * migra
    keep = irf.edisp_valid[row] & (energy > 0)

    # PSF: the 3-Gauss mixture with parameters interpolated in (log E, offset)
    sigma = np.stack(
        [_bilinear(irf.psf_energy, irf.psf_theta, s, log_e, offsets) for s in irf.psf_sigma]
    )
    weight = np.stack(
        [_bilinear(irf.psf_energy, irf.psf_theta, w, log_e, offsets) for w in irf.psf_weight]
    )
    cumulative = np.cumsum(weight, axis=0)
    pick = (rng.random(n) * cumulative[-1] > cumulative).sum(axis=0)
    pick = np.minimum(pick, 2)
    sigma_event = np.clip(sigma[pick, np.arange(n)], 1e-4, None)
    dx = rng.normal(size=n) * sigma_event
    dy = rng.normal(size=n) * sigma_event
    ra, dec = _frame_to_sky(dx, dy, ra_src, dec_src, reflect=False)
    detx, dety = _sky_to_frame(ra, dec, ra_pnt, dec_pnt, reflect=True)
    mc_id = np.full(n, MC_ID_SOURCE)
    return _Events(ra[keep], dec[keep], energy[keep], detx[keep], dety[keep], mc_id[keep])


# ---------------------------------------------------------------- output


def _time_keywords() -> list[tuple[str, Any, str]]:
    return [
        ("MJDREFI", MJDREFI, "[d] Integer part of time reference MJD"),
        ("MJDREFF", MJDREFF, "[d] Fractional part of time reference MJD"),
        ("TIMEUNIT", "s", "Time unit"),
        ("TIMESYS", "TT", "Time system"),
        ("TIMEREF", "LOCAL", "Time reference"),
    ]


def _site_keywords() -> list[tuple[str, Any, str]]:
    return [
        ("GEOLON", GEOLON, "[deg] Geographic longitude of array centre"),
        ("GEOLAT", GEOLAT, "[deg] Geographic latitude of array centre"),
        ("ALTITUDE", ALTITUDE, "[m] Altitude of array centre"),
    ]


def _gadf(hduclas1: str, hduclas2: str | None = None) -> list[tuple[str, Any, str]]:
    cards = [
        ("HDUCLASS", "GADF", "Data format"),
        ("HDUDOC", _GADF_DOC, ""),
        ("HDUVERS", "0.3", "Data format version"),
        ("HDUCLAS1", hduclas1, "Primary extension class"),
    ]
    if hduclas2:
        cards.append(("HDUCLAS2", hduclas2, "Secondary extension class"))
    return cards


def _write_run(
    path: Path,
    events: _Events,
    rng: np.random.Generator,
    info: dict[str, Any],
) -> int:
    n = len(events.energy)
    tstart, tstop = info["TSTART"], info["TSTOP"]
    time = np.sort(tstart + rng.random(n) * (tstop - tstart))
    order = rng.permutation(n)  # events in time order, sources and background mixed
    columns = [
        fits.Column("EVENT_ID", "J", array=np.arange(1, n + 1, dtype=np.uint32), bzero=2**31),
        fits.Column("TIME", "D", unit="s", array=time),
        fits.Column("RA", "E", unit="deg", array=events.ra[order].astype(np.float32)),
        fits.Column("DEC", "E", unit="deg", array=events.dec[order].astype(np.float32)),
        fits.Column("ENERGY", "E", unit="TeV", array=events.energy[order].astype(np.float32)),
        fits.Column("DETX", "E", unit="deg", array=events.detx[order].astype(np.float32)),
        fits.Column("DETY", "E", unit="deg", array=events.dety[order].astype(np.float32)),
        fits.Column("MC_ID", "J", array=events.mc_id[order].astype(np.int32)),
    ]
    hdu = fits.BinTableHDU.from_columns(columns, name="EVENTS")
    header = hdu.header
    start, stop = info["start"], info["stop"]
    cards: list[tuple[str, Any, str]] = [
        *_gadf("EVENTS"),
        ("OBS_ID", info["OBS_ID"], "Observation identifier"),
        ("DATE-OBS", start.isot[:10], "Observation start date (UTC)"),
        ("TIME-OBS", start.isot[11:19], "Observation start time (UTC)"),
        ("DATE-END", stop.isot[:10], "Observation end date (UTC)"),
        ("TIME-END", stop.isot[11:19], "Observation end time (UTC)"),
        ("TSTART", tstart, "[s] Mission time of start of observation"),
        ("TSTOP", tstop, "[s] Mission time of end of observation"),
        *_time_keywords(),
        ("TELAPSE", tstop - tstart, "[s] Mission elapsed time"),
        ("ONTIME", info["ONTIME"], "[s] Total good time including deadtime"),
        ("LIVETIME", info["LIVETIME"], "[s] Total livetime"),
        ("DEADC", info["DEADC"], "Deadtime correction factor"),
        ("OBJECT", info["OBJECT"], "Observed object"),
        ("RA_OBJ", info["RA_OBJ"], "[deg] Target Right Ascension"),
        ("DEC_OBJ", info["DEC_OBJ"], "[deg] Target Declination"),
        ("OBS_MODE", "POINTING", "Observation mode"),
        ("RA_PNT", info["RA_PNT"], "[deg] Pointing Right Ascension"),
        ("DEC_PNT", info["DEC_PNT"], "[deg] Pointing Declination"),
        ("ALT_PNT", info["ALT_PNT"], "[deg] Nominal altitude (the IRF's zenith angle)"),
        ("AZ_PNT", info["AZ_PNT"], "[deg] Nominal azimuth"),
        ("RADESYS", "ICRS", "Coordinate system"),
        ("EQUINOX", 2000.0, "Epoch"),
        ("ORIGIN", "ctanb", "Simulated with ctanb simulate"),
        ("TELESCOP", "CTA", "Telescope"),
        ("INSTRUME", "CTA South (simulated)", "Instrument"),
        ("CREATOR", "ctanb.analysis.simulate", "Program which created the file"),
        ("OBSERVER", "ctanb simulate", "Observer"),
        *_site_keywords(),
        ("N_TELS", 0, "Number of telescopes in event list"),
        ("EUNIT", "TeV", "Energy unit"),
        ("CALDB", "1dc", "Calibration database"),
        ("IRF", info["IRF"], "Instrument Response Function"),
        ("SEED", info["SEED"], "Random seed of ctanb simulate"),
        ("NMCIDS", 2, "Number of Monte Carlo identifiers"),
        ("MID00001", MC_ID_BACKGROUND, "Monte Carlo identifier for model 1"),
        ("MMN00001", "Background model", "Name of model 1"),
        ("MID00002", MC_ID_SOURCE, "Monte Carlo identifier for model 2"),
        ("MMN00002", info["OBJECT"], "Name of model 2"),
    ]
    header.extend(cards)
    gti = fits.BinTableHDU.from_columns(
        [
            fits.Column("START", "D", unit="s", array=np.array([tstart])),
            fits.Column("STOP", "D", unit="s", array=np.array([tstop])),
        ],
        name="GTI",
    )
    gti.header.extend([*_gadf("GTI"), *_time_keywords()])
    pointing = fits.BinTableHDU.from_columns(
        [
            fits.Column("TIME", "D", unit="s", array=np.array([tstart, tstop])),
            fits.Column("RA_PNT", "D", unit="deg", array=np.full(2, info["RA_PNT"])),
            fits.Column("DEC_PNT", "D", unit="deg", array=np.full(2, info["DEC_PNT"])),
            fits.Column("ALT_PNT", "D", unit="deg", array=np.full(2, info["ALT_PNT"])),
            fits.Column("AZ_PNT", "D", unit="deg", array=np.full(2, info["AZ_PNT"])),
        ],
        name="POINTING",
    )
    pointing.header.extend(
        [*_gadf("POINTING"), ("OBS_MODE", "POINTING", ""), *_time_keywords(), *_site_keywords()]
    )
    fits.HDUList([fits.PrimaryHDU(), hdu, gti, pointing]).writeto(path, overwrite=True)
    return n


def _find_readme(irf_file: Path) -> Path | None:
    for folder in irf_file.resolve().parents:
        if (folder / "README.md").exists():
            return folder / "README.md"
    return None


def _write_indexes(out_dir: Path, runs: list[dict[str, Any]], irf_rel: str) -> None:
    rows = []
    irf_dir, irf_name = str(Path(irf_rel).parent), Path(irf_rel).name
    for info in runs:
        event_dir, event_name = str(Path(info["file"]).parent), Path(info["file"]).name
        for hdu_type, hdu_class, directory, name, hdu_name in [
            ("events", "events", event_dir, event_name, "EVENTS"),
            ("gti", "gti", event_dir, event_name, "GTI"),
            ("pointing", "pointing", event_dir, event_name, "POINTING"),
            ("aeff", "aeff_2d", irf_dir, irf_name, "EFFECTIVE AREA"),
            ("edisp", "edisp_2d", irf_dir, irf_name, "ENERGY DISPERSION"),
            ("psf", "psf_3gauss", irf_dir, irf_name, "POINT SPREAD FUNCTION"),
            ("bkg", "bkg_3d", irf_dir, irf_name, "BACKGROUND"),
        ]:
            rows.append((info["OBS_ID"], hdu_type, hdu_class, directory, name, hdu_name))
    hdu_table = Table(
        rows=rows,
        names=["OBS_ID", "HDU_TYPE", "HDU_CLASS", "FILE_DIR", "FILE_NAME", "HDU_NAME"],
        dtype=[np.int64, "S8", "S10", "S64", "S64", "S24"],
    )
    hdu_table.meta.update(
        {
            "EXTNAME": "HDU_INDEX",
            "OBSERVER": "ctanb simulate",
            **{k: v for k, v, _ in _gadf("INDEX", "HDU")},
            "HDUVERS": "0.2",
        }
    )
    hdu_table.write(out_dir / "hdu-index.fits.gz", format="fits", overwrite=True)

    obs = Table()
    obs["OBS_ID"] = np.array([r["OBS_ID"] for r in runs], dtype=np.int64)
    for name, unit in [
        ("RA_PNT", "deg"),
        ("DEC_PNT", "deg"),
        ("GLON_PNT", "deg"),
        ("GLAT_PNT", "deg"),
        ("ZEN_PNT", "deg"),
        ("ALT_PNT", "deg"),
        ("AZ_PNT", "deg"),
        ("ONTIME", "s"),
        ("LIVETIME", "s"),
        ("DEADC", None),
        ("TSTART", "s"),
        ("TSTOP", "s"),
    ]:
        obs[name] = u.Quantity([r[name] for r in runs], unit) if unit else [r[name] for r in runs]
    obs["DATE-OBS"] = [r["start"].isot[:10] for r in runs]
    obs["TIME-OBS"] = [r["start"].isot[11:19] for r in runs]
    obs["DATE-END"] = [r["stop"].isot[:10] for r in runs]
    obs["TIME-END"] = [r["stop"].isot[11:19] for r in runs]
    obs["N_TELS"] = np.zeros(len(runs), dtype=np.int64)
    obs["OBJECT"] = [r["OBJECT"] for r in runs]
    obs["CALDB"] = ["1dc"] * len(runs)
    obs["IRF"] = [r["IRF"] for r in runs]
    obs["EVENTS_FILENAME"] = [r["file"] for r in runs]
    obs["EVENT_COUNT"] = np.array([r["EVENT_COUNT"] for r in runs], dtype=np.int64)
    obs.meta.update(
        {
            "EXTNAME": "OBS_INDEX",
            "OBSERVER": "ctanb simulate",
            **{k: v for k, v, _ in _gadf("INDEX", "OBS")},
            "HDUVERS": "0.2",
            **{k: v for k, v, _ in _time_keywords()},
            **{k: v for k, v, _ in _site_keywords()},
        }
    )
    obs.write(out_dir / "obs-index.fits.gz", format="fits", overwrite=True)


def _as_source(source: PointSource | Sequence[Any] | None) -> PointSource | None:
    if source is None or isinstance(source, PointSource):
        return source
    return PointSource(*source)


def _wobble(pointing: SkyCoord, offset: u.Quantity, n_runs: int) -> SkyCoord:
    """Pointings offset from ``pointing`` by ``offset`` towards N, S, E, W in turn."""
    angles = np.array([0.0, 180.0, 90.0, 270.0])[np.arange(n_runs) % 4] * u.deg
    target = pointing.icrs
    if offset.to_value(u.deg) == 0:
        return SkyCoord(np.full(n_runs, target.ra.deg), np.full(n_runs, target.dec.deg), unit="deg")
    return target.directional_offset_by(angles, np.full(n_runs, offset.to_value(u.deg)) * u.deg)


def simulate_runs(
    out_dir: str | Path,
    n_runs: int,
    *,
    events_per_run: int | None = None,
    livetime: u.Quantity = 30 * u.min,
    pointing: SkyCoord | None = None,
    wobble: u.Quantity = 0.5 * u.deg,
    source: PointSource | Sequence[Any] | None = None,
    energy_range: u.Quantity | None = None,
    irf_file: str | Path | None = None,
    seed: int = 0,
    first_obs_id: int = 900001,
    deadc: float = 1.0,
    start_time: Time | str = DEFAULT_START,
    gap: u.Quantity = 5 * u.min,
    object_name: str | None = None,
    compress: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Simulate IACT runs from a GADF IRF and write them as a GADF DL3 data store.

    Background events are drawn from the IRF's BACKGROUND table (rate per MeV s sr in FoV
    coordinates, RA/Dec-aligned, axes as gammapy reads them): each FoV bin is split into 3 x 3
    cells whose rate is the table interpolated at the cell centre (bilinear in log rate, as
    gammapy), and the rate integrated over each (energy segment, cell) times the ONTIME is a
    Poisson mean. Inside a chosen cell the position is uniform in solid angle and the energy
    follows the power law that joins the rates at the IRF's bin centres (gammapy's log-log
    interpolation, not a log-uniform draw). A point source adds,
    per fine true-energy bin (40 per decade), Poisson counts of mean power law x effective
    area (at the source's offset, linear in log E and offset) x livetime; each event's reco
    energy is drawn from the ENERGY DISPERSION migration matrix itself (no Gaussian
    approximation) and its position from the 3-Gauss POINT SPREAD FUNCTION (parameters
    interpolated in log E and offset). The 1DC PSF has one Gaussian component only
    (AMPL_2 = AMPL_3 = 0), so its Gaussian matches the PSF's 68 % containment exactly;
    the PSF's variation with offset inside a run and the curvature of the sky over the
    PSF width are neglected (one offset per run, a flat Gaussian in the tangent plane).

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created): ``data/events_<obs_id>.fits``, ``irf/<irf file>`` with the
        data README beside it, ``hdu-index.fits.gz`` and ``obs-index.fits.gz``.
    n_runs : int
        Number of runs.
    events_per_run : int, optional
        Expected number of events (background + source) per run: the livetime of every
        run is chosen so that the expected total equals it (counts stay Poisson).
        Overrides ``livetime``.
    livetime : Quantity
        Livetime of each run (default 30 min).
    pointing : SkyCoord
        Target of the runs (default the Crab, RA 83.633°, Dec 22.014°).
    wobble : Quantity
        Offset of the actual pointing from ``pointing``, towards N, S, E, W in turn
        (default 0.5°).
    source : PointSource or (SkyCoord, Quantity, float), optional
        A power-law point source: position, differential flux at 1 TeV (cm-2 s-1 TeV-1)
        and index.
    energy_range : Quantity, optional
        (min, max) energy: reconstructed energies of the background and true energies of
        the source (default 0.03 to 150 TeV).
    irf_file : str or Path, optional
        GADF IRF file (default: 1DC ``South_z20_50h`` under ``<CTANB_DATA>/cta-1dc``).
    seed : int
        Random seed; the runs are independent streams of ``(seed, obs_id)``, so the same
        arguments give byte-identical event files.
    first_obs_id : int
        OBS_ID of the first run (default 900001); the others follow.
    deadc : float
        Dead-time correction factor: ONTIME = livetime / deadc (default 1). The background
        rate is per unit ONTIME, as gammapy's ``MapDatasetMaker`` assumes.
    start_time : Time or str
        Start of the first run (default 2021-01-01T00:00:00 UTC).
    gap : Quantity
        Time between the end of a run and the start of the next (default 5 min).
    object_name : str, optional
        OBJECT header value (default "Simulated source" or "Simulated field").
    compress : bool
        Write ``.fits.gz`` event files (slower) instead of plain ``.fits``.
    progress : callable, optional
        Called as ``progress(done, total)`` after each run.

    Returns
    -------
    list of Path
        The event files, one per run, in OBS_ID order.

    Raises
    ------
    DataError
        If the IRF file cannot be used or the arguments are inconsistent.
    """
    if n_runs < 1:
        raise DataError("n_runs must be at least 1")
    if events_per_run is not None and events_per_run <= 0:
        raise DataError("events_per_run must be positive")
    if not 0 < deadc <= 1:
        raise DataError("deadc must be in (0, 1]")
    out = Path(out_dir)
    irf_path = Path(irf_file) if irf_file is not None else default_irf_file()
    if not irf_path.exists():
        raise DataError(f"{irf_path}: no such IRF file (set CTANB_DATA or pass irf_file)")
    irf = _Response.read(irf_path)
    src = _as_source(source)
    if energy_range is None:
        e_range = DEFAULT_ENERGY_RANGE
    else:
        lo, hi = u.Quantity(energy_range).to_value(u.TeV)
        e_range = (float(lo), float(hi))
    if not 0 < e_range[0] < e_range[1]:
        raise DataError(f"energy range {e_range} TeV is empty")
    target = pointing if pointing is not None else SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    pointings = _wobble(target, u.Quantity(wobble, u.deg), n_runs)
    galactic = pointings.galactic
    cells = irf.background_cells(e_range)
    bkg_per_ontime = float(cells.rate.sum())

    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    irf_dir = out / "irf"
    irf_dir.mkdir(exist_ok=True)
    irf_copy = irf_dir / irf_path.name
    if not irf_copy.exists() or irf_copy.stat().st_size != irf_path.stat().st_size:
        shutil.copyfile(irf_path, irf_copy)
    readme = _find_readme(irf_path)
    if readme is not None:
        shutil.copyfile(readme, irf_dir / "README.md")

    reference = Time(MJDREFI + MJDREFF, format="mjd", scale="tt")
    t0 = float((Time(start_time, scale="utc") - reference).to_value(u.s))
    obj = object_name or ("Simulated source" if src is not None else "Simulated field")
    ra_obj = src.position.icrs.ra.deg if src is not None else target.icrs.ra.deg
    dec_obj = src.position.icrs.dec.deg if src is not None else target.icrs.dec.deg
    runs: list[dict[str, Any]] = []
    paths: list[Path] = []
    for k in range(n_runs):
        obs_id = first_obs_id + k
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(obs_id)]))
        ra_pnt, dec_pnt = float(pointings.ra.deg[k]), float(pointings.dec.deg[k])
        if events_per_run is not None:
            per_livetime = bkg_per_ontime / deadc
            if src is not None:
                offset = src.position.icrs.separation(pointings[k]).deg
                per_livetime += float(_source_rate(irf, src, offset, e_range)[0].sum())
            live = events_per_run / per_livetime
        else:
            live = float(u.Quantity(livetime).to_value(u.s))
        ontime = live / deadc
        events = _sample_background(irf, cells, ontime, ra_pnt, dec_pnt, rng)
        if src is not None:
            extra = _sample_source(irf, src, live, ra_pnt, dec_pnt, e_range, rng)
            events = _Events(
                *(
                    np.concatenate([getattr(events, f), getattr(extra, f)])
                    for f in ("ra", "dec", "energy", "detx", "dety", "mc_id")
                )
            )
        tstart = t0 + k * (ontime + float(u.Quantity(gap).to_value(u.s)))
        tstop = tstart + ontime
        name = f"events_{obs_id:06d}.fits" + (".gz" if compress else "")
        info: dict[str, Any] = {
            "OBS_ID": obs_id,
            "file": f"data/{name}",
            "RA_PNT": ra_pnt,
            "DEC_PNT": dec_pnt,
            "GLON_PNT": float(galactic.l.deg[k]),
            "GLAT_PNT": float(galactic.b.deg[k]),
            "ZEN_PNT": irf.zenith,
            "ALT_PNT": 90.0 - irf.zenith,
            "AZ_PNT": 0.0,
            "ONTIME": ontime,
            "LIVETIME": live,
            "DEADC": deadc,
            "TSTART": tstart,
            "TSTOP": tstop,
            "start": (reference + tstart * u.s).utc,
            "stop": (reference + tstop * u.s).utc,
            "OBJECT": obj,
            "RA_OBJ": ra_obj,
            "DEC_OBJ": dec_obj,
            "IRF": irf_path.parent.name or IRF_NAME,
            "SEED": int(seed),
        }
        path = out / info["file"]
        info["EVENT_COUNT"] = _write_run(path, events, rng, info)
        runs.append(info)
        paths.append(path)
        if progress is not None:
            progress(k + 1, n_runs)
    _write_indexes(out, runs, f"irf/{irf_copy.name}")
    return paths


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``ctanb simulate`` arguments to ``parser``."""
    parser.description = (
        "Simulate IACT runs from the CTA 1DC IRF (background from the IRF's background "
        "model, optionally a power-law point source) and write them as a GADF DL3 folder "
        "that gammapy's DataStore.from_dir reads."
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="output folder")
    parser.add_argument("--runs", type=int, required=True, metavar="N", help="number of runs")
    parser.add_argument(
        "--events-per-run",
        type=int,
        metavar="N",
        help="expected events per run; sets the livetime (overrides --livetime)",
    )
    parser.add_argument(
        "--livetime",
        type=float,
        default=30.0,
        metavar="MIN",
        help="livetime per run in minutes (default 30)",
    )
    parser.add_argument(
        "--ra",
        type=float,
        default=83.633,
        metavar="DEG",
        help="target RA in degrees, ICRS (default 83.633, the Crab)",
    )
    parser.add_argument(
        "--dec",
        type=float,
        default=22.014,
        metavar="DEG",
        help="target Dec in degrees, ICRS (default 22.014)",
    )
    parser.add_argument(
        "--wobble",
        type=float,
        default=0.5,
        metavar="DEG",
        help="pointing offset from the target, N/S/E/W in turn, in degrees (default 0.5)",
    )
    parser.add_argument(
        "--source-ra",
        type=float,
        metavar="DEG",
        help="point-source RA in degrees (default the target's; a source needs --source-flux)",
    )
    parser.add_argument(
        "--source-dec",
        type=float,
        metavar="DEG",
        help="point-source Dec in degrees (default the target's)",
    )
    parser.add_argument(
        "--source-flux",
        type=float,
        metavar="F",
        help="point-source differential flux at 1 TeV in cm-2 s-1 TeV-1 (e.g. 3.8e-11 for "
        "the Crab); no source when omitted",
    )
    parser.add_argument(
        "--source-index", type=float, default=2.5, help="power-law index (default 2.5)"
    )
    parser.add_argument(
        "--energy-range",
        nargs=2,
        type=float,
        metavar=("EMIN", "EMAX"),
        help="energy range in TeV (default 0.03 150)",
    )
    parser.add_argument("--irf", type=Path, help="GADF IRF file (default the 1DC South_z20_50h)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--first-obs-id", type=int, default=900001, help="OBS_ID of the first run (default 900001)"
    )
    parser.add_argument(
        "--compress", action="store_true", help="write .fits.gz event files (slower)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``ctanb simulate`` with parsed ``args``; return the exit code."""
    import time

    target = SkyCoord(args.ra * u.deg, args.dec * u.deg)
    source = None
    if args.source_flux is not None:
        position = SkyCoord(
            (args.source_ra if args.source_ra is not None else args.ra) * u.deg,
            (args.source_dec if args.source_dec is not None else args.dec) * u.deg,
        )
        source = PointSource(
            position, args.source_flux * u.Unit("cm-2 s-1 TeV-1"), args.source_index
        )
    elif args.source_ra is not None or args.source_dec is not None:
        raise DataError("--source-ra/--source-dec need --source-flux")
    began = time.perf_counter()
    paths = simulate_runs(
        args.out_dir,
        args.runs,
        events_per_run=args.events_per_run,
        livetime=args.livetime * u.min,
        pointing=target,
        wobble=args.wobble * u.deg,
        source=source,
        energy_range=args.energy_range * u.TeV if args.energy_range else None,
        irf_file=args.irf,
        seed=args.seed,
        first_obs_id=args.first_obs_id,
        compress=args.compress,
    )
    elapsed = time.perf_counter() - began
    print(f"{args.out_dir}: {len(paths)} runs written in {elapsed:.1f} s")
    return 0
