"""The UWS ``significance`` job: ring-background significance maps on a dask worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.coordinates import SkyCoord

__all__ = ["run_significance"]


def run_significance(
    files: list[dict[str, Any]], params: dict[str, Any], workdir: Path
) -> list[tuple[str, str, str]]:
    """Make excess and significance maps; results ``significance`` (FITS) and provenance."""
    from ctanb.analysis.significance import make_significance_map
    from ctanb.services.uws.work import _runs, _write

    skydir = None
    if params.get("ra") is not None and params.get("dec") is not None:
        skydir = SkyCoord(
            u.Quantity(params["ra"], u.deg), u.Quantity(params["dec"], u.deg), frame=params["frame"]
        )
    methods = params.get("safe_mask") or "none"
    product = make_significance_map(
        _runs(files),
        skydir=skydir,
        frame=params["frame"],
        width=u.Quantity(params["width"], u.deg),
        binsz=u.Quantity(params["binsz"], u.deg),
        energy_range=(u.Quantity(params["e_min"], u.TeV), u.Quantity(params["e_max"], u.TeV)),
        r_in=u.Quantity(params["r_in"], u.deg),
        ring_width=u.Quantity(params["ring_width"], u.deg),
        correlation_radius=u.Quantity(params["correlation_radius"], u.deg),
        offset_max=u.Quantity(params["offset_max"], u.deg),
        exclusion=None if params["exclusion"] == "none" else "catalogs",
        safe_mask=None if methods == "none" else methods.split(","),
    )
    return _write(product, workdir, "significance.fits")
