"""Exclusion masks: reflected OFF regions avoid known sources, exactly as gammapy's do.

Three fields: the Crab (tests/analysis/test_onoff.py), the crowded Galactic centre of the
CTA 1DC GPS runs, and the H.E.S.S. runs on MSH 15-52 and RX J1713.7-3946. Each run's ON
and OFF counts and alpha equal those of gammapy's ReflectedRegionsBackgroundMaker given
the same mask (the catalogues' default, or the user's).
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from gammapy.data import DataStore
from gammapy.datasets import SpectrumDataset
from gammapy.makers import ReflectedRegionsBackgroundMaker, SpectrumDatasetMaker
from gammapy.maps import MapAxis, RegionGeom
from regions import CircleSkyRegion

from ctanb.analysis import extract_spectrum
from ctanb.analysis.exclusion import catalog_regions, make_exclusion_mask
from ctanb.errors import DataError
from ctanb.prov import replay

from .conftest import gti_parts

EDGES = np.geomspace(0.5, 100, 6) * u.TeV
GALACTIC_CENTRE = SkyCoord(266.4168, -29.0078, unit="deg")  # HESS J1745-290
FIELDS = {
    "msh15-52": ("hess-dl3-dr1", [20136, 20137], SkyCoord(228.6125, -59.2717, unit="deg")),
    "rxj1713": ("hess-dl3-dr1", [20326, 20327], SkyCoord(258.3879, -39.7622, unit="deg")),
    "cta-1dc-galactic-centre": ("cta-1dc/index/gps", [110380, 111140], GALACTIC_CENTRE),
}


def run_files(data_dir, folder, obs_ids):
    store = DataStore.from_dir(data_dir / folder)
    return store, [_events_file(store, o) for o in obs_ids]


def _events_file(store, obs_id):
    return store.hdu_table.hdu_location(obs_id=obs_id, hdu_type="events").path()


def gammapy_per_run(store, obs_ids, on_region, mask):
    axis = MapAxis.from_edges(EDGES, name="energy", interp="log")
    empty = SpectrumDataset.create(geom=RegionGeom.create(region=on_region, axes=[axis]))
    maker = SpectrumDatasetMaker(selection=["counts"])
    background = ReflectedRegionsBackgroundMaker(exclusion_mask=mask)
    rows = []
    for obs_id in obs_ids:
        on = off = 0
        alpha = np.nan
        for part in gti_parts(store.obs(obs_id)):
            dataset = background.run(maker.run(empty.copy(), part), part)
            on = on + dataset.counts.data.ravel()
            off = off + dataset.counts_off.data.ravel()
            alpha = float(dataset.alpha.data.ravel()[0])
        rows.append((on, off, alpha))
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("field", list(FIELDS))
def test_on_off_counts_with_the_catalogue_mask_equal_gammapy(data_dir, field):
    folder, obs_ids, centre = FIELDS[field]
    store, files = run_files(data_dir, folder, obs_ids)
    on_region = CircleSkyRegion(centre, 0.11 * u.deg)
    spectrum = extract_spectrum(files, on_region=on_region, energy_edges=EDGES)
    assert spectrum.record.parameters["exclusion"] == "catalogs"
    mask = make_exclusion_mask(on_region.center)
    assert not mask.data.all()  # known sources in the field
    expected = gammapy_per_run(store, obs_ids, on_region, mask)
    for i, (on, off, alpha) in enumerate(expected):
        np.testing.assert_array_equal(spectrum.per_run_on[i], on)
        np.testing.assert_array_equal(spectrum.per_run_off[i], off)
        assert spectrum.per_run_alpha[i] == pytest.approx(alpha)
    # the mask costs OFF regions in these crowded fields
    unmasked = extract_spectrum(files, on_region=on_region, energy_edges=EDGES, exclusion=None)
    assert np.all(spectrum.per_run_alpha >= unmasked.per_run_alpha)
    assert np.any(spectrum.per_run_alpha > unmasked.per_run_alpha) or field == "rxj1713"


@pytest.mark.slow
def test_user_regions_and_user_masks(data_dir):
    folder, obs_ids, centre = FIELDS["msh15-52"]
    store, files = run_files(data_dir, folder, obs_ids[:1])
    on_region = CircleSkyRegion(centre, 0.11 * u.deg)
    # a region of the user's, on top of the catalogued sources
    extra = CircleSkyRegion(SkyCoord(228.0, -58.4, unit="deg"), 0.4 * u.deg)
    spectrum = extract_spectrum(files, on_region=on_region, energy_edges=EDGES, exclusion=[extra])
    mask = make_exclusion_mask(on_region.center, regions=[extra])
    ((_, off, alpha),) = gammapy_per_run(store, obs_ids[:1], on_region, mask)
    np.testing.assert_array_equal(spectrum.per_run_off[0], off)
    assert spectrum.per_run_alpha[0] == pytest.approx(alpha)
    assert replay(spectrum).checksum() == spectrum.checksum()
    # a whole mask of the user's (a gammapy WcsNDMap) is used as given, and identified
    given = extract_spectrum(files, on_region=on_region, energy_edges=EDGES, exclusion=mask)
    np.testing.assert_array_equal(given.per_run_off, spectrum.per_run_off)
    assert given.record.parameters["exclusion"].startswith("mask:sha256:")
    with pytest.raises(DataError, match="pass the mask as exclusion="):
        replay(given)


def test_catalogue_regions_cover_known_sources(crab_files):
    regions = catalog_regions(SkyCoord(83.633, 22.014, unit="deg"), 1 * u.deg)
    assert regions and all(r.radius >= 0.3 * u.deg for r in regions)
    mask = make_exclusion_mask(SkyCoord(83.633, 22.014, unit="deg"))
    assert not mask.get_by_coord({"skycoord": SkyCoord(83.633, 22.014, unit="deg")})[0]
    assert mask.get_by_coord({"skycoord": SkyCoord(80.0, 22.0, unit="deg")})[0]
    with pytest.raises(ValueError, match="boolean WcsNDMap"):
        extract_spectrum(crab_files[:1], exclusion=mask * 1.0)
