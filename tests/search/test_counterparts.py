"""Counterparts from other instruments: expectations computed from the catalogue files."""

from __future__ import annotations

import time

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.search import CounterpartError, counterparts
from ctanb.search.simbad import SimbadUnavailableError, simbad_types
from ctanb.testing import free_port

# The Crab pulsar's position (gamma-cat's "Crab nebula" is within 0.01 deg of it)
CRAB = SkyCoord(83.6331 * u.deg, 22.0145 * u.deg)


def catalogue_separation(path, name_column, name, ra="RAJ2000", dec="DEJ2000"):
    """Separation of a named source from CRAB, read with astropy only (no ctanb, no gammapy)."""
    table = Table.read(path, hdu=1) if path.suffix == ".gz" else Table.read(path)
    names = np.char.strip(np.asarray(table[name_column]).astype(str))
    row = table[names == name]
    assert len(row) == 1, f"{name} not found once in {path}"
    position = SkyCoord(float(row[ra][0]) * u.deg, float(row[dec][0]) * u.deg)
    return CRAB.separation(position).deg


def test_crab_counterparts_include_fermi_and_hawc_at_their_separations(data_dir):
    catalogs = data_dir / "catalogs"
    found = counterparts(CRAB, 0.5 * u.deg)
    by_name = {row["source_name"]: row for row in found}

    expected_3fhl = catalogue_separation(
        catalogs / "fermi" / "gll_psch_v13.fit.gz", "Source_Name", "3FHL J0534.5+2201"
    )
    expected_3hwc = catalogue_separation(
        catalogs / "hawc" / "3HWC.ecsv", "source_name", "3HWC J0534+220", "ra", "dec"
    )
    fhl, hwc = by_name["3FHL J0534.5+2201"], by_name["3HWC J0534+220"]
    assert fhl["instrument"] == "Fermi-LAT" and fhl["catalogue"] == "3FHL"
    assert hwc["instrument"] == "HAWC" and hwc["catalogue"] == "3HWC"
    assert fhl["separation"] == pytest.approx(expected_3fhl, abs=1e-6)
    assert hwc["separation"] == pytest.approx(expected_3hwc, abs=1e-6)
    assert found["separation"].unit == u.deg
    assert list(found["separation"]) == sorted(found["separation"])

    # every catalogue contributes the Crab, each with a spectral model that gives a flux
    assert {"gamma-cat", "HGPS", "3FHL", "3FGL", "3HWC", "1LHAASO"} >= set(found["catalogue"])
    assert {"gamma-cat", "3FHL", "3FGL", "3HWC", "1LHAASO"} <= set(found["catalogue"])
    assert {"LHAASO-KM2A", "LHAASO-WCDA"} <= set(found["instrument"])
    flux = hwc["spectral_model"](7 * u.TeV)
    # 3HWC's power law at its pivot energy, 7 TeV: the catalogue's own normalisation
    hawc = Table.read(catalogs / "hawc" / "3HWC.ecsv")
    crab_row = hawc[np.char.strip(np.asarray(hawc["source_name"]).astype(str)) == "3HWC J0534+220"]
    assert flux.to_value("TeV-1 cm-2 s-1") == pytest.approx(float(crab_row["spec0_dnde"][0]))
    assert hwc["model_type"] == "PowerLawSpectralModel"


def test_counterparts_radius_selects_and_empty_field(data_dir):
    near = counterparts(CRAB, 0.05 * u.deg)
    far = counterparts(CRAB, 3 * u.deg)
    assert set(near["source_name"]) < set(far["source_name"])
    assert (near["separation"] <= 0.05).all()
    # a field far from every catalogued source: the Galactic south pole region
    empty = counterparts(SkyCoord(0 * u.deg, -90 * u.deg, frame="galactic"), 0.01 * u.deg)
    assert len(empty) == 0 and empty.colnames == far.colnames


def test_counterparts_of_a_selection_cover_every_run(data_dir):
    runs = Table(
        {"s_ra": [83.633, 83.633], "s_dec": [21.514, 22.514], "s_fov": [5.0, 5.0]},
    )
    found = counterparts(runs)
    assert found.meta["radius"].to_value(u.deg) == pytest.approx(3.0, abs=0.01)
    assert "3HWC J0534+220" in found["source_name"]


def test_counterparts_bad_input_says_what_to_do(data_dir, tmp_path):
    with pytest.raises(CounterpartError, match="radius"):
        counterparts(CRAB)
    with pytest.raises(CounterpartError, match="angle"):
        counterparts(CRAB, 3 * u.m)
    with pytest.raises(CounterpartError, match="unknown catalogues"):
        counterparts(CRAB, 1 * u.deg, catalogues=("2MASS",))
    with pytest.raises(CounterpartError, match="CTANB_CATALOGS"):
        counterparts(CRAB, 1 * u.deg, catalogs_dir=tmp_path)


def test_simbad_offline_says_so_quickly():
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there: as without internet
    started = time.perf_counter()
    with pytest.raises(
        SimbadUnavailableError, match=r"not reachable within 2 s.*offline counterparts"
    ):
        simbad_types(CRAB, 0.1 * u.deg, timeout=2, server=closed)
    assert time.perf_counter() - started < 3
