"""ON/OFF spectra and light curves equal gammapy's reflected-regions counts, run by run."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time
from gammapy.data import DataStore
from gammapy.datasets import SpectrumDataset
from gammapy.makers import ReflectedRegionsBackgroundMaker, SpectrumDatasetMaker
from gammapy.maps import MapAxis, RegionGeom
from regions import CircleSkyRegion

from ctanb.analysis import extract_spectrum, make_light_curve
from ctanb.analysis.exclusion import make_exclusion_mask
from ctanb.errors import DataError
from ctanb.prov import diff, lineage, replay

CRAB = [23523, 23526, 23559, 23592]
ON = CircleSkyRegion(SkyCoord(83.633, 22.014, unit="deg"), 0.11 * u.deg)
EDGES = np.geomspace(0.5, 100, 11) * u.TeV


@pytest.fixture(scope="module")
def files(crab_files):
    return crab_files


@pytest.fixture(scope="module")
def gammapy_on_off(data_dir, in_gti):
    """gammapy's ON/OFF counts with the same exclusion mask (the catalogues') and GTIs."""
    store = DataStore.from_dir(data_dir / "hess-dl3-dr1")
    axis = MapAxis.from_edges(EDGES, name="energy", interp="log")
    empty = SpectrumDataset.create(geom=RegionGeom.create(region=ON, axes=[axis]))
    maker, background = (
        SpectrumDatasetMaker(selection=["counts"]),
        ReflectedRegionsBackgroundMaker(exclusion_mask=make_exclusion_mask(ON.center)),
    )
    out = []
    for observation in in_gti(store.get_observations(CRAB)):
        dataset = background.run(maker.run(empty.copy(), observation), observation)
        out.append(
            (
                dataset.counts.data.ravel(),
                dataset.counts_off.data.ravel(),
                float(dataset.alpha.data.ravel()[0]),
            )
        )
    return out


@pytest.mark.slow
def test_spectrum_counts_equal_gammapy(files, gammapy_on_off):
    spectrum = extract_spectrum(files, on_region=ON, energy_edges=EDGES)
    for i, (on, off, alpha) in enumerate(gammapy_on_off):
        np.testing.assert_array_equal(spectrum.per_run_on[i], on)
        np.testing.assert_array_equal(spectrum.per_run_off[i], off)
        assert spectrum.per_run_alpha[i] == pytest.approx(alpha)
    assert spectrum.excess.sum() > 500 and spectrum.significance[:3].min() > 10
    assert spectrum.to_table()["e_min"].unit == u.TeV


@pytest.mark.slow
def test_light_curve_per_run_and_in_time_bins(files, gammapy_on_off):
    band = (0.5 * u.TeV, 100 * u.TeV)
    per_run = make_light_curve(files, on_region=ON, energy_range=band, time_bins="run")
    np.testing.assert_array_equal(per_run.n_on, [on.sum() for on, _, _ in gammapy_on_off])
    np.testing.assert_array_equal(per_run.n_off, [off.sum() for _, off, _ in gammapy_on_off])
    # fixed bins that split each run in two: the halves add up to the runs
    edges = np.sort(
        np.concatenate(
            [per_run.time_min, per_run.time_max, 0.5 * (per_run.time_min + per_run.time_max)]
        )
    )
    edges[-1] += 1 / 86400  # bins are [start, stop): keep the last run's final second
    halves = make_light_curve(
        files, on_region=ON, energy_range=band, time_bins=Time(edges, format="mjd", scale="tt")
    )
    assert halves.n_on.sum() == per_run.n_on.sum()
    nights = make_light_curve(files, on_region=ON, energy_range=band, time_bins="night")
    assert nights.n_on.sum() == per_run.n_on.sum() and len(nights.n_on) <= len(per_run.n_on)


def test_default_on_region_is_the_target(files):
    header = fits.getheader(files[0], "EVENTS")
    spectrum = extract_spectrum(files[:1], energy_edges=EDGES)
    centre = spectrum.record.parameters["on_region"].center
    assert centre.separation(SkyCoord(header["RA_OBJ"], header["DEC_OBJ"], unit="deg")).deg < 1e-6


def test_on_region_without_room_for_off_regions(files):
    pointing = fits.getheader(files[0], "EVENTS")
    on_pointing = CircleSkyRegion(
        SkyCoord(pointing["RA_PNT"], pointing["DEC_PNT"], unit="deg"), 0.11 * u.deg
    )
    with pytest.raises(DataError, match="obs_id 23523: no reflected OFF region"):
        extract_spectrum(files[:1], on_region=on_pointing, energy_edges=EDGES)


@pytest.mark.slow
def test_spectrum_and_light_curve_provenance(files, tmp_path):
    spectrum = extract_spectrum(files[:2], on_region=ON, energy_edges=EDGES)
    assert [int(f["obs_id"]) for f in lineage(spectrum).event_lists] == CRAB[:2]
    assert replay(spectrum).checksum() == spectrum.checksum()
    path = spectrum.to_fits(tmp_path / "spectrum.fits")
    assert "PROVENANCE" in fits.open(path)
    curve = make_light_curve(files[:2], on_region=ON, time_bins="run")
    other = make_light_curve(files[:2], on_region=ON, time_bins="night")
    assert list(diff(curve, other)["parameters"]) == ["time_bins"]
    assert curve.plot() is not None and spectrum.plot() is not None
