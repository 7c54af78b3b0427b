"""GTIs and bad time intervals: every analysis counts what gammapy counts in the same time.

No real run of the shared data has a GTI table with gaps, so one is made: a Crab run whose
GTI is cut in two (a 5-minute gap in the middle, as a cloud would leave), events unchanged.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time
from gammapy.data import Observation
from gammapy.datasets import MapDataset, SpectrumDataset
from gammapy.makers import MapDatasetMaker, ReflectedRegionsBackgroundMaker, SpectrumDatasetMaker
from gammapy.maps import MapAxis, RegionGeom
from regions import CircleSkyRegion

from ctanb.analysis import extract_spectrum, make_count_map, make_light_curve
from ctanb.analysis.gti import as_time_intervals, in_intervals
from ctanb.prov import replay

from .conftest import gti_parts

CRAB = SkyCoord(83.633, 22.014, unit="deg")
ON = CircleSkyRegion(CRAB, 0.11 * u.deg)
EDGES = np.geomspace(0.5, 100, 6) * u.TeV
GAP = (600.0, 900.0)  # seconds after the run's start


@pytest.fixture(scope="module")
def gapped_run(crab_files, tmp_path_factory):
    """A copy of the first Crab run whose GTI has a 300 s gap."""
    path = tmp_path_factory.mktemp("gti") / "crab_gapped.fits"
    with fits.open(crab_files[0]) as hdulist:
        gti = hdulist["GTI"]
        start, stop = float(gti.data["START"][0]), float(gti.data["STOP"][0])
        columns = [
            fits.Column("START", "D", unit="s", array=[start, start + GAP[1]]),
            fits.Column("STOP", "D", unit="s", array=[start + GAP[0], stop]),
        ]
        gapped = fits.BinTableHDU.from_columns(columns, header=gti.header, name="GTI")
        hdulist["GTI"] = gapped
        hdulist.writeto(path)
    return path


def gammapy_counts(path, geom):
    observation = Observation.read(path)
    maker = MapDatasetMaker(selection=["counts"])
    return sum(maker.run(MapDataset.create(geom), p).counts.data for p in gti_parts(observation))


def test_in_intervals_merges_overlaps_and_excludes_stops():
    values = np.array([0.0, 1.0, 1.5, 2.0, 3.0, 5.0, 6.0])
    inside = in_intervals(values, np.array([4.0, 1.0, 1.2]), np.array([6.0, 2.0, 1.8]))
    np.testing.assert_array_equal(inside, [False, True, True, False, False, True, False])
    with pytest.raises(ValueError, match="start must be before its stop"):
        as_time_intervals([(Time("2020-01-02"), Time("2020-01-01"))])


def test_count_cube_with_gti_gaps_equals_gammapy(gapped_run):
    product = make_count_map(
        [gapped_run], skydir=CRAB, width=3 * u.deg, binsz=0.05 * u.deg, energy_edges=EDGES
    )
    expected = gammapy_counts(gapped_run, product.map.geom)
    np.testing.assert_array_equal(product.map.data, expected)
    everything = make_count_map(
        [gapped_run],
        skydir=CRAB,
        width=3 * u.deg,
        binsz=0.05 * u.deg,
        energy_edges=EDGES,
        apply_gti=False,
    )
    # the gap held about a sixth of the run's events
    assert 0.1 < 1 - product.total / everything.total < 0.3
    assert product.record.parameters["apply_gti"] is True
    assert replay(product).checksum() == product.checksum()


def test_bad_time_intervals_leave_out_their_events(gapped_run):
    observation = Observation.read(gapped_run)
    start = observation.gti.time_start[1]
    bad = Time([start + 100 * u.s, start + 400 * u.s]).reshape(1, 2)
    product = make_count_map(
        [gapped_run], skydir=CRAB, width=3 * u.deg, binsz=0.1 * u.deg, bad_time_intervals=bad
    )
    inside = make_count_map([gapped_run], skydir=CRAB, width=3 * u.deg, binsz=0.1 * u.deg).total
    assert product.total < inside
    geom_counts = gammapy_map_total(observation, bad[0], product.map.geom)
    assert product.total == geom_counts
    assert product.record.parameters["bad_time_intervals"].shape == (1, 2)
    pairs = [(bad[0, 0], bad[0, 1])]  # the same as (start, stop) pairs
    again = make_count_map(
        [gapped_run], skydir=CRAB, width=3 * u.deg, binsz=0.1 * u.deg, bad_time_intervals=pairs
    )
    assert again.total == product.total


def gammapy_map_total(observation, bad, geom):
    """gammapy's count of the events in the GTIs, outside ``bad``: segment by segment."""
    from gammapy.maps import Map

    (a0, a1), (b0, b1) = zip(observation.gti.time_start, observation.gti.time_stop, strict=True)
    total = Map.from_geom(geom)
    for segment in ([a0, a1], [b0, bad[0]], [bad[1], b1]):
        total.fill_events(observation.events.select_time(Time(segment)))
    return int(total.data.sum())


@pytest.mark.slow
def test_spectrum_and_light_curve_with_gti_gaps_equal_gammapy(gapped_run):
    spectrum = extract_spectrum([gapped_run], on_region=ON, energy_edges=EDGES, exclusion=None)
    axis = MapAxis.from_edges(EDGES, name="energy", interp="log")
    empty = SpectrumDataset.create(geom=RegionGeom.create(region=ON, axes=[axis]))
    maker, background = (
        SpectrumDatasetMaker(selection=["counts"]),
        ReflectedRegionsBackgroundMaker(),
    )
    on = off = 0
    for part in gti_parts(Observation.read(gapped_run)):
        dataset = background.run(maker.run(empty.copy(), part), part)
        on = on + dataset.counts.data.ravel()
        off = off + dataset.counts_off.data.ravel()
    np.testing.assert_array_equal(spectrum.n_on, on)
    np.testing.assert_array_equal(spectrum.n_off, off)
    curve = make_light_curve(
        [gapped_run], on_region=ON, energy_range=(0.5 * u.TeV, 100 * u.TeV), exclusion=None
    )
    assert curve.n_on.sum() == on.sum() and curve.n_off.sum() == off.sum()
