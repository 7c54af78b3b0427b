"""``ctanb simulate`` against gammapy: readable DL3, background and source as gammapy predicts."""

from __future__ import annotations

import argparse

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.data import DataStore
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker
from gammapy.maps import MapAxis, WcsGeom
from gammapy.modeling.models import (
    Models,
    PointSpatialModel,
    PowerLawSpectralModel,
    SkyModel,
)
from regions import CircleSkyRegion
from scipy import stats

from ctanb.analysis.events import read_events
from ctanb.analysis.simulate import PointSource, add_arguments, run, simulate_runs

TARGET = SkyCoord(83.633 * u.deg, 22.014 * u.deg)
SOURCE = PointSource(TARGET, 3e-11 * u.Unit("cm-2 s-1 TeV-1"), 2.5)
# reco-energy edges on the background IRF's bin centres (0.2 dex), where gammapy's
# log-log integration and the sampler's power laws meet
ENERGY = MapAxis.from_energy_bounds(0.1, 100, 15, unit="TeV", name="energy")
ENERGY_TRUE = MapAxis.from_energy_bounds(0.03, 150, 30, unit="TeV", name="energy_true")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two 4-minute runs with a Crab-like source, wobbling 0.5° around it."""
    out = tmp_path_factory.mktemp("sim")
    paths = simulate_runs(out, 2, livetime=4 * u.min, pointing=TARGET, source=SOURCE, seed=7)
    return out, paths


@pytest.fixture(scope="module")
def dataset(store):
    out, _ = store
    observations = DataStore.from_dir(out).get_observations()
    geom = WcsGeom.create(skydir=TARGET, width=6 * u.deg, binsz=0.05, axes=[ENERGY])
    empty = MapDataset.create(geom, energy_axis_true=ENERGY_TRUE, binsz_irf=0.25)
    maker = MapDatasetMaker(selection=["counts", "background", "exposure", "psf", "edisp"])
    stacked = empty.copy(name="stacked")
    for obs in observations:
        stacked.stack(maker.run(empty.copy(), obs))
    return stacked


def test_gammapy_reads_the_store(store):
    out, paths = store
    assert [p.name for p in paths] == ["events_900001.fits", "events_900002.fits"]
    assert (out / "irf" / "irf_file.fits").exists()
    assert (out / "irf" / "README.md").exists()
    assert len(list(out.rglob("irf_file.fits"))) == 1
    data_store = DataStore.from_dir(out)
    assert list(data_store.obs_table["OBS_ID"]) == [900001, 900002]
    for check in ("obs_table", "hdu_table", "consistency"):
        assert list(data_store.check(checks=[check])) == [], check
    obs = data_store.obs(900002)
    assert len(obs.events.table) > 1000
    assert obs.aeff is not None and obs.bkg is not None
    assert obs.events.table["ENERGY"].unit == u.TeV
    # wobble: 0.5° south of the target in the second run
    assert obs.pointing.fixed_icrs.separation(TARGET).deg == pytest.approx(0.5, abs=1e-6)
    assert obs.observation_live_time_duration.to_value(u.s) == pytest.approx(240)
    header = fits.getheader(paths[0], "EVENTS")
    for key, value in {
        "HDUCLASS": "GADF",
        "HDUCLAS1": "EVENTS",
        "TELESCOP": "CTA",
        "OBS_ID": 900001,
        "TIMESYS": "TT",
        "MJDREFI": 51544,
    }.items():
        assert header[key] == value, key
    for key in ("RA_OBJ", "DEC_OBJ", "TSTART", "TSTOP", "ONTIME", "DEADC", "INSTRUME", "OBJECT"):
        assert key in header
    assert fits.getheader(paths[0], "GTI")["HDUCLAS1"] == "GTI"
    assert fits.getheader(paths[0], "POINTING")["HDUCLAS1"] == "POINTING"


def test_background_matches_gammapy(store, dataset):
    _, paths = store
    # background events only (MC_ID 1), binned like the counts
    counts = dataset.counts.copy(data=np.zeros(dataset.counts.data.shape))
    for path in paths:
        table = fits.getdata(path, "EVENTS")
        bkg = table[table["MC_ID"] == 1]
        coords = {
            "skycoord": SkyCoord(bkg["RA"] * u.deg, bkg["DEC"] * u.deg),
            "energy": bkg["ENERGY"] * u.TeV,
        }
        counts.fill_by_coord(coords)
    observed = counts.data.sum(axis=(1, 2))
    predicted = dataset.background.data.sum(axis=(1, 2))
    total, expected = observed.sum(), predicted.sum()
    assert expected > 5000
    assert abs(total - expected) < 5 * np.sqrt(expected), (total, expected)
    chi2 = float((((observed - predicted) ** 2) / predicted).sum())
    p_value = stats.chi2.sf(chi2, len(observed))
    assert p_value > 1e-3, (chi2, observed, predicted)


def test_source_excess_matches_gammapy_npred(store, dataset):
    _, paths = store
    model = SkyModel(
        spectral_model=PowerLawSpectralModel(
            index=2.5, amplitude="3e-11 cm-2 s-1 TeV-1", reference="1 TeV"
        ),
        spatial_model=PointSpatialModel(lon_0=TARGET.ra, lat_0=TARGET.dec, frame="icrs"),
        name="source",
    )
    dataset.models = Models([model])
    region = CircleSkyRegion(TARGET, 0.3 * u.deg)
    mask = dataset.counts.geom.region_mask([region])
    counts = float(dataset.counts.data[mask].sum())
    excess = counts - float(dataset.background.data[mask].sum())
    npred = float(dataset.npred_signal().data[mask].sum())
    assert npred > 500
    assert abs(excess - npred) < 5 * np.sqrt(counts), (excess, npred)
    # the simulated source events themselves (MC_ID 2), same region and energies
    n_source = 0
    for path in paths:
        table = fits.getdata(path, "EVENTS")
        table = table[(table["MC_ID"] == 2) & (table["ENERGY"] >= 0.1) & (table["ENERGY"] < 100)]
        sep = SkyCoord(table["RA"] * u.deg, table["DEC"] * u.deg).separation(TARGET)
        n_source += int((sep < 0.3 * u.deg).sum())
    assert abs(n_source - npred) < 5 * np.sqrt(npred), (n_source, npred)


def test_seed_reproducible(store, tmp_path):
    _, paths = store
    again = simulate_runs(
        tmp_path / "a", 2, livetime=4 * u.min, pointing=TARGET, source=SOURCE, seed=7
    )
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]
    other = simulate_runs(tmp_path / "b", 1, livetime=4 * u.min, pointing=TARGET, seed=8)
    a, b = fits.getdata(paths[0], "EVENTS"), fits.getdata(other[0], "EVENTS")
    assert not np.array_equal(a["RA"][:100], b["RA"][:100])


def test_events_per_run_and_project_reader(tmp_path):
    calls = []
    paths = simulate_runs(
        tmp_path,
        2,
        events_per_run=20000,
        seed=3,
        first_obs_id=42,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 2), (2, 2)]
    for path in paths:
        events = read_events(path)
        assert abs(len(events) - 20000) < 5 * np.sqrt(20000)
        assert events.obs_id in (42, 43)
        assert np.all(np.diff(fits.getdata(path, "EVENTS")["TIME"]) >= 0)  # file in time order
        assert events.energy.min() > 0.02 and events.energy.max() < 200
        assert events.pointing.separation(events.pointing).deg == 0
        assert events.meta["TSTART"] <= events.time.min() <= events.time.max()
        assert events.time.max() <= events.meta["TSTOP"]


def test_cli(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [str(tmp_path), "--runs", "1", "--livetime", "0.5", "--source-flux", "1e-11"]
    )
    assert run(args) == 0
    assert "1 runs written" in capsys.readouterr().out
    header = fits.getheader(tmp_path / "data" / "events_900001.fits", "EVENTS")
    assert header["LIVETIME"] == pytest.approx(30)
    assert DataStore.from_dir(tmp_path).obs(900001).events is not None
