"""What job types run on dask workers: analyses of files the archive resolved for the owner.

Each function takes the job's run files (path, obs_id, collection, access URL), its typed
parameters and a work folder, writes the product and its provenance (provjson, provxml,
provn, provsvg) there, and returns the results as ``(id, file name, media type)``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.coordinates import SkyCoord

from ctanb.analysis.events import RunFile

__all__ = ["run_copy", "run_countmap", "run_lightcurve", "run_spectrum"]

Result = tuple[str, str, str]
PROVENANCE_FILES = (
    ("provjson", "json", "provenance.json", "application/json"),
    ("provxml", "xml", "provenance.xml", "text/xml"),
    ("provn", "provn", "provenance.provn", "text/plain"),
    ("provsvg", "svg", "provenance.svg", "image/svg+xml"),
)


def _runs(files: list[dict[str, Any]]) -> list[RunFile]:
    return [RunFile(Path(f["path"]), f["obs_id"], f["collection"], f["url"]) for f in files]


def _write(product: Any, workdir: Path, name: str) -> list[Result]:
    from ctanb.prov import serialize

    product.to_fits(workdir / name)
    results = [(name.split(".")[0], name, "application/fits")]
    for result_id, fmt, filename, mime in PROVENANCE_FILES:
        (workdir / filename).write_text(serialize(product.provenance, fmt))
        results.append((result_id, filename, mime))
    return results


def _on_region(params: dict[str, Any]) -> Any:
    if params.get("on_ra") is None or params.get("on_dec") is None:
        return None
    from regions import CircleSkyRegion

    centre = SkyCoord(params["on_ra"] * u.deg, params["on_dec"] * u.deg)
    return CircleSkyRegion(centre, params["on_radius"] * u.deg)


def run_countmap(
    files: list[dict[str, Any]], params: dict[str, Any], workdir: Path
) -> list[Result]:
    """Make a count map or cube; results ``countmap`` (FITS) and the provenance."""
    from ctanb.analysis import make_count_map

    skydir = None
    if params.get("ra") is not None and params.get("dec") is not None:
        skydir = SkyCoord(params["ra"] * u.deg, params["dec"] * u.deg, frame=params["frame"])
    edges = params.get("energy_edges")
    product = make_count_map(
        _runs(files),
        skydir=skydir,
        frame=params["frame"],
        width=params["width"] * u.deg,
        binsz=params["binsz"] * u.deg,
        proj=params["proj"],
        energy_edges=None if edges is None else edges * u.TeV,
    )
    return _write(product, workdir, "countmap.fits")


def run_spectrum(
    files: list[dict[str, Any]], params: dict[str, Any], workdir: Path
) -> list[Result]:
    """Extract an ON/OFF spectrum; results ``spectrum`` (FITS) and the provenance."""
    from ctanb.analysis import extract_spectrum

    product = extract_spectrum(
        _runs(files), on_region=_on_region(params), energy_edges=params["energy_edges"] * u.TeV
    )
    return _write(product, workdir, "spectrum.fits")


def run_lightcurve(
    files: list[dict[str, Any]], params: dict[str, Any], workdir: Path
) -> list[Result]:
    """Make an ON/OFF light curve; results ``lightcurve`` (FITS) and the provenance."""
    from ctanb.analysis import make_light_curve

    product = make_light_curve(
        _runs(files),
        on_region=_on_region(params),
        energy_range=(params["e_min"] * u.TeV, params["e_max"] * u.TeV),
        time_bins=params["time_bins"],
    )
    return _write(product, workdir, "lightcurve.fits")


def run_copy(files: list[dict[str, Any]], params: dict[str, Any], workdir: Path) -> list[Result]:
    """Copy the event lists into the results (the prototype's test job)."""
    time.sleep(params.get("sleep", 0))
    results = []
    for item in files:
        name = f"events_{item['obs_id']}.fits" + (".gz" if item["path"].endswith(".gz") else "")
        shutil.copyfile(item["path"], workdir / name)
        results.append((f"events_{item['obs_id']}", name, "application/fits"))
    return results
