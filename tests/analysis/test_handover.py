"""Hand-over to gammapy: IRF maps by its makers, OGIP files, light-curve fluxes, and the CLIs."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from gammapy.data import DataStore
from gammapy.datasets import MapDataset, SpectrumDatasetOnOff
from gammapy.makers import MapDatasetMaker
from gammapy.maps import MapAxis
from gammapy.modeling import Fit
from gammapy.modeling.models import (
    FoVBackgroundModel,
    PointSpatialModel,
    PowerLawSpectralModel,
    SkyModel,
)
from regions import CircleSkyRegion

from ctanb.analysis import extract_spectrum, make_count_map, make_light_curve
from ctanb.cli import main
from ctanb.errors import DataError

CRAB = [23523, 23526, 23559, 23592]
CENTRE = SkyCoord(83.633, 22.014, unit="deg")
EDGES = np.geomspace(0.5, 50, 7) * u.TeV


@pytest.fixture(scope="module")
def files(crab_files):
    return crab_files


@pytest.fixture(scope="module")
def cube(files):
    return make_count_map(
        files, skydir=CENTRE, width=2.5 * u.deg, binsz=0.05 * u.deg, energy_edges=EDGES
    )


@pytest.mark.slow
def test_count_cube_to_gammapy_has_the_makers_irf_maps(cube, data_dir, in_gti):
    dataset = cube.to_gammapy()
    np.testing.assert_array_equal(dataset.counts.data, cube.map.data)
    # the same maps as gammapy's own maker run by hand on the same observations
    store = DataStore.from_dir(data_dir / "hess-dl3-dr1")
    true_axis = MapAxis.from_energy_bounds(0.05, 150, 60, unit="TeV", name="energy_true")
    reference = MapDataset.create(cube.map.geom, energy_axis_true=true_axis)
    maker = MapDatasetMaker(selection=["counts", "exposure", "background", "psf", "edisp"])
    for observation in store.get_observations(CRAB):
        reference.stack(
            maker.run(MapDataset.create(cube.map.geom, energy_axis_true=true_axis), observation)
        )
    # ctanb counts the events in each run's GTIs: so does gammapy restricted to them
    counter = MapDatasetMaker(selection=["counts"])
    counts = sum(
        counter.run(MapDataset.create(cube.map.geom), part).counts.data
        for part in in_gti(store.get_observations(CRAB))
    )
    np.testing.assert_array_equal(counts, dataset.counts.data)
    assert np.abs(reference.counts.data - counts).sum() < 20  # events past a GTI's end
    np.testing.assert_allclose(dataset.exposure.data, reference.exposure.data, rtol=1e-6)
    np.testing.assert_allclose(dataset.background.data, reference.background.data, rtol=1e-6)
    # and it fits: the Crab's index, as H.E.S.S. measured it (2.39 +- 0.03 stat, with a cut-off)
    model = SkyModel(
        PowerLawSpectralModel(),
        PointSpatialModel(lon_0=83.63 * u.deg, lat_0=22.01 * u.deg, frame="icrs"),
        name="crab",
    )
    dataset.models = [model, FoVBackgroundModel(dataset_name=dataset.name)]
    assert Fit().run([dataset]).success
    assert 2.3 < model.spectral_model.index.value < 3.1


def test_count_map_without_energy_axis_refuses_irfs(files):
    two_d = make_count_map(files[:1], skydir=CENTRE, width=1 * u.deg, binsz=0.1 * u.deg)
    with pytest.raises(DataError, match="no energy axis"):
        two_d.to_gammapy()
    assert two_d.to_gammapy(irfs=False).counts.data.sum() == two_d.total


@pytest.mark.slow
def test_ogip_files_read_back_by_gammapy(files, tmp_path):
    spectrum = extract_spectrum(files, energy_edges=EDGES)
    pha = spectrum.write_ogip(tmp_path / "ogip")
    assert {p.name for p in pha.parent.iterdir()} == {
        pha.name,
        pha.name.replace(".fits", "_arf.fits"),
        pha.name.replace(".fits", "_bkg.fits"),
        pha.name.replace(".fits", "_rmf.fits"),
    }
    read = SpectrumDatasetOnOff.read(pha, format="ogip")
    safe = read.mask_safe.data.ravel()
    # below the IRFs' safe energy threshold (the QUALITY column) bins are left out of the fit
    assert not safe[0] and safe[1:].all()
    np.testing.assert_array_equal(read.counts.data.ravel()[safe], spectrum.n_on[safe])
    np.testing.assert_array_equal(read.counts_off.data.ravel()[safe], spectrum.n_off[safe])
    assert read.exposure.data.max() > 1e8  # cm2 s: four runs of H.E.S.S.'s area


@pytest.mark.slow
def test_light_curve_fluxes_from_gammapy(files):
    curve = make_light_curve(files, energy_range=(1 * u.TeV, 100 * u.TeV))
    points = curve.estimate_fluxes()
    table = points.to_table(sed_type="flux", format="lightcurve")
    assert len(table) == 4
    np.testing.assert_allclose(table["time_min"], curve.time_min)
    flux = table["flux"].quantity[:, 0].to_value("cm-2 s-1")
    error = table["flux_err"].quantity[:, 0].to_value("cm-2 s-1")
    # the Crab above 1 TeV: 2.26e-11 cm-2 s-1 (H.E.S.S. 2006); H.E.S.S. quotes 20 % flux
    # systematics, and these runs differ in zenith angle and sky: the mean within 20 %,
    # every run within 40 %
    assert abs(flux.mean() / 2.26e-11 - 1) < 0.2
    assert np.all(np.abs(flux / 2.26e-11 - 1) < 0.4)
    assert np.all(error < 0.2 * flux)


@pytest.mark.slow
def test_spectrum_and_lightcurve_commands(files, tmp_path):
    spectrum_out = tmp_path / "spectrum.fits"
    code = main(
        [
            "spectrum",
            *map(str, files[:2]),
            "--out",
            str(spectrum_out),
            "--on-ra",
            "83.633",
            "--on-dec",
            "22.014",
            "--on-radius",
            "0.1",
            "--energy-edges",
            "1,10,100",
            "--ogip",
            str(tmp_path / "ogip"),
        ]
    )
    assert code == 0
    table = Table.read(spectrum_out, hdu="SPECTRUM")
    direct = extract_spectrum(
        files[:2],
        on_region=CircleSkyRegion(CENTRE, 0.1 * u.deg),
        energy_edges=[1, 10, 100] * u.TeV,
    )
    np.testing.assert_array_equal(table["n_on"], direct.n_on)
    assert "PROVENANCE" in fits.open(spectrum_out)
    assert any(p.name.endswith("_rmf.fits") for p in (tmp_path / "ogip").iterdir())

    curve_out, fluxes = tmp_path / "lc.fits", tmp_path / "lc.ecsv"
    code = main(
        [
            "lightcurve",
            *map(str, files),
            "--out",
            str(curve_out),
            "--e-min",
            "1",
            "--time-bins",
            "53343.5,53344.5,53348.5",
            "--fluxes",
            str(fluxes),
        ]
    )
    assert code == 0
    table = Table.read(curve_out, hdu="LIGHTCURVE")
    assert list(table["n_on"]) == list(
        make_light_curve(
            files,
            time_bins=Time([53343.5, 53344.5, 53348.5], format="mjd", scale="tt"),
        ).n_on
    )
    assert len(Table.read(fluxes)) == 2
