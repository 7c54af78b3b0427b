"""The multi-instrument SED and the counterpart layers, offline, against the catalogue files."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
import pyvo
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.analysis import extract_spectrum
from ctanb.search import counterparts
from ctanb.widgets import SkyView
from ctanb.widgets.counterparts import INSTRUMENT_COLOURS, add_counterparts
from ctanb.widgets.sed import SED_UNIT, flux_points, sed_figure

from tests_support import CRAB_QUERY

CRAB = SkyCoord(83.6331 * u.deg, 22.0145 * u.deg)


@pytest.fixture(scope="module")
def crab_counterparts(data_dir):
    return counterparts(CRAB, 0.2 * u.deg)


def hawc_crab(data_dir):
    table = Table.read(data_dir / "catalogs" / "hawc" / "3HWC.ecsv")
    names = np.char.strip(np.asarray(table["source_name"]).astype(str))
    return table[names == "3HWC J0534+220"][0]


def test_counterpart_layers_one_per_instrument_in_its_colour(crab_counterparts):
    view = SkyView()
    names = add_counterparts(view, crab_counterparts)
    assert {"Fermi-LAT", "HAWC", "LHAASO-WCDA", "LHAASO-KM2A"} <= set(names)
    calls = view._call_store.calls  # sent to the browser once the view has loaded
    assert len(calls) == len(names)
    options = {c[1][0]["options"]["name"]: c[1][0]["options"] for c in calls}
    assert options["HAWC"]["color"] == INSTRUMENT_COLOURS["HAWC"]
    hawc_votable = next(c[2]["buffers"][0] for c in calls if c[1][0]["options"]["name"] == "HAWC")
    assert b"3HWC J0534+220" in hawc_votable and b"3FHL" not in hawc_votable


@pytest.mark.slow
def test_explorer_shows_the_counterparts_of_its_results(tap_url):
    from ctanb.widgets import Explorer

    rows = pyvo.dal.TAPService(tap_url).run_sync(CRAB_QUERY).to_table()
    explorer = Explorer()
    with pytest.raises(ValueError, match="search first"):
        explorer.show_counterparts()
    explorer.show(rows)
    before = len(explorer.sky._call_store.calls)
    shown = explorer.show_counterparts(0.3 * u.deg)
    assert "3HWC J0534+220" in shown["source_name"]
    # the field is centred on the runs' mean pointing, which the Crab runs surround
    assert shown.meta["centre"].separation(CRAB).deg < 1
    layers = explorer.sky._call_store.calls[before:]
    assert {c[1][0]["options"]["name"] for c in layers} == set(shown["instrument"])


@pytest.mark.slow
def test_sed_of_the_crab_against_fermi_hawc_and_lhaaso(crab_files, crab_counterparts, data_dir):
    points = flux_points(extract_spectrum(crab_files))
    fig = sed_figure(points, crab_counterparts)
    lines = {r.name: r for r in fig.renderers if r.name and "(" in r.name}
    assert {"3HWC J0534+220 (3HWC)", "3FHL J0534.5+2201 (3FHL)"} <= set(lines)
    assert any("1LHAASO" in name for name in lines)
    # the HAWC curve is the catalogue's power law: E^2 dnde(7 TeV) (E / 7 TeV)^-index
    row = hawc_crab(data_dir)
    data = lines["3HWC J0534+220 (3HWC)"].data_source.data
    energy = np.asarray(data["x"]) * u.TeV
    expected = (
        energy**2
        * row["spec0_dnde"]
        * u.Unit("TeV-1 cm-2 s-1")
        * (energy / (7 * u.TeV)) ** row["spec0_index"]  # catalogued as a negative slope
    )
    np.testing.assert_allclose(data["y"], expected.to_value(SED_UNIT), rtol=1e-6)
    # the H.E.S.S. Crab flux points lie on HAWC's model within a factor of two (1-10 TeV)
    inside = (points["e_ref"] > 1) & (points["e_ref"] < 10)
    assert inside.sum() >= 4
    model = np.interp(points["e_ref"][inside], energy.value, np.asarray(data["y"]))
    ratio = points["e2dnde"][inside] / model
    assert np.all((ratio > 0.5) & (ratio < 2)), ratio
    assert "ctanb spectrum" in {r.name for r in fig.renderers}
    # the matched source of each catalogue only: 3FGL lists three Crab components
    fgl = [name for name in lines if name.endswith("(3FGL)")]
    nearest = crab_counterparts[crab_counterparts["catalogue"] == "3FGL"][0]["source_name"]
    assert fgl == [f"{nearest} (3FGL)"]
    every = sed_figure(points, crab_counterparts, matched=False)
    assert len([r for r in every.renderers if r.name and r.name.endswith("(3FGL)")]) == 3
