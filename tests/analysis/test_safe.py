"""Safe data ranges per run: gammapy's SafeMaskMaker methods, as an option of every analysis."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from gammapy.data import DataStore
from gammapy.datasets import MapDataset, SpectrumDataset
from gammapy.makers import (
    MapDatasetMaker,
    ReflectedRegionsBackgroundMaker,
    SafeMaskMaker,
    SpectrumDatasetMaker,
)
from gammapy.maps import Map, MapAxis, RegionGeom
from regions import CircleSkyRegion

from ctanb.analysis import SafeMask, extract_spectrum, make_count_map, make_light_curve
from ctanb.prov import replay

from .conftest import gti_parts

CRAB_IDS = [23523, 23526]
CRAB = SkyCoord(83.633, 22.014, unit="deg")
ON = CircleSkyRegion(CRAB, 0.11 * u.deg)
EDGES = np.geomspace(0.3, 100, 13) * u.TeV
METHODS = ["aeff-max", "edisp-bias", "offset-max"]


@pytest.fixture(scope="module")
def store(data_dir):
    return DataStore.from_dir(data_dir / "hess-dl3-dr1")


@pytest.mark.slow
def test_count_cube_with_safe_mask_equals_gammapy(crab_files, store):
    product = make_count_map(
        crab_files[:2],
        skydir=CRAB,
        width=6 * u.deg,
        binsz=0.05 * u.deg,
        energy_edges=EDGES,
        safe_mask=SafeMask(tuple(METHODS), offset_max=2 * u.deg),
    )
    geom = product.map.geom
    maker = MapDatasetMaker(selection=["counts"])
    safe = SafeMaskMaker(
        methods=METHODS, offset_max=2 * u.deg, irfs="DL3", position=geom.center_skydir
    )
    expected = 0
    for observation in store.get_observations(CRAB_IDS):
        for part in gti_parts(observation):
            dataset = safe.run(maker.run(MapDataset(counts=Map.from_geom(geom)), part), part)
            expected = expected + dataset.counts.data * dataset.mask_safe.data
    np.testing.assert_array_equal(product.map.data, expected)
    unmasked = make_count_map(
        crab_files[:2], skydir=CRAB, width=6 * u.deg, binsz=0.05 * u.deg, energy_edges=EDGES
    )
    assert 0 < product.total < unmasked.total
    assert not product.map.data[0].any()  # the lowest bin is below every run's threshold
    recorded = product.record.parameters["safe_mask"]
    assert recorded["methods"] == METHODS and recorded["offset_max"] == 2 * u.deg
    assert replay(product).checksum() == product.checksum()


@pytest.mark.slow
def test_spectrum_and_light_curve_with_safe_mask(crab_files, store):
    spectrum = extract_spectrum(
        crab_files[:2], on_region=ON, energy_edges=EDGES, exclusion=None, safe_mask=METHODS
    )
    axis = MapAxis.from_edges(EDGES, name="energy", interp="log")
    empty = SpectrumDataset.create(geom=RegionGeom.create(region=ON, axes=[axis]))
    maker, background = (
        SpectrumDatasetMaker(selection=["counts"]),
        ReflectedRegionsBackgroundMaker(),
    )
    safe = SafeMaskMaker(methods=METHODS, irfs="DL3", position=CRAB, offset_max=2.5 * u.deg)
    for i, observation in enumerate(store.get_observations(CRAB_IDS)):
        (part,) = gti_parts(observation)
        dataset = safe.run(background.run(maker.run(empty.copy(), part), part), part)
        kept = dataset.mask_safe.data.ravel()
        np.testing.assert_array_equal(spectrum.per_run_on[i], dataset.counts.data.ravel() * kept)
        np.testing.assert_array_equal(
            spectrum.per_run_off[i], dataset.counts_off.data.ravel() * kept
        )
    curve = make_light_curve(
        crab_files[:2],
        on_region=ON,
        energy_range=(0.1 * u.TeV, 100 * u.TeV),
        exclusion=None,
        safe_mask=METHODS,
    )
    everything = make_light_curve(
        crab_files[:2], on_region=ON, energy_range=(0.1 * u.TeV, 100 * u.TeV), exclusion=None
    )
    assert np.all(curve.n_on < everything.n_on)
    assert curve.record.parameters["safe_mask"]["methods"] == METHODS


def test_unknown_safe_method_is_refused(crab_files):
    with pytest.raises(ValueError, match=r"unknown method.*choose from"):
        make_count_map(crab_files[:1], safe_mask=["aeff-maxi"])
