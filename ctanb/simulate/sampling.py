"""Drawing events: background from the IRF's background table, a point source through the IRF."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

from ctanb.simulate.irf import BackgroundCells, Response
from ctanb.simulate.numerics import (
    bilinear,
    frame_to_sky,
    power_law_integral,
    power_law_sample,
    sky_to_frame,
    stochastic_node,
)

__all__ = [
    "MC_ID_BACKGROUND",
    "MC_ID_SOURCE",
    "Events",
    "PointSource",
    "sample_background",
    "sample_source",
    "source_rate",
]

MC_ID_BACKGROUND = 1
MC_ID_SOURCE = 2


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


@dataclass
class Events:
    """Simulated events: sky and FoV positions (deg), energy (TeV), Monte Carlo identifier."""

    ra: np.ndarray
    dec: np.ndarray
    energy: np.ndarray
    detx: np.ndarray
    dety: np.ndarray
    mc_id: np.ndarray


def sample_background(
    irf: Response,
    cells: BackgroundCells,
    ontime: float,
    ra_pnt: float,
    dec_pnt: float,
    rng: np.random.Generator,
) -> Events:
    """Draw the background events of one run of ``ontime`` seconds pointed at (ra, dec)."""
    rate, slope, seg_lo, seg_hi = cells.rate, cells.slope, cells.segment_lo, cells.segment_hi
    counts = rng.poisson(rate.ravel() * ontime)
    cell = np.repeat(np.arange(counts.size), counts)
    i_seg, i_lon, i_lat = np.unravel_index(cell, rate.shape)
    energy = power_law_sample(seg_lo[i_seg], seg_hi[i_seg], slope.ravel()[cell], rng)
    lon_edges, lat_edges = cells.lon_edges, cells.lat_edges
    fov_lon = lon_edges[i_lon] + rng.random(len(cell)) * (lon_edges[i_lon + 1] - lon_edges[i_lon])
    sin_lo, sin_hi = np.sin(np.radians(lat_edges[i_lat])), np.sin(np.radians(lat_edges[i_lat + 1]))
    fov_lat = np.degrees(np.arcsin(sin_lo + rng.random(len(cell)) * (sin_hi - sin_lo)))
    ra, dec = frame_to_sky(fov_lon, fov_lat, ra_pnt, dec_pnt, reflect=True)
    return Events(ra, dec, energy, fov_lon, fov_lat, np.full(len(cell), MC_ID_BACKGROUND))


def source_grid(energy_range: tuple[float, float]) -> np.ndarray:
    """Fine true-energy edges (TeV), 40 per decade."""
    decades = np.log10(energy_range[1] / energy_range[0])
    return np.geomspace(*energy_range, max(int(np.ceil(40 * decades)), 2) + 1)


def source_rate(
    irf: Response, source: PointSource, offset: float, energy_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Expected source counts per second of livetime in fine true-energy bins, and the edges."""
    edges = source_grid(energy_range)
    index = float(source.index)
    e_ref = source.reference.to_value(u.TeV)
    norm = source.amplitude.to_value("cm-2 s-1 TeV-1")
    a, b = edges[:-1], edges[1:]
    flux, _ = power_law_integral(a, b, norm * (a / e_ref) ** -index, norm * (b / e_ref) ** -index)
    centre = np.sqrt(a * b)
    area = bilinear(
        irf.aeff_energy, irf.aeff_theta, irf.aeff, np.log(centre), np.full(len(a), offset)
    )
    return flux * np.clip(area, 0, None), edges


def _disperse(
    irf: Response, energy_true: np.ndarray, offsets: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Reco energies drawn from the MIGRA matrix at a node picked with the interpolation weights.

    Returns the energies and the mask of events with a valid migration.
    """
    n = len(energy_true)
    i_theta = stochastic_node(irf.edisp_theta, offsets, rng)
    i_energy = stochastic_node(irf.edisp_energy, np.log(energy_true), rng)
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
    return energy, irf.edisp_valid[row] & (energy > 0)


def _psf_offsets(
    irf: Response, log_e: np.ndarray, offsets: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Tangent-plane offsets (deg) from the 3-Gauss PSF, interpolated in (log E, offset)."""
    n = len(log_e)
    sigma = np.stack(
        [bilinear(irf.psf_energy, irf.psf_theta, s, log_e, offsets) for s in irf.psf_sigma]
    )
    weight = np.stack(
        [bilinear(irf.psf_energy, irf.psf_theta, w, log_e, offsets) for w in irf.psf_weight]
    )
    cumulative = np.cumsum(weight, axis=0)
    pick = (rng.random(n) * cumulative[-1] > cumulative).sum(axis=0)
    pick = np.minimum(pick, 2)
    sigma_event = np.clip(sigma[pick, np.arange(n)], 1e-4, None)
    dx = rng.normal(size=n) * sigma_event
    dy = rng.normal(size=n) * sigma_event
    return dx, dy


def sample_source(
    irf: Response,
    source: PointSource,
    livetime: float,
    ra_pnt: float,
    dec_pnt: float,
    energy_range: tuple[float, float],
    rng: np.random.Generator,
) -> Events:
    """Draw the source events of one run: true energy, dispersion, then PSF."""
    ra_src, dec_src = source.position.icrs.ra.deg, source.position.icrs.dec.deg
    offset = float(source.position.icrs.separation(SkyCoord(ra_pnt * u.deg, dec_pnt * u.deg)).deg)
    rate, edges = source_rate(irf, source, offset, energy_range)
    counts = rng.poisson(rate * livetime)
    i_bin = np.repeat(np.arange(len(counts)), counts)
    n = len(i_bin)
    energy_true = power_law_sample(
        edges[i_bin], edges[i_bin + 1], np.full(n, float(source.index)), rng
    )
    offsets = np.full(n, offset)
    energy, keep = _disperse(irf, energy_true, offsets, rng)
    dx, dy = _psf_offsets(irf, np.log(energy_true), offsets, rng)
    ra, dec = frame_to_sky(dx, dy, ra_src, dec_src, reflect=False)
    detx, dety = sky_to_frame(ra, dec, ra_pnt, dec_pnt, reflect=True)
    mc_id = np.full(n, MC_ID_SOURCE)
    return Events(ra[keep], dec[keep], energy[keep], detx[keep], dety[keep], mc_id[keep])
