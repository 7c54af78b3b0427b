"""Count maps and cubes equal gammapy's, bin for bin; dask, cache and bad inputs."""

from __future__ import annotations

import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.data import DataStore
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker
from gammapy.maps import Map

from ctanb.analysis import EventCache, make_count_map, read_events
from ctanb.errors import DataError

from .conftest import gti_parts

CRAB = [23523, 23526, 23559, 23592]


def hess_file(data_dir, obs_id):
    return data_dir / "hess-dl3-dr1" / "data" / f"hess_dl3_dr1_obs_id_{obs_id:06d}.fits.gz"


def gammapy_counts(store_dir, obs_ids, geom):
    """gammapy's counts of the runs restricted to their GTIs (ctanb applies them)."""
    observations = DataStore.from_dir(store_dir).get_observations(obs_ids)
    observations = [part for obs in observations for part in gti_parts(obs)]
    if not geom.axes:  # a 2D map: gammapy's own event filling
        total = Map.from_geom(geom)
        for obs in observations:
            total.fill_events(obs.events)
        return total.data
    maker = MapDatasetMaker(selection=["counts"])
    return sum(maker.run(MapDataset.create(geom), obs).counts.data for obs in observations)


@pytest.mark.slow
def test_crab_cube_equals_gammapy(data_dir):
    product = make_count_map(
        [hess_file(data_dir, o) for o in CRAB],
        skydir=SkyCoord(83.633, 22.014, unit="deg"),
        width=4 * u.deg,
        binsz=0.02 * u.deg,
        energy_edges=np.geomspace(0.5, 100, 11) * u.TeV,
    )
    expected = gammapy_counts(data_dir / "hess-dl3-dr1", CRAB, product.map.geom)
    assert product.map.data.shape == (10, 200, 200)
    np.testing.assert_array_equal(product.map.data, expected)
    assert product.total > 10000


@pytest.mark.slow
@pytest.mark.parametrize(("frame", "proj"), [("galactic", "TAN"), ("icrs", "AIT")])
def test_cta_1dc_maps_equal_gammapy(data_dir, frame, proj):
    runs = sorted((data_dir / "cta-1dc" / "data").rglob("*.fits"))[:2]
    centre = SkyCoord(0, 0, unit="deg", frame="galactic")
    product = make_count_map(
        runs, skydir=centre, frame=frame, proj=proj, width=6 * u.deg, binsz=0.05 * u.deg
    )
    obs_ids = [read_events(r).obs_id for r in runs]
    expected = gammapy_counts(data_dir / "cta-1dc" / "index" / "gps", obs_ids, product.map.geom)
    np.testing.assert_array_equal(product.map.data, expected)


@pytest.mark.slow
def test_healpix_equals_gammapy_fill(data_dir):
    path = hess_file(data_dir, 23523)
    product = make_count_map(
        [path], skydir=SkyCoord(83.633, 22.014, unit="deg"), width=4 * u.deg, healpix_nside=256
    )
    reference = Map.from_geom(product.map.geom)
    observation = DataStore.from_dir(data_dir / "hess-dl3-dr1").obs(23523)
    for part in gti_parts(observation):
        reference.fill_by_coord({"skycoord": part.events.radec})
    np.testing.assert_array_equal(product.map.data, reference.data)


@pytest.mark.slow
def test_dask_equals_serial(data_dir):
    from dask.distributed import Client, LocalCluster

    files = [hess_file(data_dir, o) for o in CRAB]
    kwargs = {
        "skydir": SkyCoord(83.633, 22.014, unit="deg"),
        "width": 3 * u.deg,
        "energy_edges": [0.5, 2, 10, 100] * u.TeV,
    }
    serial = make_count_map(files, **kwargs)
    with (
        LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        parallel = make_count_map(files, client=client, **kwargs)
    np.testing.assert_array_equal(serial.map.data, parallel.map.data)
    # the non-zero bins noted while binning are exactly the cube's, either way
    for product in (serial, parallel):
        np.testing.assert_array_equal(product.occupied_bins(), np.flatnonzero(product.map.data))
    assert serial.checksum() == parallel.checksum()


def test_cache_hit_equals_miss_and_invalidation(data_dir, tmp_path):
    path = tmp_path / "run.fits.gz"
    shutil.copy(hess_file(data_dir, 23523), path)
    cache = EventCache(tmp_path / "cache")
    miss = read_events(path, cache)
    hit = read_events(path, cache)
    for column in ("ra", "dec", "energy", "time"):
        np.testing.assert_array_equal(getattr(miss, column), getattr(hit, column))
    assert cache.size() > 0
    with fits.open(path) as hdul:  # a changed file gets a new entry
        hdul["EVENTS"].data = hdul["EVENTS"].data[:100]
        hdul.writeto(path, overwrite=True)
    assert len(read_events(path, cache)) == 100
    cache.clear()
    assert cache.size() == 0


def test_bad_inputs_name_the_run_and_the_problem(data_dir, tmp_path):
    good = hess_file(data_dir, 23523)
    no_events = tmp_path / "no_events.fits"
    fits.HDUList([fits.PrimaryHDU()]).writeto(no_events)
    no_gti = tmp_path / "no_gti.fits"
    with fits.open(good) as hdul:
        fits.HDUList([hdul[0].copy(), hdul["EVENTS"].copy()]).writeto(no_gti)
    with pytest.raises(DataError, match=r"no_events\.fits: no EVENTS"):
        make_count_map([good, no_events])
    with pytest.raises(DataError, match=r"no_gti\.fits: no GTI"):
        make_count_map([no_gti])
    kept = make_count_map([good, no_events, no_gti], on_error="skip")
    assert [r.obs_id for r in kept.record.inputs] == [23523]
    assert {s.path.rsplit("/", 1)[1] for s in kept.skipped} == {"no_events.fits", "no_gti.fits"}
    with pytest.raises(ValueError, match="no pixels"):
        make_count_map([good], width=0 * u.deg)
    with pytest.raises(DataError, match="obs_id 23523: no event inside the energy axis"):
        make_count_map([good], energy_edges=[500, 1000] * u.TeV)


def test_cli_writes_a_gammapy_map(data_dir, tmp_path):
    from ctanb.cli import main

    out = tmp_path / "crab.fits"
    assert (
        main(
            [
                "countmap",
                str(hess_file(data_dir, 23523)),
                "--out",
                str(out),
                "--skydir",
                "83.633",
                "22.014",
                "--width",
                "2",
                "--binsz",
                "0.05",
                "--energy-edges",
                "0.5,5,100",
            ]
        )
        == 0
    )
    counts = Map.read(out)
    assert counts.data.shape == (2, 40, 40)
    assert "PROVENANCE" in fits.open(out)


@pytest.mark.slow
@pytest.mark.parametrize("proj", ["CAR", "TAN", "SIN", "ZEA", "ARC", "STG"])
def test_fast_projections_on_real_events_equal_gammapy(data_dir, proj):
    """Every projection the compiled kernel bins: H.E.S.S. and CTA 1DC cubes, both frames."""
    edges = np.geomspace(0.1, 100, 7) * u.TeV
    hess = make_count_map(
        [hess_file(data_dir, 23523)],
        skydir=SkyCoord(83.633, 22.014, unit="deg"),
        proj=proj,
        width=5 * u.deg,
        binsz=0.02 * u.deg,
        energy_edges=edges,
    )
    expected = gammapy_counts(data_dir / "hess-dl3-dr1", [23523], hess.map.geom)
    np.testing.assert_array_equal(hess.map.data, expected)
    run = data_dir / "cta-1dc" / "data" / "baseline" / "gps" / "gps_baseline_110380.fits"
    cta = make_count_map(
        [run],
        skydir=SkyCoord(0, -1.3, unit="deg", frame="galactic"),
        frame="galactic",
        proj=proj,
        width=6 * u.deg,
        binsz=0.03 * u.deg,
        energy_edges=edges,
    )
    expected = gammapy_counts(data_dir / "cta-1dc" / "index" / "gps", [110380], cta.map.geom)
    np.testing.assert_array_equal(cta.map.data, expected)
    assert hess.total > 5000 and cta.total > 40000


def test_geometries_are_remembered_and_counts_are_float32():
    from astropy.coordinates import FK5

    from ctanb.analysis.geometry import make_geom
    from ctanb.analysis.stacking import FLOAT32_EXACT, counts_dtype

    crab = SkyCoord(83.633, 22.014, unit="deg")
    assert make_geom(crab, width=2 * u.deg) is make_geom(crab, width=2 * u.deg)
    assert make_geom(crab, width=2 * u.deg) is not make_geom(crab, width=3 * u.deg)
    j2000, b1950 = (
        make_geom(SkyCoord(10, 20, unit="deg", frame=FK5(equinox=e)), width=1 * u.deg)
        for e in ("J2000", "B1950")
    )
    assert j2000.center_skydir.separation(b1950.center_skydir) > 0.1 * u.deg
    # float32 counts (gammapy's dtype) unless a bin holds 2**24 or more
    assert counts_dtype(np.array([1.0, FLOAT32_EXACT - 1.0])).dtype == np.float32
    assert counts_dtype(np.array([1.0, FLOAT32_EXACT])).dtype == np.float64
