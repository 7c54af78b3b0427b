"""What a DL3 file covers on the sky and in energy: its DSS keywords, else its IRF.

The field of view comes from the ``DSTYPn = POS(RA,DEC)`` data-subspace keyword (a
``CIRCLE``), else the largest offset of the effective area; the safe energy range from
``SAFE_ENERGY_LO/HI``, else the ``ENERGY`` data subspace, else the effective area's range.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits

from ctanb.gadf import Keywords

__all__ = ["DEFAULT_FOV_RADIUS", "aeff_energy_range", "fov_radius", "safe_energy_range"]

DEFAULT_FOV_RADIUS = 2.5 * u.deg


def _subspaces(header: fits.Header) -> list[tuple[str, str, str]]:
    """The header's data-subspace keywords: (DSTYPn, DSVALn, DSUNIn) for each n."""
    return [
        (
            str(header.get(f"DSTYP{i}", "")),
            str(header.get(f"DSVAL{i}", "")),
            str(header.get(f"DSUNI{i}", "TeV")),
        )
        for i in range(1, int(header.get("NDSKEYS", 0)) + 1)
    ]


def fov_radius(header: fits.Header, hdul: fits.HDUList, irf_path: Path | None) -> float:
    """The radius of the field of view (deg): from the DSS keywords, the IRF, or 2.5."""
    for kind, value, _ in _subspaces(header):
        if kind.startswith("POS"):
            match = re.search(r"CIRCLE\(([^)]*)\)", value)
            if match:
                return float(match.group(1).split(",")[-1])
    for source in (hdul, irf_path):
        theta = _aeff_column(source, "THETA_HI")
        if theta is not None:
            return float(np.max(theta))
    return float(DEFAULT_FOV_RADIUS.to_value(u.deg))


def _aeff_column(source: fits.HDUList | Path | None, column: str) -> np.ndarray | None:
    if source is None:
        return None
    if isinstance(source, Path):
        try:
            with fits.open(source, memmap=False) as hdul:
                return _aeff_column(hdul, column)
        except OSError:
            return None
    for hdu in source[1:]:
        is_aeff = str(hdu.header.get("HDUCLAS2", "")).upper() == "EFF_AREA" or hdu.name in (
            "AEFF",
            "EFFECTIVE AREA",
        )
        if is_aeff and column in hdu.columns.names:
            unit = u.Unit(hdu.columns[column].unit or "")
            target = u.deg if column.startswith("THETA") else u.TeV
            return (np.asarray(hdu.data[column], dtype=float) * unit).to_value(target)
    return None


def aeff_energy_range(hdul: fits.HDUList, irf_path: Path | None) -> tuple[float, float] | None:
    """The effective area's true-energy range (TeV), from the file or its IRF file."""
    for source in (hdul, irf_path):
        lo, hi = _aeff_column(source, "ENERG_LO"), _aeff_column(source, "ENERG_HI")
        if lo is not None and hi is not None:
            return float(np.min(lo)), float(np.max(hi))
    return None


def safe_energy_range(
    keys: Keywords, header: fits.Header, aeff_range: tuple[float, float] | None
) -> tuple[Any, Any]:
    """The run's safe energy range (TeV), or (None, None) when nothing says it."""
    lo, hi = keys.get("SAFE_ENERGY_LO"), keys.get("SAFE_ENERGY_HI")
    if lo is not None and hi is not None:
        return float(lo), float(hi)
    for kind, value, unit in _subspaces(header):
        if kind.upper() == "ENERGY":
            parts = value.split(":")
            if len(parts) == 2:
                return tuple((float(p) * u.Unit(unit)).to_value(u.TeV) for p in parts)
    return aeff_range or (None, None)
