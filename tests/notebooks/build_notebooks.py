"""Write the tutorial notebooks of ``notebooks/`` (outputs stripped) from the cells below.

Run ``python tests/notebooks/build_notebooks.py`` after editing a cell here; a test checks
that the notebooks in the repository are exactly what this file writes. Each notebook reads
the archive from ``CTANB_SERVICE_URL`` (what every ctanb client uses by default) and ends
with an assertion cell that checks real numbers against a reference computed independently
(from the FITS files of ``CTANB_DATA``, gammapy, or a second path through ctanb).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "notebooks"

SETUP = """\
import os

from ctanb.config import get_settings

settings = get_settings()  # CTANB_SERVICE_URL, CTANB_DATA, CTANB_TOKEN ...
print("archive service:", settings.service_url)
print("data folder (for the independent checks):", settings.data_dir)"""

HESS_HELPERS = """\
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

HESS = settings.data_dir / "hess-dl3-dr1"
obs_index = Table.read(HESS / "obs-index.fits.gz")
hdu_index = Table.read(HESS / "hdu-index.fits.gz")


def hess_file(obs_id):
    \"\"\"The event-list file of one H.E.S.S. run, found through hdu-index (no ctanb code).\"\"\"
    row = hdu_index[(hdu_index["OBS_ID"] == int(obs_id)) & (hdu_index["HDU_TYPE"] == "events")][0]
    return HESS / row["FILE_DIR"].strip() / row["FILE_NAME"].strip()"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}

# ----------------------------------------------------------------------------- 01 search
NOTEBOOKS["01_search.ipynb"] = [
    (
        "markdown",
        """\
# 1. Search the archive

The ctanb archive is an IVOA TAP service whose `ivoa.obscore` table has one row per DL3
event list, with the CTA extensions (`site`, `pointing_mode`, `applied_cuts`, ...). This
notebook searches it twice, side by side: with the Python API (`ctanb.search`) and with the
notebook widgets (`ctanb.widgets`), which call the very same functions.

The archive is the one named by `CTANB_SERVICE_URL`.""",
    ),
    ("code", SETUP),
    (
        "markdown",
        """\
## Names are resolved offline

`resolve` looks in the archive's own targets, then gamma-cat and the HGPS catalogue (local
files), and only then asks CDS Sesame if it answers.""",
    ),
    (
        "code",
        """\
import astropy.units as u

from ctanb.search import cone_search, obscore_search, resolve

crab_position = resolve("Crab")
crab_position""",
    ),
    (
        "markdown",
        """\
## Cone search

Observations whose field of view (`s_region`) intersects a 0.1° circle on the Crab. The
query that was sent is kept in `meta["adql"]`: paste it into TOPCAT to get the same rows.""",
    ),
    (
        "code",
        """\
crab = cone_search("Crab", 0.1 * u.deg)
print(crab.meta["adql"])
crab["obs_id", "target_name", "s_ra", "s_dec", "t_exptime", "energy_min", "data_rights"]""",
    ),
    (
        "markdown",
        """\
## ObsCore search

Typed constraints; energies in any unit, dates as astropy `Time`. Runs with at least one
event above 50 TeV:""",
    ),
    (
        "code",
        """\
hard = obscore_search(events_above=50 * u.TeV, data_rights="public")
print(hard.meta["adql"])
hard["obs_id", "target_name", "instrument_name"]""",
    ),
    (
        "markdown",
        """\
## ObsConfig and Provenance fields

The CTA extension columns are searchable like any other: the array configuration
(`site`, `sub_array_name`, `n_tels`, `pointing_mode`, `zenith_angle`, ...) and how the data
were made (`calib_version`, `reco_method`, `applied_cuts`, `data_quality`, ...). A value is
an equality, a list is "any of", a tuple is a range (`None` for an open end).""",
    ),
    (
        "code",
        """\
obsconfig = obscore_search(n_tels=4, zenith_angle=(None, 30 * u.deg), obs_mode="wobble")
print(obsconfig.meta["adql"])
print(len(obsconfig), "four-telescope wobble runs below 30 deg zenith angle")""",
    ),
    (
        "code",
        """\
provenance_fields = obscore_search(applied_cuts="std", data_quality="good", reco_method="Hillas")
print(provenance_fields.meta["adql"])
print(len(provenance_fields), "runs reconstructed with Hillas parameters and standard cuts")""",
    ),
    (
        "markdown",
        """\
## The same searches with the widgets

`ConeSearch` and `ObsCoreSearch` are forms around the functions above; `Explorer` puts them
together with a results table, a sky view and actions. Here the forms are filled from code
(as a user would type) and submitted, so this notebook also runs unattended.""",
    ),
    (
        "code",
        """\
from ctanb.widgets import ConeSearch, Explorer, ObsCoreSearch, ResultsTable

cone_form = ConeSearch()
cone_form.target.value = "Crab"
cone_form.radius.value = 0.1
widget_crab = cone_form.submit()
cone_form""",
    ),
    (
        "code",
        """\
obscore_form = ObsCoreSearch()
obscore_form.inputs["applied_cuts"].value = "std"
obscore_form.inputs["data_quality"].value = "good"
obscore_form.inputs["reco_method"].value = "Hillas"
widget_provenance = obscore_form.submit()
obscore_form""",
    ),
    ("code", "ResultsTable(crab)"),
    (
        "code",
        """\
explorer = Explorer()
explorer.show(crab)
explorer""",
    ),
    (
        "markdown",
        """\
The Explorer is also a workbench: selecting rows fills the analysis forms (the map centred
on the target, wide enough for the selected fields of view); a count map with a chosen pixel
size and energy range runs here or on the service ("Run on the service", followed in the
Jobs tab); every search and analysis is recorded in the History tab as ctanb Python, which
exports as a notebook that makes the same products again.""",
    ),
    (
        "code",
        """\
explorer.search.target.value = "Crab"
explorer.search.radius.value = 0.1
explorer.search.submit()
explorer.table.select(obs_id=[str(o) for o in explorer.results["obs_id"][:2]])
form = explorer.actions.forms["count_map"]
form.fields["binsz"].value = "0.05"
form.fields["energy_edges"].value = "0.5, 5, 100"
workbench_map = explorer.actions.run("count_map", where="here")
print(form.spec.to_python())
print(explorer.history.to_script())""",
    ),
    (
        "markdown",
        """\
## Checks

The reference is computed from the H.E.S.S. files themselves, without ctanb: a run sees the
Crab when the Crab lies within the largest offset of its IRFs, and the ObsConfig search is
redone on the columns of `obs-index.fits.gz`.""",
    ),
    ("code", HESS_HELPERS),
    (
        "code",
        """\
aeff = fits.getdata(hess_file(obs_index["OBS_ID"][0]), "AEFF")
fov_radius = float(aeff["THETA_HI"].max())  # the largest offset of the IRFs (deg)
pointings = SkyCoord(obs_index["RA_PNT"], obs_index["DEC_PNT"], unit="deg")
sees_crab = pointings.separation(crab_position.coord).deg < fov_radius + 0.1
expected_crab = sorted(str(o) for o in obs_index["OBS_ID"][sees_crab])
expected_obsconfig = int(np.sum((obs_index["N_TELS"] == 4) & (obs_index["ZEN_PNT"] <= 30)))
print("Crab runs expected:", expected_crab)
print("ObsConfig search expected:", expected_obsconfig, "of", len(obs_index))""",
    ),
    (
        "code",
        """\
assert sorted(str(o) for o in crab["obs_id"]) == expected_crab, crab["obs_id"]
assert len(expected_crab) >= 4
assert sorted(widget_crab["obs_id"]) == sorted(crab["obs_id"])
assert len(obsconfig) == expected_obsconfig > 0
assert len(provenance_fields) == len(obs_index)  # every public H.E.S.S. run: std cuts, Hillas
assert sorted(widget_provenance["obs_id"]) == sorted(provenance_fields["obs_id"])
assert len(hard) > 0 and all(float(e) >= 50 for e in obscore_search(
    events_above=50 * u.TeV, columns=["obs_id", "event_energy_max"])["event_energy_max"])
assert len(explorer.table.table) == len(crab)
assert workbench_map.value.map.geom.data_shape[0] == 2  # two energy bins
assert [step.kind for step in explorer.history.steps] == ["search", "analysis"]
print("search: all checks passed")""",
    ),
]

# ----------------------------------------------------------------------------- 02 count maps
NOTEBOOKS["02_count_maps.ipynb"] = [
    (
        "markdown",
        """\
# 2. Count maps and the sky view

`make_count_map` bins the events of any runs (obs_ids from the archive, files or GADF
folders) into a gammapy `Map`: a 2D image, or a cube with `energy_edges`. The runs are
downloaded from the archive once and cached. Only events inside each run's good time
intervals (GTIs) are counted; `bad_time_intervals=` leaves out more, and `safe_mask=`
applies gammapy's safe-range methods (`aeff-max`, `edisp-bias`, `offset-max`) per run.""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
import astropy.units as u
from bokeh.io import output_notebook, show

from ctanb.analysis import make_count_map
from ctanb.search import cone_search

output_notebook(hide_banner=True)
crab = cone_search("Crab", 0.1 * u.deg)
sorted(crab["obs_id"])""",
    ),
    (
        "code",
        """\
cube = make_count_map(crab["obs_id"], energy_edges=[0.5, 1, 10, 100] * u.TeV)
print(cube.map.geom)
print("total counts:", cube.total)""",
    ),
    (
        "markdown",
        """\
`plot()` gives a bokeh figure (summed over energy, or one energy bin); `to_gammapy()` hands
the counts to gammapy and `to_fits()` writes a file that `gammapy.maps.Map.read` reads, with
the provenance inside.""",
    ),
    ("code", "show(cube.plot())"),
    ("code", "show(cube.plot(energy_index=1))"),
    (
        "code",
        """\
import tempfile
from pathlib import Path

from gammapy.maps import Map

path = cube.to_fits(Path(tempfile.mkdtemp()) / "crab_counts.fits")
reread = Map.read(path, hdu="COUNTS")
reread""",
    ),
    (
        "markdown",
        """\
## The sky view

`SkyView` is Aladin Lite (served by the Jupyter server, no CDN) with one circle per
footprint; the count map can be overlaid.""",
    ),
    (
        "code",
        """\
from ctanb.widgets import SkyView

sky = SkyView(crab)
sky.add_count_map(cube.map.sum_over_axes(keepdims=False))
sky""",
    ),
    (
        "markdown",
        """\
## Significance map

`make_significance_map` estimates the background with a ring around each pixel (gammapy's
`RingBackgroundMaker` method), leaving out the known sources of gamma-cat and the H.E.S.S.
Galactic Plane Survey (the exclusion mask, drawn in white), and computes the Li & Ma
significance in a 0.1° disc (as gammapy's `ExcessMapEstimator`), with FFT correlations.""",
    ),
    (
        "code",
        """\
from astropy.coordinates import SkyCoord

from ctanb.analysis import make_significance_map

significance = make_significance_map(
    crab["obs_id"], skydir=SkyCoord(83.633, 22.014, unit="deg"), width=3 * u.deg, binsz=0.04 * u.deg
)
peak, where = significance.peak()
print(f"Crab: peak significance {peak:.1f} sigma at RA {where.ra.deg:.3f}, Dec {where.dec.deg:.3f}")
show(significance.plot())""",
    ),
    (
        "markdown",
        """\
## Checks

The total is recounted from the H.E.S.S. FITS files with astropy only: the events inside
the run's GTIs whose sky position falls in the map's pixels and whose energy is inside the
energy edges. The peak significance is recomputed with Li & Ma's formula (eq. 17) from the
ON and OFF counts and alpha of that pixel.""",
    ),
    ("code", HESS_HELPERS),
    (
        "code",
        """\
wcs = cube.map.geom.wcs
ny, nx = cube.map.data.shape[1:]
independent = 0
for obs_id in crab["obs_id"]:
    events = fits.getdata(hess_file(obs_id), "EVENTS")
    gti = fits.getdata(hess_file(obs_id), "GTI")
    good = np.zeros(len(events), dtype=bool)
    for start, stop in zip(gti["START"], gti["STOP"]):
        good |= (events["TIME"] >= start) & (events["TIME"] < stop)
    x, y = wcs.world_to_pixel(SkyCoord(events["RA"], events["DEC"], unit="deg"))
    inside = (x >= -0.5) & (x < nx - 0.5) & (y >= -0.5) & (y < ny - 0.5)
    in_energy = (events["ENERGY"] >= 0.5) & (events["ENERGY"] < 100)
    independent += int(np.sum(good & inside & in_energy))
print("ctanb:", cube.total, " recounted from the files:", independent)""",
    ),
    (
        "code",
        """\
image = significance.maps
iy, ix = np.unravel_index(np.nanargmax(image["sqrt_ts"].data), image["sqrt_ts"].data.shape)
n_on, n_off = image["counts"].data[iy, ix], image["n_off"].data[iy, ix]
alpha = image["alpha"].data[iy, ix]
li_ma = np.sqrt(2) * np.sqrt(
    n_on * np.log((1 + alpha) / alpha * n_on / (n_on + n_off))
    + n_off * np.log((1 + alpha) * n_off / (n_on + n_off))
)
print(f"peak {peak:.3f} sigma; Li & Ma from its counts: {li_ma:.3f} sigma")""",
    ),
    (
        "code",
        """\
assert cube.total == independent > 1000
assert abs(li_ma - peak) < 1e-6 * peak and peak > 20
assert where.separation(SkyCoord(83.633, 22.014, unit="deg")) < 0.1 * u.deg
assert not image["exclusion"].data.all()  # the Crab itself is excluded from the ring
assert int(reread.data.sum()) == cube.total
assert len(sky._footprints) == len(crab)
assert sorted(str(f.obs_id) for f in cube.record.inputs) == sorted(str(o) for o in crab["obs_id"])
print("count maps: all checks passed")""",
    ),
]

# ----------------------------------------------------------------------------- 03 spectrum
NOTEBOOKS["03_spectrum.ipynb"] = [
    (
        "markdown",
        """\
# 3. Spectrum of the Crab

`extract_spectrum` counts the events in an ON region (by default a 0.11° circle on the
target) and in reflected OFF regions, per energy bin, stacked over the runs, with Li & Ma
significances. `to_gammapy()` builds the matching gammapy `SpectrumDatasetOnOff` with the
IRFs, for a forward-folded fit.""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
import astropy.units as u
import numpy as np
from bokeh.io import output_notebook, show

from ctanb.analysis import extract_spectrum
from ctanb.search import cone_search

output_notebook(hide_banner=True)
crab = cone_search("Crab", 0.1 * u.deg)
spectrum = extract_spectrum(crab["obs_id"], energy_edges=np.geomspace(0.5, 100, 16) * u.TeV)
spectrum.to_table()""",
    ),
    (
        "code",
        """\
print(f"excess {spectrum.excess.sum():.0f} counts; ON {spectrum.n_on.sum():.0f}, "
      f"OFF {spectrum.n_off.sum():.0f}")
show(spectrum.plot())""",
    ),
    (
        "markdown",
        """\
## Forward-folded fit with gammapy

A power law, fitted with WStat between 0.7 and 30 TeV.""",
    ),
    (
        "code",
        """\
from gammapy.modeling import Fit
from gammapy.modeling.models import PowerLawSpectralModel, SkyModel

dataset = spectrum.to_gammapy()
power_law = PowerLawSpectralModel(
    index=2, amplitude="1e-12 cm-2 s-1 TeV-1", reference=1 * u.TeV
)
dataset.models = [SkyModel(spectral_model=power_law, name="crab")]
dataset.mask_fit = dataset.counts.geom.energy_mask(energy_min=0.7 * u.TeV, energy_max=30 * u.TeV)
result = Fit().run([dataset])
print(result)
power_law.parameters.to_table()""",
    ),
    (
        "markdown",
        """\
## Flux points (SED)""",
    ),
    (
        "code",
        """\
from bokeh.models import Whisker
from bokeh.plotting import ColumnDataSource, figure
from gammapy.estimators import FluxPointsEstimator

estimator = FluxPointsEstimator(
    energy_edges=np.geomspace(0.7, 30, 7) * u.TeV, source="crab", selection_optional=[]
)
flux_points = estimator.run([dataset])
sed = flux_points.to_table(sed_type="e2dnde", formatted=False)
points = ColumnDataSource(
    {
        "e": sed["e_ref"].quantity.to_value("TeV"),
        "f": sed["e2dnde"].quantity.to_value("erg cm-2 s-1"),
        "lo": (sed["e2dnde"] - sed["e2dnde_err"]).quantity.to_value("erg cm-2 s-1"),
        "hi": (sed["e2dnde"] + sed["e2dnde_err"]).quantity.to_value("erg cm-2 s-1"),
    }
)
energies = np.geomspace(0.7, 30, 50) * u.TeV
model_e2dnde = (energies**2 * power_law(energies)).to_value("erg cm-2 s-1")
sed_plot = figure(
    x_axis_type="log", y_axis_type="log", title="Crab SED (H.E.S.S. DL3 DR1)",
    x_axis_label="energy (TeV)", y_axis_label="E² dN/dE (erg cm⁻² s⁻¹)",
)
sed_plot.line(energies.to_value("TeV"), model_e2dnde, legend_label="power law")
sed_plot.scatter("e", "f", source=points, size=7, color="black", legend_label="flux points")
sed_plot.add_layout(Whisker(source=points, base="e", lower="lo", upper="hi"))
show(sed_plot)""",
    ),
    (
        "markdown",
        """\
## Checks

gammapy's own makers, run by `to_gammapy()` on the same runs, must find the same ON and OFF
counts as ctanb, run by run, in every bin above the IRFs' safe energy threshold (the bins it
fits); the Crab must be detected and its fitted index be the familiar one
(about 2.6 for H.E.S.S. above 1 TeV).""",
    ),
    (
        "code",
        """\
index = power_law.index.value
print(f"index {index:.3f} ± {power_law.index.error:.3f}; excess {spectrum.excess.sum():.0f}; "
      f"significance {float(np.sqrt(np.sum(np.clip(spectrum.significance, 0, None) ** 2))):.1f}")
for i, run in enumerate(spectrum.to_gammapy(stack=False)):  # run by run, in its safe bins
    safe = run.mask_safe.data.ravel()
    assert safe.sum() >= len(safe) // 2  # most bins are above the threshold
    assert np.array_equal(run.counts.data.ravel()[safe], spectrum.per_run_on[i][safe])
    assert np.array_equal(run.counts_off.data.ravel()[safe], spectrum.per_run_off[i][safe])
assert spectrum.excess.sum() > 300
assert spectrum.significance.max() > 10
assert result.success
assert 2.3 < index < 2.9, index
assert np.all(sed["ts"][:3] > 25)
print("spectrum: all checks passed")""",
    ),
]

# ----------------------------------------------------------------------------- 04 light curves
NOTEBOOKS["04_light_curves.ipynb"] = [
    (
        "markdown",
        """\
# 4. Light curves

`make_light_curve` counts ON and OFF events (reflected regions) in time bins: one per run,
one per night, or any bin edges given as astropy `Time`.""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
import astropy.units as u
import numpy as np
from astropy.time import Time
from bokeh.io import output_notebook, show

from ctanb.analysis import make_light_curve
from ctanb.search import cone_search

output_notebook(hide_banner=True)
crab = cone_search("Crab", 0.1 * u.deg)
per_run = make_light_curve(crab["obs_id"], energy_range=(1 * u.TeV, 100 * u.TeV))
per_run.to_table()""",
    ),
    ("code", "show(per_run.plot())"),
    (
        "code",
        """\
per_night = make_light_curve(
    crab["obs_id"], energy_range=(1 * u.TeV, 100 * u.TeV), time_bins="night"
)
per_night.to_table()""",
    ),
    (
        "markdown",
        """\
Any bin edges: here two bins that split the observations in the middle.""",
    ),
    (
        "code",
        """\
start, stop = float(np.min(crab["t_min"])), float(np.max(crab["t_max"]))
edges = Time([start, (start + stop) / 2, stop + 1e-3], format="mjd", scale="tt")
two_bins = make_light_curve(crab["obs_id"], energy_range=(1 * u.TeV, 100 * u.TeV), time_bins=edges)
show(two_bins.plot())
two_bins.to_table()""",
    ),
    (
        "markdown",
        """\
## Checks

The ON counts per run are recounted from the H.E.S.S. files with astropy: events above
1 TeV within the ON circle (`on_region` of the light curve), inside the run's GTIs. The
night bins and the two free bins must hold the same events, regrouped.""",
    ),
    ("code", HESS_HELPERS),
    (
        "code",
        """\
region = per_run.record.parameters["on_region"]
recount = {}
for obs_id in crab["obs_id"]:
    events = fits.getdata(hess_file(obs_id), "EVENTS")
    gti = fits.getdata(hess_file(obs_id), "GTI")  # only events in the good time count
    good = np.zeros(len(events), dtype=bool)
    for start, stop in zip(gti["START"], gti["STOP"]):
        good |= (events["TIME"] >= start) & (events["TIME"] < stop)
    positions = SkyCoord(events["RA"], events["DEC"], unit="deg")
    on = (positions.separation(region.center) < region.radius) & (events["ENERGY"] >= 1) & (
        events["ENERGY"] < 100
    )
    recount[str(obs_id)] = int(np.sum(on & good))
table = per_run.to_table()
nights = {int(np.floor(t - 0.5)) for t in crab["t_min"]}
print("recounted ON per run:", recount)
print("nights:", sorted(nights))""",
    ),
    (
        "code",
        """\
assert len(table) == len(crab)
assert sorted(int(n) for n in table["n_on"]) == sorted(recount.values())
assert int(table["n_on"].sum()) == sum(recount.values())
assert len(per_night.to_table()) == len(nights)
assert int(per_night.to_table()["n_on"].sum()) == sum(recount.values())
assert int(two_bins.to_table()["n_on"].sum()) == sum(recount.values())
assert np.all(per_run.significance > 5)
print("light curves: all checks passed")""",
    ),
]

# ----------------------------------------------------------------------------- 05 jobs
NOTEBOOKS["05_remote_jobs.ipynb"] = [
    (
        "markdown",
        """\
# 5. Remote jobs (IVOA UWS)

The same analyses can run next to the data, on the archive service's dask cluster, as IVOA
UWS jobs: submit, follow (UWS `WAIT`, no polling), fetch the results and their provenance.
An analysis is described once by its spec (`CountMapSpec`, `SpectrumSpec`,
`LightCurveSpec`: Quantities, SkyCoords, one default per parameter); the same spec runs here
(`spec.run(obs_ids)`) or on the service (`jobs.submit(spec, obs_ids=...)`). The job list is
also a widget, `JobMonitor` (the Explorer's Jobs tab), kept live in the background.""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
import astropy.units as u

from ctanb.jobs import JobClient, JobMonitor
from ctanb.search import cone_search

crab = cone_search("Crab", 0.1 * u.deg)
obs_ids = sorted(int(o) for o in crab["obs_id"])
jobs = JobClient()
print("job types:", jobs.job_types())""",
    ),
    (
        "code",
        """\
from ctanb.analysis.specs import CountMapSpec, LightCurveSpec, SpectrumSpec

cube_spec = CountMapSpec(
    width=4 * u.deg, binsz=3 * u.arcmin, energy_edges=[0.5, 5, 100] * u.TeV
)
spectrum_spec = SpectrumSpec(energy_edges=[0.5, 1, 2, 5, 10, 100] * u.TeV)
submitted = [
    jobs.submit(cube_spec, obs_ids=obs_ids),
    jobs.submit(spectrum_spec, obs_ids=obs_ids),
    # or by name, with numbers or Quantities in the declared units
    jobs.submit("lightcurve", obs_ids=obs_ids, e_min=1 * u.TeV, e_max=100, time_bins="night"),
]
print(cube_spec.to_parameters(), cube_spec.to_cli())
[(job.job_type, job.job_id, job.phase) for job in submitted]
[(job.job_type, job.job_id, job.phase) for job in submitted]""",
    ),
    (
        "code",
        """\
monitor = JobMonitor()
monitor""",
    ),
    (
        "code",
        """\
finished = [jobs.wait(job, timeout=240) for job in submitted]
monitor.refresh()
[(job.job_type, job.phase, sorted(job.results)) for job in finished]""",
    ),
    (
        "markdown",
        """\
## Results

A count map comes back as a ctanb `CountMap` with its provenance; the other results are
FITS files (and PROV-JSON, PROV-XML, PROV-N, SVG).""",
    ),
    (
        "code",
        """\
import io

from astropy.table import Table
from bokeh.io import output_notebook, show

output_notebook(hide_banner=True)
countmap_job, spectrum_job, lightcurve_job = finished
remote_cube = jobs.product(countmap_job)
show(remote_cube.plot())
remote_spectrum = Table.read(io.BytesIO(jobs.fetch(spectrum_job, "spectrum")), hdu="SPECTRUM")
remote_curve = Table.read(io.BytesIO(jobs.fetch(lightcurve_job, "lightcurve")), hdu=1)
remote_spectrum""",
    ),
    ("code", "remote_curve"),
    (
        "code",
        """\
from IPython.display import SVG

SVG(jobs.fetch(countmap_job, "provsvg"))""",
    ),
    (
        "markdown",
        """\
## Checks

Each remote result is compared with the same analysis run here, in the kernel.""",
    ),
    (
        "code",
        """\
import numpy as np

from ctanb.analysis import extract_spectrum, make_count_map, make_light_curve

local_cube = cube_spec.run(obs_ids)  # the same spec, here
same_cube = make_count_map(
    obs_ids, energy_edges=[0.5, 5, 100] * u.TeV, width=4 * u.deg, binsz=0.05 * u.deg
)
local_spectrum = extract_spectrum(obs_ids, energy_edges=[0.5, 1, 2, 5, 10, 100] * u.TeV)
local_curve = make_light_curve(
    obs_ids, energy_range=(1 * u.TeV, 100 * u.TeV), time_bins="night"
).to_table()
print("count map: remote", remote_cube.total, "local", local_cube.total)""",
    ),
    (
        "code",
        """\
assert [job.phase for job in finished] == ["COMPLETED"] * 3
assert remote_cube.total == local_cube.total > 1000
assert np.array_equal(remote_cube.map.data, local_cube.map.data)
assert remote_cube.checksum() == local_cube.checksum() == same_cube.checksum()
assert np.array_equal(np.asarray(remote_spectrum["n_on"]), local_spectrum.n_on)
assert np.array_equal(np.asarray(remote_spectrum["n_off"]), local_spectrum.n_off)
assert np.array_equal(np.asarray(remote_curve["n_on"]), np.asarray(local_curve["n_on"]))
assert {job.job_id for job in finished} <= set(monitor.jobs)
assert all(monitor.jobs[job.job_id].phase == "COMPLETED" for job in finished)
monitor.close()
print("remote jobs: all checks passed")""",
    ),
]

# ----------------------------------------------------------------------------- 06 provenance
NOTEBOOKS["06_provenance.ipynb"] = [
    (
        "markdown",
        """\
# 6. Provenance

Every ctanb product carries its W3C PROV provenance, in the terms of the IVOA Provenance
Data Model: the activity (entry point, parameters, times), the input files with their
checksums, the archive query, and the software versions. It is drawn as a graph in the
notebook, exported as PROV-JSON, PROV-XML or PROV-N, stored in the FITS files, and it is
enough to compare two products (`diff`) or to make one again (`replay`).""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
import astropy.units as u

from ctanb.analysis import make_count_map
from ctanb.search import cone_search

crab = cone_search("Crab", 0.1 * u.deg)
cube = make_count_map(crab["obs_id"], energy_edges=[0.5, 1, 10, 100] * u.TeV)
cube.provenance  # drawn as an SVG graph""",
    ),
    (
        "code",
        """\
from IPython.display import SVG

from ctanb.prov import to_svg

svg = to_svg(cube.provenance)
SVG(svg)""",
    ),
    ("code", "crab.provenance  # the search itself: the query, the service, the rows selected"),
    (
        "markdown",
        """\
## Exports""",
    ),
    (
        "code",
        """\
from ctanb.prov import serialize

prov_json = serialize(cube.provenance, "json")
prov_xml = serialize(cube.provenance, "xml")
prov_n = serialize(cube.provenance, "provn")
print(prov_n[:1500])""",
    ),
    (
        "markdown",
        """\
## Lineage, diff and replay""",
    ),
    (
        "code",
        """\
from ctanb.prov import diff, lineage, replay

history = lineage(cube)
[(f["obs_id"], f["checksum"][:20] + "…") for f in history.event_lists], history.software""",
    ),
    (
        "code",
        """\
other = make_count_map(crab["obs_id"][:2], energy_edges=[0.5, 10, 100] * u.TeV)
changes = diff(cube, other)
changes""",
    ),
    (
        "code",
        """\
again = replay(cube)
print("replayed:", again.total, "counts; original:", cube.total)""",
    ),
    (
        "code",
        """\
import tempfile
from pathlib import Path

from ctanb.analysis import CountMap

path = cube.to_fits(Path(tempfile.mkdtemp()) / "crab.fits")
from_file = CountMap.read(path)  # the PROVENANCE HDU travels with the file
diff(cube, from_file)""",
    ),
    (
        "markdown",
        """\
## Checks

The checksums in the provenance are recomputed here from the bytes the archive serves, and
the exports are parsed back with the `prov` library.""",
    ),
    (
        "code",
        """\
import hashlib
import json

import requests
from lxml import etree
from prov.model import ProvDocument

served = {}
for row in crab:
    content = requests.get(str(row["access_url"]), timeout=60).content
    served[str(row["obs_id"])] = "sha256:" + hashlib.sha256(content).hexdigest()
from_json = ProvDocument.deserialize(content=prov_json, format="json")
xml_root = etree.fromstring(prov_xml.encode())
n_records = len(list(cube.provenance.get_records()))
print(len(served), "checksums recomputed;", n_records, "records")""",
    ),
    (
        "code",
        """\
assert {f["obs_id"]: f["checksum"] for f in history.event_lists} == served
assert len(list(from_json.get_records())) == n_records
assert xml_root.tag.endswith("document") and len(xml_root) >= n_records
assert prov_n.startswith("document") and "endDocument" in prov_n
assert svg.lstrip().startswith("<?xml") and "<svg" in svg
assert changes["parameters"].keys() == {"energy_edges"}
assert len(changes["inputs_only_in_a"]) == len(crab) - 2 and not changes["inputs_only_in_b"]
assert diff(cube, from_file) == {
    "parameters": {}, "inputs_only_in_a": [], "inputs_only_in_b": [], "activity": None
}
assert again.total == cube.total and again.checksum() == cube.checksum()
print("provenance: all checks passed")""",
    ),
]

# ----------------------------------------------------------------------------- 07 SAMP
NOTEBOOKS["07_samp.ipynb"] = [
    (
        "markdown",
        """\
# 7. Send results to TOPCAT, Aladin or DS9 (SAMP)

SAMP connects desktop VO tools through a hub. `SampSender` (the kernel side; `WebSamp` is
the browser side for hosted notebooks) sends a result table as `table.load.votable` and
event files as `table.load.fits`, by URLs the receiving tool fetches from the archive.

Desktop tools run their own hub; where none is running (here, offline, unattended) this
notebook starts an astropy/pyvo hub in the kernel and a receiving client that stands in
for TOPCAT.""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
import tempfile
import time
from pathlib import Path

from pyvo.samp import SAMPHubServer, SAMPIntegratedClient
from pyvo.samp.lockfile_helpers import get_running_hubs

running = get_running_hubs()
if running:
    own_hub = None
    hub_params = next(iter(running.values()))
    print("using the running SAMP hub", next(iter(running)))
else:
    lockfile = Path(tempfile.mkdtemp(prefix="samp-")) / "samp-hub"
    own_hub = SAMPHubServer(web_profile=False, lockfile=str(lockfile), pool_size=4)
    own_hub.start()
    hub_params = own_hub.params
    print("started a SAMP hub in this kernel:", hub_params["samp.hub.xmlrpc.url"])""",
    ),
    (
        "code",
        """\
received = []
topcat = SAMPIntegratedClient(name="stand-in for TOPCAT")
topcat.connect(hub_params=hub_params)


def on_load(private_key, sender_id, msg_id, mtype, params, extra):
    received.append((mtype, params))


for mtype in ("table.load.votable", "table.load.fits"):
    topcat.bind_receive_notification(mtype, on_load)


def wait_for(count, timeout=15):
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return received""",
    ),
    (
        "code",
        """\
import astropy.units as u

from ctanb.search import cone_search
from ctanb.widgets import SampSender

crab = cone_search("Crab", 0.1 * u.deg)
sender = SampSender(hub_params=hub_params)
table_url = sender.send_table(crab, name="Crab runs")
data_urls = sender.send_data(crab[:1])
wait_for(2)
for mtype, params in received:
    print(mtype, params["name"], params["url"][:100])""",
    ),
    (
        "markdown",
        """\
## What the receiver does with the messages

TOPCAT would load the table from the URL: do the same here.""",
    ),
    (
        "code",
        """\
import gzip
import io

import requests
from astropy.io import fits
from astropy.io.votable import parse_single_table

votable = [p for m, p in received if m == "table.load.votable"][0]
loaded = parse_single_table(io.BytesIO(requests.get(votable["url"], timeout=60).content)).to_table()
fits_message = [p for m, p in received if m == "table.load.fits"][0]
content = requests.get(fits_message["url"], timeout=60).content
if content[:2] == b"\\x1f\\x8b":
    content = gzip.decompress(content)
with fits.open(io.BytesIO(content)) as hdus:
    events_header = hdus["EVENTS"].header
    n_events = len(hdus["EVENTS"].data)
loaded["obs_id", "target_name"]""",
    ),
    (
        "code",
        """\
assert [m for m, _ in received] == ["table.load.votable", "table.load.fits"]
assert votable["url"] == table_url and fits_message["url"] == data_urls[0]
assert sorted(str(o) for o in loaded["obs_id"]) == sorted(str(o) for o in crab["obs_id"])
assert str(events_header["OBS_ID"]) == str(crab["obs_id"][0]) and n_events > 1000
print("SAMP: table and file received and loaded")""",
    ),
    (
        "code",
        """\
sender.close()
topcat.disconnect()
if own_hub is not None:
    own_hub.stop()""",
    ),
]

# ----------------------------------------------------------------------------- 08 portal
NOTEBOOKS["08_beyond_the_portal.ipynb"] = [
    (
        "markdown",
        """\
# 8. Beyond the portal: counterparts, publishing, provenance you can query

This notebook follows one analysis all the way round, offline:

1. search the archive for the Crab and list its **counterparts** in the catalogues of other
   instruments (Fermi-LAT 3FHL and 3FGL, HAWC 3HWC, LHAASO 1LHAASO, gamma-cat, HGPS);
2. extract a spectrum and plot it against their spectral models: one **multi-instrument SED**;
3. **publish** the spectrum back into the archive as a DL4 product, proprietary to a group;
4. find it again by an **ObsCore search** and by a **ProvTAP query** naming one of its runs;
5. show that a user outside the group sees neither.""",
    ),
    ("code", SETUP),
    (
        "markdown",
        """\
## Two users

Publishing needs a token. Behind JupyterHub your hub token is enough; here the archive's
administrator makes two local tokens: Dana is in the group `crab-team`, Eve in `other-team`.""",
    ),
    (
        "code",
        """\
from ctanb.search import ArchiveClient
from ctanb.services.auth import create_token
from ctanb.services.store import Store

store = Store.open(create=False)  # the administrator's step: `ctanb token create NAME --group G`
dana = ArchiveClient(token=create_token(store, "dana", ["crab-team"]))
eve = ArchiveClient(token=create_token(store, "eve", ["other-team"]))
store.close()""",
    ),
    (
        "markdown",
        """\
## Search the Crab, list its counterparts

`counterparts(position, radius)` reads the catalogues of `CTANB_CATALOGS` with gammapy's
catalogue classes and returns one table: instrument, catalogue, separation, and the spectral
model where the catalogue has one (a gammapy model, in the `spectral_model` column).""",
    ),
    (
        "code",
        """\
import astropy.units as u

from ctanb.search import cone_search, counterparts, resolve

crab_position = resolve("Crab").coord
crab = cone_search(crab_position, 0.1 * u.deg, client=dana)
print("Crab runs:", sorted(crab["obs_id"]))
found = counterparts(crab_position, 0.2 * u.deg)
found["source_name", "catalogue", "instrument", "separation", "model_type"]""",
    ),
    (
        "markdown",
        """\
On the sky view, each instrument is one catalogue layer in its own colour.""",
    ),
    (
        "code",
        """\
from ctanb.widgets import SkyView
from ctanb.widgets.counterparts import add_counterparts

sky = SkyView(crab)
layers = add_counterparts(sky, found)
print("layers:", layers)
sky""",
    ),
    (
        "markdown",
        """\
SIMBAD's object types need the internet: with a short timeout, the offline case says so and
the notebook goes on.""",
    ),
    (
        "code",
        """\
from ctanb.search.simbad import SimbadUnavailableError, simbad_types

try:
    objects = simbad_types(crab_position, 0.05 * u.deg, timeout=2)
    print(objects["main_id", "otype"])
except SimbadUnavailableError as exc:
    print(exc)""",
    ),
    (
        "markdown",
        """\
## Extract a spectrum; one SED with Fermi-LAT, HAWC and LHAASO

The flux points come from gammapy (a power-law fit, then one norm per energy bin); the lines
are the catalogued models of the matched sources, each over the energies its catalogue
measured.""",
    ),
    (
        "code",
        """\
import numpy as np
from bokeh.io import output_notebook, show

from ctanb.analysis import extract_spectrum
from ctanb.widgets.sed import flux_points, sed_figure

output_notebook(hide_banner=True)
spectrum = extract_spectrum(crab["obs_id"], archive=dana.base_url)
points = flux_points(spectrum)
show(sed_figure(points, found, title="The Crab: H.E.S.S. DR1 with Fermi-LAT, HAWC and LHAASO"))
points""",
    ),
    (
        "markdown",
        """\
## Publish the spectrum (DL4)

One call uploads the spectrum with its provenance. It becomes an ObsCore row of the
collection `CTANB-DL4`: `dataproduct_type` spectrum, `calib_level` 4, owned by Dana's group
and proprietary for a year; its provenance goes into the ProvTAP tables with the same rights.""",
    ),
    (
        "code",
        """\
published = spectrum.publish(client=dana, title="Crab ON/OFF spectrum, H.E.S.S. DR1")
published""",
    ),
    (
        "markdown",
        """\
## Find it again: an ObsCore search and a ProvTAP query

ObsCore finds it like any dataset; ProvTAP answers "every product derived from run 23523"
by joining `provenance.entity` (the run), `provenance.used`, `provenance.wasgeneratedby` and
the product's entity, which names its ObsCore identifier (the service's `/tap/examples` hold
this query and two more: products made with an old ctanb, and what was run on given files).""",
    ),
    (
        "code",
        """\
from ctanb.search import obscore_search

COLUMNS = ["obs_id", "obs_publisher_did", "dataproduct_type", "calib_level", "target_name",
           "owner_group", "data_rights", "obs_release_date", "access_url"]
by_obscore = obscore_search(
    client=dana, columns=COLUMNS, obs_collection="CTANB-DL4", dataproduct_type="spectrum"
)
print(by_obscore)

DERIVED_FROM_23523 = \"\"\"
SELECT DISTINCT product.id, product.obs_publisher_did
FROM provenance.entity AS run
JOIN provenance.used AS us ON us.entity_id = run.id
JOIN provenance.wasgeneratedby AS gen ON gen.activity_id = us.activity_id
JOIN provenance.entity AS product ON product.id = gen.entity_id
WHERE run.obs_id = '23523' AND product.obs_publisher_did IS NOT NULL
\"\"\"
by_provenance = dana.query(DERIVED_FROM_23523)
by_provenance""",
    ),
    (
        "markdown",
        """\
Its lineage graph, served by `/provenance/{entity}` with the same rights:""",
    ),
    (
        "code",
        """\
from IPython.display import SVG

lineage = dana.session.get(published.provenance_url, params={"format": "svg", "depth": 1})
SVG(lineage.text)""",
    ),
    (
        "markdown",
        """\
## An outsider sees neither

Eve is in another group: the same ObsCore search, the same ProvTAP query, the download and
the lineage graph show her nothing of the proprietary product.""",
    ),
    (
        "code",
        """\
eve_obscore = obscore_search(
    client=eve, columns=COLUMNS, obs_collection="CTANB-DL4", dataproduct_type="spectrum"
)
eve_provenance = eve.query(DERIVED_FROM_23523)
eve_download = eve.session.get(published.access_url)
eve_lineage = eve.session.get(published.provenance_url)
print(f"Eve: {len(eve_obscore)} ObsCore rows, {len(eve_provenance)} ProvTAP rows, "
      f"download {eve_download.status_code}, lineage {eve_lineage.status_code}")""",
    ),
    (
        "markdown",
        """\
## Checks

Against numbers computed without ctanb: the separations of the Fermi-LAT and HAWC Crab from
the catalogue files with astropy, the Crab runs from the H.E.S.S. index, the published file's
counts against the spectrum's.""",
    ),
    ("code", HESS_HELPERS),
    (
        "code",
        """\
import io

catalogs = settings.data_dir / "catalogs"
fhl = Table.read(catalogs / "fermi" / "gll_psch_v13.fit.gz", hdu=1)
hwc = Table.read(catalogs / "hawc" / "3HWC.ecsv")
fhl_crab = fhl[np.char.strip(np.asarray(fhl["Source_Name"]).astype(str)) == "3FHL J0534.5+2201"]
hwc_crab = hwc[np.char.strip(np.asarray(hwc["source_name"]).astype(str)) == "3HWC J0534+220"]
expected = {
    "3FHL J0534.5+2201": crab_position.separation(
        SkyCoord(fhl_crab["RAJ2000"][0], fhl_crab["DEJ2000"][0], unit="deg")).deg,
    "3HWC J0534+220": crab_position.separation(
        SkyCoord(hwc_crab["ra"][0], hwc_crab["dec"][0], unit="deg")).deg,
}
for name, separation in expected.items():
    row = found[found["source_name"] == name][0]
    assert abs(row["separation"] - separation) < 1e-6, (name, row["separation"], separation)
assert {"Fermi-LAT", "HAWC", "LHAASO-WCDA", "LHAASO-KM2A"} <= set(layers)

# the runs whose field of view (the IRFs' offset range) reaches the 0.1 deg circle
fov_radius = float(np.max(fits.getdata(hess_file(23523), "AEFF")["THETA_HI"]))
pointings = SkyCoord(obs_index["RA_PNT"], obs_index["DEC_PNT"], unit="deg")
inside = pointings.separation(crab_position).deg < fov_radius + 0.1
crab_runs = sorted(str(o) for o in obs_index["OBS_ID"][inside])
assert sorted(crab["obs_id"]) == crab_runs
assert sorted(published.runs) == crab_runs

# the published row, and the file behind it, as Dana downloads it
row = by_obscore[by_obscore["obs_id"] == published.obs_id][0]
assert row["dataproduct_type"] == "spectrum" and row["owner_group"] == "crab-team"
assert row["calib_level"] == 4 and row["data_rights"] == "proprietary"
assert row["target_name"] == "Crab"
download = dana.session.get(published.access_url)
assert download.status_code == 200
table = Table.read(io.BytesIO(download.content), hdu="SPECTRUM")
assert np.array_equal(table["n_on"], spectrum.n_on)
assert published.obs_publisher_did in list(by_provenance["obs_publisher_did"])

# the SED: H.E.S.S. flux points within a factor of two of HAWC's model between 1 and 10 TeV
def hawc_e2dnde(energy_tev):
    dnde = hwc_crab["spec0_dnde"][0] * (energy_tev / 7) ** hwc_crab["spec0_index"][0]
    return (energy_tev**2 * dnde * u.Unit("TeV cm-2 s-1")).to_value("erg cm-2 s-1")

inside = (points["e_ref"] > 1) & (points["e_ref"] < 10)
ratio = np.asarray(points["e2dnde"][inside]) / hawc_e2dnde(np.asarray(points["e_ref"][inside]))
assert inside.sum() >= 4 and np.all((ratio > 0.5) & (ratio < 2)), ratio

# Eve sees neither the row nor its provenance, nor the file, nor the graph
assert published.obs_id not in list(eve_obscore["obs_id"]) and len(eve_obscore) == 0
assert published.obs_publisher_did not in list(eve_provenance["obs_publisher_did"])
assert eve_download.status_code == 404 and eve_lineage.status_code == 404
print("beyond the portal: all checks passed")""",
    ),
    (
        "markdown",
        """\
## Withdraw

A member of the group can withdraw the product: its row, its file and its provenance go
(and the archive is as it was before this notebook).""",
    ),
    (
        "code",
        """\
from ctanb.search.publish import withdraw

withdraw(published, client=dana)
after = obscore_search(client=dana, obs_collection="CTANB-DL4")
assert published.obs_id not in list(after["obs_id"])
assert len(dana.query(DERIVED_FROM_23523)) == 0
print("withdrawn")""",
    ),
]


def build(name: str) -> nbformat.NotebookNode:
    """Return one notebook, outputs stripped."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, source) in enumerate(NOTEBOOKS[name]):
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if kind == "markdown"
            else nbformat.v4.new_code_cell(source)
        )
        cell.id = f"{name.split('_')[0]}-{index:02d}"  # stable ids: no churn in git
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    """The notebook's file content."""
    return nbformat.writes(build(name)) + "\n"


def main() -> int:
    """Write every notebook into ``notebooks/``."""
    FOLDER.mkdir(exist_ok=True)
    for name in NOTEBOOKS:
        (FOLDER / name).write_text(render(name))
        print("wrote", FOLDER / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
