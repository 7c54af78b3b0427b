"""What job types run on dask workers: analyses of files the archive resolved for the owner.

Each function takes the job's run files (path, obs_id, collection, access URL), its typed
parameters and a work folder, writes the product and its provenance (provjson, provxml,
provn, provsvg) there, and returns the results as ``(id, file name, media type)``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.coordinates import SkyCoord

from ctanb.analysis.events import RunFile
from ctanb.analysis.significance import make_significance_map
from ctanb.prov import serialize

__all__ = [
    "RUNNERS",
    "Runner",
    "run_copy",
    "run_countmap",
    "run_lightcurve",
    "run_significance",
    "run_spec",
    "run_spectrum",
]

Result = tuple[str, str, str]
Runner = Callable[[list[dict[str, Any]], dict[str, Any], Path], list[Result]]
PROVENANCE_FILES = (
    ("provjson", "json", "provenance.json", "application/json"),
    ("provxml", "xml", "provenance.xml", "text/xml"),
    ("provn", "provn", "provenance.provn", "text/plain"),
    ("provsvg", "svg", "provenance.svg", "image/svg+xml"),
)


def _runs(files: list[dict[str, Any]]) -> list[RunFile]:
    return [RunFile(Path(f["path"]), f["obs_id"], f["collection"], f["url"]) for f in files]


def _write(product: Any, workdir: Path, name: str) -> list[Result]:
    product.to_fits(workdir / name)
    results = [(name.split(".")[0], name, "application/fits")]
    for result_id, fmt, filename, mime in PROVENANCE_FILES:
        (workdir / filename).write_text(serialize(product.provenance, fmt))
        results.append((result_id, filename, mime))
    return results


def run_spec(files: list[dict[str, Any]], params: dict[str, Any], workdir: Path) -> list[Result]:
    """Run an analysis spec (``params["spec"]``) on the runs; results its product and provenance.

    A CountMapSpec makes ``countmap`` (a count map or cube), a SpectrumSpec ``spectrum``
    (ON/OFF with reflected regions), a LightCurveSpec ``lightcurve`` (ON/OFF per run, per
    night or between MJD edges); each comes with ``provjson``, ``provxml``, ``provn`` and
    ``provsvg``.
    """
    spec = params["spec"]
    return _write(spec.run(_runs(files)), workdir, f"{spec.job_type}.fits")


# the runners of earlier versions, one per analysis spec
run_countmap = run_spectrum = run_lightcurve = run_spec


def run_significance(
    files: list[dict[str, Any]], params: dict[str, Any], workdir: Path
) -> list[Result]:
    """Make excess and significance maps; results ``significance`` (FITS) and provenance."""
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


def run_copy(files: list[dict[str, Any]], params: dict[str, Any], workdir: Path) -> list[Result]:
    """Copy the event lists into the results (the prototype's test job)."""
    time.sleep(float(u.Quantity(params.get("sleep", 0), u.s).value))
    results = []
    for item in files:
        name = f"events_{item['obs_id']}.fits" + (".gz" if item["path"].endswith(".gz") else "")
        shutil.copyfile(item["path"], workdir / name)
        results.append((f"events_{item['obs_id']}", name, "application/fits"))
    return results


#: The runners by the name a job type gives (``JobType.runner``).
RUNNERS: dict[str, Runner] = {
    "spec": run_spec,
    "significance": run_significance,
    "copy": run_copy,
}
