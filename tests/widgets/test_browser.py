"""The Explorer in JupyterLab, driven by headless Chromium, with every outside host blocked."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from astropy.io.votable import parse_single_table
from PIL import Image

from tests_support import CRAB_QUERY, expected_crab_runs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SELECTED_RGB = (0xFF, 0xB0, 0x00)  # footprint colour of selected rows (aladin_loader.js)
NORMAL_RGB = (0x4F, 0xA3, 0xFF)


def _pixels_near(png: bytes, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(image - np.array(rgb)).sum(axis=-1) < tolerance).sum())


def _search_ready() -> bool:
    try:
        from ctanb import search
    except ImportError:
        return False
    return all(hasattr(search, n) for n in ("resolve", "cone_search"))


def _analysis_ready() -> bool:
    try:
        from ctanb import analysis
    except ImportError:
        return False
    return hasattr(analysis, "make_count_map")


def _check_offline(browser) -> None:
    assert browser.outside_requests() == []
    assert browser.failed == []
    assert browser.errors == []
    assert not [m for m in browser.console if "Failed to fetch" in m or "esm.sh" in m]


def test_results_sky_selection_and_samp(lab, browser, archive_url, samp_hub, data_dir):
    """Rows and footprints of a real query; ticking rows highlights footprints; SAMP works."""
    notebook = lab.write_notebook(
        "explorer_rows.ipynb",
        [
            "import pyvo\nfrom ctanb.config import get_settings\nfrom ctanb.widgets import Explorer\n"
            f"query = {CRAB_QUERY!r}\n"
            "rows = pyvo.dal.TAPService(get_settings().service_url + '/tap').run_sync(query)"
            ".to_table()\nrows.meta['adql'] = query\n"
            "ex = Explorer()\nex.show(rows)\nex",
            "print('SELECTED', sorted(str(o) for o in ex.selected['obs_id']))",
        ],
    )
    page = browser.page
    browser.open_notebook(lab, notebook)
    browser.run_cell(0)
    crab_runs = expected_crab_runs(data_dir)
    body = page.locator(".ctanb-table tbody tr")
    body.nth(len(crab_runs) - 1).wait_for(timeout=60_000)
    assert body.count() == len(crab_runs)
    assert page.locator(".ctanb-showing").inner_text() == (
        f"Showing 1 to {len(crab_runs)} of {len(crab_runs)} rows"
    )
    sky = page.locator(".aladin-widget").first
    sky.locator("canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    before = sky.screenshot()
    assert _pixels_near(before, NORMAL_RGB) > 100  # footprints drawn
    assert _pixels_near(before, SELECTED_RGB) == 0

    page.locator(".ctanb-select-row").nth(0).check()
    page.locator(".ctanb-select-row").nth(1).check()
    page.wait_for_timeout(1000)
    after = sky.screenshot()
    browser.screenshot("explorer-two-selected")
    assert _pixels_near(after, SELECTED_RGB) > 100  # selected footprints highlighted

    browser.run_cell(1)
    text = browser.cell_output(1, "SELECTED")
    obs_id_column = 1 + 2  # checkbox, dataproduct_type, obs_collection, obs_id
    first_two = sorted(
        page.locator(".ctanb-table tbody tr").nth(i).locator("td").nth(obs_id_column).inner_text()
        for i in (0, 1)
    )
    assert f"SELECTED {first_two!r}" in text  # the ticked rows, as seen by the kernel

    samp_hub.received.clear()
    page.get_by_role("button", name="Send result table").click()
    received = samp_hub.wait(1)
    assert received and received[0][0] == "table.load.votable"
    response = httpx.get(received[0][1]["url"], timeout=30)
    table = parse_single_table(io.BytesIO(response.content)).to_table()
    assert sorted(str(o) for o in table["obs_id"]) == crab_runs
    _check_offline(browser)


@pytest.mark.skipif(
    not (_search_ready() and _analysis_ready()),
    reason="needs ctanb.search (issue 4) and ctanb.analysis (issue 9)",
)
def test_explorer_crab_end_to_end(lab, browser, archive_url, samp_hub, data_dir):
    """Type Crab, resolve, submit, select two runs, make a count map, send the table."""
    notebook = lab.write_notebook(
        "explorer.ipynb",
        [
            "from ctanb.widgets import Explorer\nex = Explorer()\nex",
        ],
    )
    page = browser.page
    browser.open_notebook(lab, notebook)
    browser.run_cell(0)
    target = page.locator(".ctanb-cone-search input[type='text']").first
    target.wait_for(timeout=60_000)
    target.fill("Crab")
    page.get_by_role("button", name="Resolve").click()
    page.locator(".ctanb-resolved").wait_for(timeout=30_000)
    page.get_by_role("button", name="Submit").click()
    crab_runs = expected_crab_runs(data_dir)
    page.locator(".ctanb-table tbody tr").nth(len(crab_runs) - 1).wait_for(timeout=60_000)
    ids = sorted(
        t.split("\t")[2].strip() for t in page.locator(".ctanb-table tbody tr").all_inner_texts()
    )
    assert ids == crab_runs
    page.locator(".ctanb-select-row").nth(0).check()
    page.locator(".ctanb-select-row").nth(1).check()
    sky = page.locator(".aladin-widget").first
    page.wait_for_timeout(1000)
    assert _pixels_near(sky.screenshot(), SELECTED_RGB) > 100
    page.get_by_role("button", name="Create count map(s)").click()
    page.locator(".ctanb-actions .bk-Canvas, .ctanb-actions canvas").first.wait_for(timeout=90_000)
    browser.screenshot("explorer-count-map")
    samp_hub.received.clear()
    page.get_by_role("button", name="Send result table").click()
    received = samp_hub.wait(1)
    assert received and received[0][0] == "table.load.votable"
    response = httpx.get(received[0][1]["url"], timeout=30)
    table = parse_single_table(io.BytesIO(response.content)).to_table()
    assert sorted(str(o) for o in table["obs_id"]) == crab_runs
    _check_offline(browser)
