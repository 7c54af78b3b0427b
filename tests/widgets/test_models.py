"""Widget models in Python: footprints, linked selection, forms and error reporting."""

from __future__ import annotations

import numpy as np
import pytest
import pyvo
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

from ctanb.widgets import Explorer, ResultsTable, SkyView
from ctanb.widgets.aladin import LOCAL_SURVEY, asset_dir, assets_installed, install_assets
from ctanb.widgets.forms import ConeSearch, parse_position
from ctanb.widgets.skyview import footprints_of, parse_s_region

from tests_support import CRAB_QUERY, expected_crab_runs, hess_fov_radius


@pytest.fixture(scope="module")
def crab_rows(tap_url) -> Table:
    table = pyvo.dal.TAPService(tap_url).run_sync(CRAB_QUERY).to_table()
    table.meta["adql"] = CRAB_QUERY
    return table


def test_install_assets_is_idempotent(tmp_path):
    target = install_assets(prefix=tmp_path)
    assert target == asset_dir(tmp_path)
    assert assets_installed(tmp_path)
    widget = (target / "widget.js").read_text()
    assert "esm.sh" not in widget and '"./aladin.js"' in widget
    assert (target / "aladin.js").stat().st_size > 2_000_000
    before = {p: p.stat().st_mtime_ns for p in target.rglob("*") if p.is_file()}
    install_assets(prefix=tmp_path)
    after = {p: p.stat().st_mtime_ns for p in target.rglob("*") if p.is_file()}
    assert before == after  # nothing rewritten
    assert len(list((target / "hips" / "Norder3").rglob("Npix*.png"))) == 768
    moc = fits.getdata(target / "hips" / "Moc.fits", 1)
    assert sorted(moc["UNIQ"]) == list(range(4, 16))


def test_parse_s_region():
    assert parse_s_region("CIRCLE ICRS 83.633 22.0145 2.5") == (83.633, 22.0145, 2.5)
    assert parse_s_region("circle 1 -2.5e0 .5") == (1.0, -2.5, 0.5)
    with pytest.raises(Exception, match="CIRCLE"):
        parse_s_region("POLYGON ICRS 1 2 3 4 5 6")


def test_footprints_match_the_pointings(crab_rows, data_dir):
    """Archive s_region circles are centred on each run's pointing, radius = the IRF FoV."""
    index = Table.read(data_dir / "hess-dl3-dr1" / "obs-index.fits.gz")
    by_id = {str(r["OBS_ID"]): r for r in index}
    footprints = footprints_of(crab_rows)
    assert sorted(str(o) for o in crab_rows["obs_id"]) == expected_crab_runs(data_dir)
    for (ra, dec, radius), obs_id in zip(footprints, crab_rows["obs_id"], strict=True):
        row = by_id[str(obs_id)]
        pointing = SkyCoord(row["RA_PNT"], row["DEC_PNT"], unit="deg")
        assert pointing.separation(SkyCoord(ra, dec, unit="deg")).deg < 1e-4
        assert radius == pytest.approx(hess_fov_radius(data_dir), abs=0.01)


def test_skyview_defaults_offline_and_centres(crab_rows):
    view = SkyView(crab_rows)
    assert view.survey == LOCAL_SURVEY
    assert view._init_options["log"] is False
    assert len(view._footprints) == len(crab_rows)
    crab = SkyCoord(83.633, 22.0145, unit="deg")
    assert view.target.separation(crab).deg < 1.0
    view.goto((10.0, 20.0), fov=3)
    assert view.target.ra.deg == pytest.approx(10.0)


def test_footprint_click_and_table_selection_are_one(crab_rows):
    explorer = Explorer()
    explorer.show(crab_rows)
    explorer.table.selected_rows = [0, 2]
    assert explorer.sky._selected_rows == [0, 2]  # highlighted in the view
    explorer.sky._on_ctanb_message(None, {"event_type": "ctanb_footprint_clicked", "row": 1}, [])
    assert explorer.table.selected_rows == [0, 1, 2]
    explorer.sky._on_ctanb_message(None, {"event_type": "ctanb_footprint_clicked", "row": 0}, [])
    assert list(explorer.selected["obs_id"]) == [str(o) for o in crab_rows["obs_id"][[1, 2]]]


def test_count_map_overlay_is_queued_until_loaded(tmp_path):
    view = SkyView()
    header = {
        "CTYPE1": "RA---CAR",
        "CTYPE2": "DEC--CAR",
        "CRVAL1": 83.6,
        "CRVAL2": 22.0,
        "CRPIX1": 5,
        "CRPIX2": 5,
        "CDELT1": -0.1,
        "CDELT2": 0.1,
    }
    hdu = fits.PrimaryHDU(np.ones((10, 10), dtype=np.float32), fits.Header(header))
    path = tmp_path / "counts.fits"
    hdu.writeto(path)
    view.add_count_map(path)
    assert len(view._call_store.calls) == 1  # sent once the view has loaded, to this view only
    assert len(SkyView()._call_store.calls) == 0


def test_parse_position_forms():
    crab = SkyCoord("05h34m31.94s", "+22d00m52.2s")
    for ra, dec in [
        ("05:34:31.94", "+22:00:52.2"),
        ("5h34m31.94s", "22d00m52.2s"),
        (f"{crab.ra.deg}", f"{crab.dec.deg}"),
    ]:
        assert parse_position(ra, dec).separation(crab).arcsec < 0.01
    with pytest.raises(ValueError, match="RA"):
        parse_position("abc", "12")


def test_cone_search_errors_stay_in_the_widget():
    form = ConeSearch(radius=2 * u.deg)
    assert form.submit() is None
    assert "ctanb-error" in form.status.value and "target name or RA/Dec" in form.status.value
    form.ra.value, form.dec.value = "not a number", "1"
    assert form.submit() is None
    assert "cannot read RA" in form.status.value
    form.reset()
    assert form.status.value == "" and form.ra.value == "" and form.radius.value == 1.0


def test_actions_need_a_selection():
    explorer = Explorer()
    assert explorer.actions.run("count_map") is None
    assert "select at least one" in explorer.actions.status.value
    assert explorer.actions.send_table() is None
    assert "run a search first" in explorer.actions.status.value


def test_results_table_default_columns(crab_rows):
    table = ResultsTable(crab_rows)
    assert table.columns == [
        "dataproduct_type",
        "obs_collection",
        "obs_id",
        "target_name",
        "s_ra",
        "s_dec",
    ]
    assert "s_region" in table.available_columns


def test_send_falls_back_to_web_samp_without_a_kernel_hub(crab_rows, tmp_path, monkeypatch):
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{tmp_path}/missing")
    monkeypatch.setenv("HOME", str(tmp_path))
    explorer = Explorer()
    explorer.show(crab_rows)
    url = explorer.actions.send_table()
    request = explorer.actions.web_samp.request
    assert request["messages"][0]["samp.mtype"] == "table.load.votable"
    assert request["messages"][0]["samp.params"]["url"] == url
    assert "Web SAMP" in explorer.actions.status.value
    explorer.table.selected_rows = [0]
    urls = explorer.actions.send_data()
    sent = explorer.actions.web_samp.request["messages"]
    assert [m["samp.params"]["url"] for m in sent] == urls
    assert urls[0].endswith(f"/{crab_rows['obs_collection'][0]}/{crab_rows['obs_id'][0]}") or (
        urls[0] == str(crab_rows["access_url"][0])
    )


def test_cone_search_resolves_and_finds_the_crab_runs(archive_url, data_dir):
    form = ConeSearch(radius=0.1 * u.deg)
    seen = []
    form.on_result(seen.append)
    form.target.value = "Crab"
    coord = form.resolve()
    crab = SkyCoord(83.633, 22.0145, unit="deg")
    assert coord.separation(crab).deg < 0.05
    assert "from " in form.resolved.value and "Crab" in form.resolved.value
    preview = form.adql.value
    assert "INTERSECTS" in preview and "0.1" in preview  # shown before Submit
    table = form.submit()
    assert sorted(str(o) for o in table["obs_id"]) == expected_crab_runs(data_dir)
    assert form.adql.value == str(table.meta["adql"]) == preview
    assert seen == [table]
    # The URL sent over SAMP returns the same rows from the archive.
    import io

    import httpx
    from astropy.io.votable import parse_single_table

    from ctanb.widgets.samp import table_url

    fetched = parse_single_table(io.BytesIO(httpx.get(table_url(table), timeout=30).content))
    assert sorted(str(o) for o in fetched.to_table()["obs_id"]) == expected_crab_runs(data_dir)
    assert (
        "4 observations" in form.status.value or f"{len(table)} observations" in form.status.value
    )


def test_unknown_name_is_reported_in_the_widget(archive_url):
    form = ConeSearch()
    form.target.value = "No Such Source 12345"
    assert form.resolve() is None
    assert "ctanb-error" in form.status.value and "cannot resolve" in form.status.value


def test_count_map_action_keeps_the_product_and_overlays_it(crab_rows):
    explorer = Explorer()
    explorer.show(crab_rows)
    explorer.table.selected_rows = [0, 1]
    product = explorer.actions.run("count_map")
    assert product is not None, explorer.actions.status.value
    assert product.obs_ids == [str(o) for o in crab_rows["obs_id"][:2]]
    assert explorer.products == [product]
    counts = product.value.map
    assert counts.data.sum() > 0
    assert len(explorer.actions.plots.children) == 1  # the bokeh plot
    calls = explorer.sky._call_store.calls  # sent once the view loads
    assert len([call for call in calls if call[2].get("name") == "counts 1"]) == 1
    assert calls[0][0].__name__ == "set_color_map"  # the archive's sky and its layers first
    spectrum = explorer.actions.run("spectrum")
    assert spectrum is not None, explorer.actions.status.value
    assert spectrum.value.n_on.sum() > spectrum.value.background.sum() > 0
    curve = explorer.actions.run("light_curve")
    assert curve is not None, explorer.actions.status.value
    assert len(curve.value.n_on) == 2  # one bin per selected run
    assert len(explorer.products) == 3 and len(explorer.actions.plots.children) == 3
