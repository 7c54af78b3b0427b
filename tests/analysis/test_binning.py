"""The compiled binning gives gammapy's bins (WCSLIB's pixels, np.digitize's energies)."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from ctanb.analysis.binning import FAST_PROJECTIONS, FastWcsBinner, unit_vectors
from ctanb.analysis.events import RunEvents
from ctanb.analysis.geometry import make_geom
from ctanb.analysis.histogram import bin_events, bin_indices

EDGES = np.geomspace(0.1, 100, 21) * u.TeV


def _events(centre: tuple[float, float], n: int, seed: int) -> RunEvents:
    """Events over 16 deg around ``centre``, float32 positions as DL3 files hold them."""
    rng = np.random.default_rng(seed)
    spread = 8 / np.cos(np.radians(min(abs(centre[1]), 80)))
    ra = (centre[0] + rng.uniform(-spread, spread, n)).astype(np.float32).astype(float)
    dec = np.clip(centre[1] + rng.uniform(-8, 8, n), -90, 90).astype(np.float32).astype(float)
    energy = np.exp(rng.uniform(np.log(0.05), np.log(200), n))
    return RunEvents(
        obs_id=1,
        path=Path("synthetic"),
        ra=ra,
        dec=dec,
        energy=energy,
        time=np.zeros(n),
        vectors=unit_vectors(ra, dec),
    )


def _reference(events: RunEvents, geom) -> np.ndarray:
    return np.bincount(bin_indices(events, geom), minlength=int(np.prod(geom.data_shape)))


@pytest.mark.parametrize("proj", sorted(FAST_PROJECTIONS))
@pytest.mark.parametrize("frame", ["icrs", "galactic"])
@pytest.mark.parametrize("centre", [(83.633, 22.014), (266.4, -29.0), (10.0, 85.0)])
def test_fast_binning_equals_wcslib_binning(proj, frame, centre):
    """Bin for bin, including a map 5 deg from the pole (events exactly on the pole)."""
    geom = make_geom(
        SkyCoord(*centre, unit="deg"),
        frame=frame,
        width=10 * u.deg,
        binsz=0.05 * u.deg,
        proj=proj,
        energy_edges=EDGES,
    )
    assert FastWcsBinner.for_geom(geom) is not None
    events = _events(centre, 200_000, seed=len(proj))
    counts = bin_events(events, geom)
    reference = _reference(events, geom)
    assert reference.sum() > 10_000
    np.testing.assert_array_equal(counts, reference)


def test_events_on_pixel_edges_are_decided_by_wcslib():
    """Events placed exactly on pixel edges are returned as doubtful and binned by WCSLIB."""
    geom = make_geom(SkyCoord(83.633, 22.014, unit="deg"), width=2 * u.deg, binsz=0.1 * u.deg)
    px, py = np.meshgrid(np.arange(-0.5, 20, 1.0), np.arange(-0.5, 20, 1.0))
    lon, lat = geom.wcs.wcs_pix2world(px.ravel(), py.ravel(), 0)
    events = RunEvents(1, Path("edges"), lon, lat, np.ones(lon.size), np.zeros(lon.size))
    binner = FastWcsBinner.for_geom(geom)
    out = np.zeros(int(np.prod(geom.data_shape)))
    doubtful = binner.add(lon, lat, None, out).doubtful
    assert len(doubtful) > 0.9 * lon.size  # nearly all are within rounding of an edge
    np.testing.assert_array_equal(bin_events(events, geom), _reference(events, geom))


def test_projections_without_a_fast_path_use_wcslib():
    geom = make_geom(SkyCoord(0, 0, unit="deg"), width=20 * u.deg, binsz=0.1 * u.deg, proj="AIT")
    assert FastWcsBinner.for_geom(geom) is None
    events = _events((0.0, 0.0), 20_000, seed=3)
    np.testing.assert_array_equal(bin_events(events, geom), _reference(events, geom))


def test_sparse_run_cube_and_touched_bins(data_dir):
    """One run's cube as (bins, counts): equal to the dense one; the work cube is reset."""
    from ctanb.analysis.events import read_events
    from ctanb.analysis.histogram import bin_events_sparse

    path = data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz"
    events = read_events(path)
    geom = make_geom(events.pointing, width=5 * u.deg, binsz=0.02 * u.deg, energy_edges=EDGES)
    work = np.zeros(int(np.prod(geom.data_shape)))
    index, counts = bin_events_sparse(events, geom, FastWcsBinner.for_geom(geom), work)
    dense = _reference(events, geom)
    np.testing.assert_array_equal(index, np.flatnonzero(dense))
    np.testing.assert_array_equal(counts, dense[index])
    assert not work.any()


def test_many_doubtful_events_take_a_second_pass(monkeypatch):
    """More events on pixel edges than the buffer holds: all are still binned exactly."""
    import ctanb.analysis.binning as binning

    monkeypatch.setattr(binning, "DOUBTFUL_CAPACITY", 8)
    test_events_on_pixel_edges_are_decided_by_wcslib()
