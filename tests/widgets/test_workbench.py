"""The Explorer as a workbench, driven from Python against the real service and archive.

Search the Crab, select two runs, analyse here and on the service with a chosen geometry,
follow the job, and turn the session into a notebook that nbclient runs again: the
products it makes have the session's checksums.
"""

from __future__ import annotations

import os
import re
import time

import astropy.units as u
import nbformat
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.analysis.specs import CountMapSpec, SpectrumSpec
from ctanb.jobs import JobClient
from ctanb.widgets import Explorer
from ctanb.widgets.skyview import footprints_of
from ctanb.widgets.specform import SpecForm, spec_for_selection

pytestmark = pytest.mark.slow

CRAB = SkyCoord(83.633, 22.0145, unit="deg")


@pytest.fixture(scope="module")
def explorer(archive_url, tokens):
    explorer = Explorer(jobs=JobClient(archive_url, token=tokens["alice"]))
    explorer.search.target.value = "Crab"
    explorer.search.radius.value = 1.0
    assert explorer.search.submit() is not None, explorer.search.status.value
    yield explorer
    if explorer._monitor is not None:
        explorer._monitor.close()


def test_forms_are_filled_from_the_selection(explorer):
    rows = explorer.results
    explorer.table.select(obs_id=[str(o) for o in rows["obs_id"][:2]])
    spec = explorer.actions.forms["count_map"].spec
    assert spec.skydir.separation(CRAB).deg < 0.01  # the resolved target
    # wide enough for both fields of view (pointing offset + FoV radius, each side)
    reach = [
        CRAB.separation(SkyCoord(ra, dec, unit="deg")).deg + radius
        for ra, dec, radius in footprints_of(explorer.selected)
    ]
    assert spec.width.to_value(u.deg) >= 2 * max(reach) - 1e-9
    assert spec.width.to_value(u.deg) < 2 * max(reach) + spec.binsz.to_value(u.deg) + 1e-6
    on = explorer.actions.forms["spectrum"].spec
    assert on.on_centre.separation(CRAB).deg < 0.01


def test_a_form_refuses_what_the_service_refuses():
    form = SpecForm(CountMapSpec)
    form.fields["binsz"].value = "-1"
    with pytest.raises(ValueError, match="binsz"):
        _ = form.spec
    assert "binsz" in form.message.value
    assert set(form.fields["proj"].options) == {"CAR", "TAN", "SIN", "ZEA", "ARC", "STG"}
    # without a selection the spec stays as it was
    assert spec_for_selection(SpectrumSpec, Table(), None) == SpectrumSpec()
    # runs far from the target do not make a sky-sized map
    far = Table({"s_region": ["CIRCLE ICRS 10 0 2.5"]})
    assert spec_for_selection(CountMapSpec, far, CRAB).width == 20 * u.deg


def test_here_and_on_the_service_give_the_same_product_and_a_notebook(
    explorer, tmp_path, tokens, archive_url, monkeypatch
):
    rows = explorer.results
    explorer.table.select(obs_id=[str(o) for o in rows["obs_id"][:2]])
    form = explorer.actions.forms["count_map"]
    form.fields["binsz"].value = "0.05"
    form.fields["width"].value = "3"
    form.fields["energy_edges"].value = "0.5, 5, 100"
    local = explorer.actions.run("count_map", where="here")
    assert local is not None, explorer.actions.status.value
    assert local.value.map.geom.data_shape == (2, 60, 60)
    explorer.actions.where.value = "service"
    assert explorer.actions.run("count_map") is None  # submitted; shown when it ends
    deadline = time.monotonic() + 180
    while len(explorer.products) < 2:
        assert time.monotonic() < deadline, explorer.actions.status.value
        time.sleep(0.5)
    remote = explorer.products[1]
    assert remote.where == "service" and remote.job_id
    assert remote.value.checksum() == local.value.checksum()
    assert remote.value.provenance is not None
    # shown alike: both product views, newest first, with stretch and provenance
    views = explorer.actions.plots.children
    assert [v.product.where for v in views] == ["service", "here"], explorer.actions.status.value
    views[0].provenance.selected_index = 0
    assert "<svg" in views[0].provenance.children[0].value
    # the Jobs tab lists the job
    assert remote.job_id in list(explorer.monitor.table.table["job_id"])

    # the session as a notebook, run again by nbclient: the same checksums
    steps = [s.kind for s in explorer.history.steps]
    assert steps == ["search", "analysis", "analysis"]
    assert "cone_search(" in explorer.history.insert()
    explorer.history.insert_button.click()
    assert explorer.history.code.value == explorer.history.to_script()
    path = explorer.history.export(tmp_path / "session.ipynb")
    notebook = nbformat.read(path, as_version=4)
    from nbclient import NotebookClient

    monkeypatch.setenv("CTANB_TOKEN", tokens["alice"])
    monkeypatch.setenv("CTANB_SERVICE_URL", archive_url)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    found = dict(re.findall(r"(count_map_\d+) (sha256:[0-9a-f]+)", printed))
    assert found == {
        "count_map_1": local.value.checksum(),
        "count_map_2": remote.value.checksum(),
    }
    assert f"{len(rows)} observations" in printed
    assert os.path.exists(path)


def test_spectrum_product_draws_on_and_off_regions(explorer):
    rows = explorer.results
    explorer.table.select(obs_id=[str(o) for o in rows["obs_id"][:2]])
    product = explorer.actions.run("spectrum", where="here")
    assert product is not None, explorer.actions.status.value
    from ctanb.widgets.actions import figure_of

    layout = figure_of(product.value, pointings=product.pointings)
    spectrum, regions = layout.children
    assert spectrum.x_scale.__class__.__name__ == "LogScale"
    legend = {item.label["value"] for item in regions.legend[0].items}
    assert {"ON", "OFF", "pointing"} <= legend
    labels = [r for r in regions.center if r.__class__.__name__ == "LabelSet"]
    assert "Crab nebula" in labels[0].source.data["name"]
    assert np.isfinite(product.value.excess).all()
    # the same spectrum on the service: shown alike, with the worker's checksum
    count = len(explorer.products)
    assert explorer.actions.run("spectrum", where="service") is None
    deadline = time.monotonic() + 180
    while len(explorer.products) == count:
        assert time.monotonic() < deadline, explorer.actions.status.value
        time.sleep(0.5)
    remote = explorer.products[-1]
    assert remote.where == "service" and remote.kind == "spectrum"
    assert remote.value.checksum() == product.value.checksum()
    np.testing.assert_array_equal(remote.value.excess, product.value.excess)
    assert explorer.actions.plots.children[0].product is remote


def test_a_click_on_the_sky_searches_there_and_surveys_go_on_top(explorer):
    click = {"event_type": "click", "content": {"ra": 83.63, "dec": 22.01}}  # from Aladin
    explorer.click_search.value = False
    searches = len(explorer.history.steps)
    explorer.sky._handle_custom_message(None, click, [])
    assert len(explorer.history.steps) == searches  # not asked for
    explorer.click_search.value = True
    explorer.sky._handle_custom_message(None, click, [])
    assert len(explorer.history.steps) == searches + 1
    assert "cone_search(" in explorer.history.steps[-1].code
    assert explorer.search.ra.value == "83.63000" and len(explorer.results) > 0
    explorer.overlay.value = "DSS colour"
    assert explorer.sky.overlay_survey == "https://alasky.cds.unistra.fr/DSS/DSSColor"
    assert explorer.sky.overlay_survey_opacity == 0.5
    explorer.overlay.value = ""
    assert explorer.sky.overlay_survey_opacity == 0.0
