"""Expectations computed from the data files themselves, shared by several test folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

CRAB_QUERY = (
    "SELECT * FROM cta.vo_obscore as o WHERE 1 = intersects(o.s_region, "
    "circle('ICRS', 83.63308333, 22.0145, 0.001))"
)


def hess_fov_radius(data_dir: Path) -> float:
    """Largest offset of the H.E.S.S. IRFs (deg), read from one run's AEFF."""
    path = next((data_dir / "hess-dl3-dr1" / "data").glob("*.fits.gz"))
    return float(np.max(fits.getdata(path, "AEFF")["THETA_HI"]))


def expected_crab_runs(data_dir: Path) -> list[str]:
    """obs_ids whose field of view (IRF offset range) contains the Crab position."""
    index = Table.read(data_dir / "hess-dl3-dr1" / "obs-index.fits.gz")
    pointing = SkyCoord(index["RA_PNT"], index["DEC_PNT"], unit="deg")
    crab = SkyCoord(83.63308333, 22.0145, unit="deg")
    inside = pointing.separation(crab).deg < hess_fov_radius(data_dir) + 0.001
    return sorted(str(o) for o in index["OBS_ID"][inside])
