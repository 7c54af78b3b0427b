"""Significance maps equal gammapy's RingBackgroundMaker + ExcessMapEstimator; CLI and job."""

from __future__ import annotations

import io

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.data import DataStore
from gammapy.datasets import MapDataset
from gammapy.estimators import ExcessMapEstimator
from gammapy.makers import MapDatasetMaker, RingBackgroundMaker, SafeMaskMaker
from gammapy.maps import Map, MapAxis

from ctanb.analysis import make_significance_map
from ctanb.analysis.exclusion import make_exclusion_mask
from ctanb.analysis.ring import ring_kernel, tophat_kernel
from ctanb.cli import main
from ctanb.prov import lineage, replay

from .conftest import gti_parts

CRAB_IDS = [23523, 23526, 23559, 23592]
CRAB = SkyCoord(83.633, 22.014, unit="deg")
GEOMETRY = {"skydir": CRAB, "width": 3 * u.deg, "binsz": 0.04 * u.deg}


@pytest.fixture(scope="module")
def mask():
    return make_exclusion_mask(CRAB)


@pytest.fixture(scope="module")
def significance(crab_files, mask):
    return make_significance_map(crab_files, exclusion=mask, **GEOMETRY)


@pytest.mark.slow
def test_crab_significance_equals_gammapy(significance, mask, data_dir):
    image = significance.significance.geom
    geom = image.to_cube([MapAxis.from_energy_edges([0.5, 100] * u.TeV)])
    store = DataStore.from_dir(data_dir / "hess-dl3-dr1")
    stacked = MapDataset.create(geom, name="stacked")
    maker = MapDatasetMaker(selection=["counts", "background"])
    safe = SafeMaskMaker(
        methods=["offset-max"], offset_max=2.5 * u.deg, irfs="DL3", position=geom.center_skydir
    )
    for observation in store.get_observations(CRAB_IDS):
        for part in gti_parts(observation):
            stacked.stack(safe.run(maker.run(MapDataset.create(geom, name="r"), part), part))
    ring = RingBackgroundMaker(r_in=0.5 * u.deg, width=0.3 * u.deg, exclusion_mask=mask)
    result = ExcessMapEstimator(0.1 * u.deg, selection_optional=[]).run(
        ring.run(stacked.to_image())
    )
    np.testing.assert_array_equal(significance.maps["counts"].data, result["counts"].data[0])
    np.testing.assert_allclose(
        significance.significance.data, result["sqrt_ts"].data[0], rtol=1e-5, atol=1e-4
    )
    np.testing.assert_allclose(
        significance.excess.data, result["npred_excess"].data[0], rtol=1e-5, atol=1e-3
    )
    peak, where = significance.peak()
    assert peak > 30 and where.separation(CRAB) < 0.05 * u.deg


@pytest.mark.slow
def test_significance_product_fits_provenance_and_replay(significance, crab_files, tmp_path):
    path = significance.to_fits(tmp_path / "significance.fits")
    reread = Map.read(path, hdu="SQRT_TS")
    np.testing.assert_array_equal(reread.data, significance.significance.data)
    assert "PROVENANCE" in fits.open(path)
    assert [int(f["obs_id"]) for f in lineage(significance).event_lists] == CRAB_IDS
    parameters = significance.record.parameters
    assert parameters["r_in"] == 0.5 * u.deg and parameters["apply_gti"] is True
    # the default mask (the catalogues') is the one the fixture passed explicitly
    default = make_significance_map(crab_files[:2], **GEOMETRY)
    assert default.record.parameters["exclusion"] == "catalogs"
    assert replay(default).checksum() == default.checksum()
    assert significance.plot() is not None


@pytest.mark.slow
def test_significance_command(crab_files, tmp_path, capsys):
    out = tmp_path / "sig.fits"
    args = ["significance", *map(str, crab_files[:2]), "--out", str(out)]
    assert main([*args, "--width", "2", "--binsz", "0.05", "--safe-mask", "aeff-max"]) == 0
    assert "peak significance" in capsys.readouterr().out
    assert Map.read(out, hdu="SQRT_TS").data.shape == (40, 40)


def test_bad_significance_parameters(crab_files):
    with pytest.raises(ValueError, match="low < high"):
        make_significance_map(crab_files[:1], energy_range=(10 * u.TeV, 1 * u.TeV))
    with pytest.raises(ValueError, match="unknown method"):
        make_significance_map(crab_files[:1], safe_mask=["aeff-maximum"])


@pytest.mark.slow
def test_significance_job_equals_the_inline_map(archive_url, tokens, crab_files):
    from ctanb.jobs import JobClient

    client = JobClient(archive_url, token=tokens["alice"])
    assert "significance" in client.job_types()
    job = client.wait(
        client.submit(
            "significance", obs_ids=CRAB_IDS[:2], ra=83.633, dec=22.014, width=2, binsz=0.05
        ),
        timeout=300,
    )
    assert job.phase == "COMPLETED", job
    remote = Map.from_hdulist(
        fits.open(io.BytesIO(client.fetch(job, "significance"))), hdu="SQRT_TS"
    )
    inline = make_significance_map(crab_files[:2], skydir=CRAB, width=2 * u.deg, binsz=0.05 * u.deg)
    np.testing.assert_allclose(remote.data, inline.significance.data, rtol=1e-9)


def test_kernels_take_any_angular_unit():
    """A ring or correlation radius in arcmin makes the same kernel as the same angle in deg."""
    pixel = 0.02 * u.deg
    in_deg = ring_kernel(0.5 * u.deg, 0.1 * u.deg, pixel)
    in_arcmin = ring_kernel(30 * u.arcmin, 6 * u.arcmin, pixel)
    assert in_arcmin.shape == in_deg.shape
    np.testing.assert_array_equal(in_arcmin, in_deg)
    np.testing.assert_array_equal(
        tophat_kernel(6 * u.arcmin, 1.2 * u.arcmin), tophat_kernel(0.1 * u.deg, pixel)
    )
