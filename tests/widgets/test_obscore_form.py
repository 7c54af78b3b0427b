"""ObsCoreSearch: inputs become constraints; drop-downs list the archive's values."""

from __future__ import annotations

import datetime as dt

import pytest
from astropy import units as u

from ctanb.widgets.obscore_form import SECTIONS, ObsCoreSearch


def test_sections_and_constraints_offline():
    form = ObsCoreSearch(fill=False)
    assert form.accordion.titles == tuple(SECTIONS)
    assert form.constraints() == {}
    low, high, unit = form.inputs["energy"]
    low.value, high.value, unit.value = 500.0, 0.0, "GeV"
    form.inputs["target_name"].value = " Crab "
    start, _end = form.inputs["t_min"]
    start.value = dt.date(2004, 1, 1)
    zlow, zhigh = form.inputs["zenith_angle"]
    zhigh.value = "40"
    got = form.constraints()
    assert got["target"] == "Crab"
    assert got["energy"][0].to_value(u.TeV) == pytest.approx(0.5) and got["energy"][1] is None
    assert got["time"][0].isot.startswith("2004-01-01") and got["time"][1] is None
    assert got["zenith_angle"] == (None, 40 * u.deg)
    # The preview follows the fields, built by ctanb.search.adql.
    assert "target_name = 'Crab'" in form.adql.value
    assert "zenith_angle <= 40" in form.adql.value
    assert "energy_max >= 0.5" in form.adql.value
    zlow.value = "steep"
    assert "not a number" in form.status.value
    form.reset()
    assert form.constraints() == {}


def test_dropdowns_list_the_archive_values(tap_url, store):
    form = ObsCoreSearch(tap_url=tap_url)
    with store.connect() as conn:
        expected = sorted(
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT obs_collection FROM ivoa.obscore WHERE data_rights = 'public'"
            )
        )
    assert expected
    options = list(form.inputs["obs_collection"].options)[1:]
    assert set(expected) <= set(options)
    form.inputs["obs_collection"].value = options[0]
    assert form.constraints()["obs_collection"] == options[0]
