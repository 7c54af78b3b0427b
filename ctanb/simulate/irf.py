"""Reading a GADF full-enclosure IRF file into plain arrays (TeV, deg, cm2) for sampling."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits

from ctanb.config import get_settings
from ctanb.errors import DataError
from ctanb.simulate.numerics import centres, power_law_integral

__all__ = ["IRF_NAME", "BackgroundCells", "Response", "default_irf_file"]

IRF_NAME = "South_z20_50h"
_TINY = float(np.finfo(np.float32).tiny)  # gammapy's floor for log interpolation


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


def _log_energy(hdu: Any, lo: str, hi: str) -> np.ndarray:
    """Natural log of the geometric bin centres in TeV."""
    energy = centres(_column(hdu, lo), _column(hdu, hi), log=True)
    return np.log(energy * _unit(hdu, lo, "TeV").to(u.TeV))


def _theta(hdu: Any) -> np.ndarray:
    return centres(_column(hdu, "THETA_LO"), _column(hdu, "THETA_HI"))


def _read_aeff(hdu: Any) -> dict[str, Any]:
    zenith = 20.0
    for value in hdu.header.values():
        if isinstance(value, str) and value.startswith("ZENITH("):
            zenith = float(value[7:].split(")")[0])
    return {
        "zenith": zenith,
        "aeff_energy": _log_energy(hdu, "ENERG_LO", "ENERG_HI"),
        "aeff_theta": _theta(hdu),
        "aeff": _column(hdu, "EFFAREA") * _unit(hdu, "EFFAREA", "m2").to(u.cm**2),
    }


def _read_edisp(hdu: Any) -> dict[str, Any]:
    matrix = _column(hdu, "MATRIX")  # (theta, migra, energy)
    migra_lo, migra_hi = _column(hdu, "MIGRA_LO"), _column(hdu, "MIGRA_HI")
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
    return {
        "edisp_energy": _log_energy(hdu, "ETRUE_LO", "ETRUE_HI"),
        "edisp_theta": _theta(hdu),
        "migra_lo": migra_lo,
        "migra_hi": migra_hi,
        "edisp_cdf": cdf.ravel(),
        "edisp_valid": valid,
    }


def _read_psf(path: Path, hdu: Any) -> dict[str, Any]:
    if "SIGMA_1" not in hdu.columns.names:
        raise DataError(f"{path}: only 3-Gauss PSFs (psf_3gauss) are supported")
    sigma = np.stack([_column(hdu, f"SIGMA_{i}") for i in (1, 2, 3)])
    ampl = np.stack([np.ones_like(sigma[0]), _column(hdu, "AMPL_2"), _column(hdu, "AMPL_3")])
    return {
        "psf_energy": _log_energy(hdu, "ENERG_LO", "ENERG_HI"),
        "psf_theta": _theta(hdu),
        "psf_sigma": sigma,
        "psf_weight": np.clip(ampl, 0, None) * sigma**2,
    }


def _read_background(hdu: Any) -> dict[str, Any]:
    data_name = "BKG" if "BKG" in hdu.columns.names else "BGD"
    rate_unit = _unit(hdu, data_name, "s-1 MeV-1 sr-1")
    if not rate_unit.is_equivalent("s-1 MeV-1 sr-1"):
        rate_unit = u.Unit("s-1 MeV-1 sr-1")
    e_unit = _unit(hdu, "ENERG_LO", "TeV").to(u.TeV)
    e_lo, e_hi = _column(hdu, "ENERG_LO") * e_unit, _column(hdu, "ENERG_HI") * e_unit
    return {
        "bkg_energy_nodes": np.sqrt(e_lo * e_hi),
        "bkg_energy_range": (float(e_lo[0]), float(e_hi[-1])),
        "bkg_lon_edges": np.append(_column(hdu, "DETX_LO"), _column(hdu, "DETX_HI")[-1]),
        "bkg_lat_edges": np.append(_column(hdu, "DETY_LO"), _column(hdu, "DETY_HI")[-1]),
        # axes as gammapy's Background3D reads them: (energy, fov_lon=DETX, fov_lat=DETY)
        "bkg_rate": _column(hdu, data_name) * rate_unit.to("s-1 TeV-1 sr-1"),
    }


def _split_cells(
    bin_edges: np.ndarray, oversample: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fine edges, lower and upper node index and (extrapolating) weight of each fine cell."""
    step = np.arange(oversample) / oversample
    fine = np.append(
        (bin_edges[:-1, None] + step[None, :] * np.diff(bin_edges)[:, None]).ravel(),
        bin_edges[-1],
    )
    cell_centres = 0.5 * (fine[:-1] + fine[1:])
    node = centres(bin_edges[:-1], bin_edges[1:])
    i1 = np.clip(np.searchsorted(node, cell_centres), 1, len(bin_edges) - 2)
    weight = (cell_centres - node[i1 - 1]) / (node[i1] - node[i1 - 1])  # extrapolates
    return fine, i1 - 1, i1, weight


@dataclass
class BackgroundCells:
    """Background counts per second of ontime per (energy segment, lon, lat) cell."""

    rate: np.ndarray
    slope: np.ndarray
    segment_lo: np.ndarray  # TeV
    segment_hi: np.ndarray
    lon_edges: np.ndarray  # deg, FoV (DETX)
    lat_edges: np.ndarray  # deg, FoV (DETY)


@dataclass
class Response:
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
    def read(cls, path: Path) -> Response:
        """Read the IRF file at ``path``; a clear ``DataError`` if it is not one."""
        try:
            with fits.open(path, memmap=False) as hdul:
                return cls(
                    path=path,
                    **_read_aeff(hdul["EFFECTIVE AREA"]),
                    **_read_edisp(hdul["ENERGY DISPERSION"]),
                    **_read_psf(path, hdul["POINT SPREAD FUNCTION"]),
                    **_read_background(hdul["BACKGROUND"]),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(
                f"{path}: not a GADF full-enclosure IRF with EFFECTIVE AREA, ENERGY DISPERSION, "
                f"POINT SPREAD FUNCTION (3-Gauss) and BACKGROUND (3D) ({exc})"
            ) from exc

    def background_cells(
        self, energy_range: tuple[float, float], oversample: int = 3
    ) -> BackgroundCells:
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
        lon_edges, x0, x1, wx = _split_cells(self.bkg_lon_edges, oversample)
        lat_edges, y0, y1, wy = _split_cells(self.bkg_lat_edges, oversample)
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
        integral, slope = power_law_integral(a[:, None, None], b[:, None, None], at(a), at(b))
        lon, lat = np.radians(lon_edges), np.radians(lat_edges)
        solid_angle = np.diff(lon)[:, None] * np.diff(np.sin(lat))[None, :]
        return BackgroundCells(integral * solid_angle[None], slope, a, b, lon_edges, lat_edges)
