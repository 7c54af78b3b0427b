"""The workbench path in JupyterLab and headless Chromium, one session, a screenshot a step.

Crab searched -> two runs selected -> a count map with a chosen binsz and energy range run
on the service -> followed in the Jobs tab -> shown with sky axes and the Crab labelled ->
on the archive's coverage HiPS -> the session exported as a notebook, executed again with
the same checksums.
"""

from __future__ import annotations

import contextlib

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETUP = """
from ctanb.jobs import JobClient
from ctanb.widgets import Explorer
ex = Explorer(jobs=JobClient(token={token!r}))
ex
"""

CHECK_PRODUCT = """
view = ex.actions.plots.children[0]
figure = view.product
from ctanb.widgets.actions import figure_of
fig = figure_of(view.product.value)
labels = [r for r in fig.center if type(r).__name__ == 'LabelSet'][0].source.data['name']
print('PRODUCT', view.product.where, view.product.job_id, fig.xaxis[0].axis_label, '|',
      list(fig.xaxis[0].major_label_overrides.values()), '|', list(labels))
print('SHAPE', tuple(int(n) for n in view.product.value.map.geom.data_shape))
"""

RUN_HISTORY = """
import re, nbformat
from nbclient import NotebookClient
notebook = nbformat.read('explorer-session.ipynb', as_version=4)
NotebookClient(notebook, timeout=300, kernel_name='python3').execute()
printed = ''.join(o.get('text', '') for c in notebook.cells if c.cell_type == 'code'
                  for o in c.get('outputs', []))
again = dict(re.findall(r'(count_map_\\d+) (sha256:[0-9a-f]+)', printed))
session = {p.name: p.value.checksum() for p in ex.products}
print('REPLAYED', len(notebook.cells), again == session, sorted(again))
"""


def test_search_select_run_remotely_follow_show_and_replay(lab, browser, tokens, archive_url):
    notebook = lab.write_notebook(
        "workbench.ipynb",
        [SETUP.format(token=tokens["alice"]), CHECK_PRODUCT, RUN_HISTORY],
    )
    page = browser.page
    browser.open_notebook(lab, notebook)
    with contextlib.suppress(Exception):  # JupyterLab sometimes asks for the kernel again
        page.locator(".jp-Dialog .jp-mod-accept", has_text="Select").click(timeout=3000)
    browser.run_cell(0)

    # 1. the Crab, searched from the form
    page.get_by_placeholder("e.g. Crab").first.fill("Crab")
    page.locator(".ctanb-explorer .jupyter-button", has_text="Submit").first.click()
    rows = page.locator(".ctanb-results:not(.ctanb-jobs) .ctanb-table tbody tr")
    rows.nth(1).wait_for(timeout=60_000)
    sky = page.locator(".aladin-widget").first
    sky.locator("canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    browser.screenshot("workbench-1-crab-searched")

    # 2. two runs selected: the forms fill from them
    page.locator(".ctanb-results:not(.ctanb-jobs) .ctanb-select-row").nth(0).check()
    page.locator(".ctanb-results:not(.ctanb-jobs) .ctanb-select-row").nth(1).check()
    width = page.locator(".ctanb-form-countmap .ctanb-param-width input")
    page.wait_for_function(
        "() => document.querySelector('.ctanb-form-countmap .ctanb-param-ra input').value !== ''",
        timeout=20_000,
    )
    assert float(width.input_value().split(",")[0]) > 5  # covers both fields of view
    browser.screenshot("workbench-2-two-selected")

    # 3. a count map with a chosen binsz and energy range, run on the service
    page.locator(".ctanb-form-countmap .ctanb-param-binsz input").fill("0.05")
    page.locator(".ctanb-form-countmap .ctanb-param-width input").fill("3")
    page.locator(".ctanb-form-countmap .ctanb-param-energy_edges input").fill("0.5,5,100")
    page.locator(".ctanb-where .widget-toggle-button", has_text="Run on the service").click()
    page.locator(".ctanb-run").click()
    page.locator(".ctanb-actions .ctanb-info", has_text="submitted").wait_for(timeout=30_000)

    # 4. followed in the Jobs tab
    page.locator(".ctanb-workbench .lm-TabBar-tab", has_text="Jobs").click()
    jobs = page.locator(".ctanb-jobs .ctanb-table tbody tr", has_text="countmap")
    jobs.first.wait_for(timeout=60_000)
    jobs.first.locator("td", has_text="COMPLETED").wait_for(timeout=180_000)
    page.locator(".ctanb-jobs").scroll_into_view_if_needed()
    browser.screenshot("workbench-3-jobs-tab")

    # 5. the product, with sky axes and the Crab labelled
    product = page.locator(".ctanb-product-count_map").first
    product.wait_for(timeout=60_000)
    figure = product.frame_locator("iframe.ctanb-figure").first
    figure.locator(".bk-Canvas, canvas").first.wait_for(timeout=30_000)
    product.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    browser.screenshot("workbench-4-count-map-sky-axes")
    browser.run_cell(1)
    text = browser.cell_output(1, "PRODUCT")
    assert "PRODUCT service" in text and "Right ascension (ICRS)" in text
    assert "Crab nebula" in text and "°" in text
    assert "SHAPE (2, 60, 60)" in browser.cell_output(1, "SHAPE")

    # 6. on the archive's coverage HiPS (tiles and MOC from the service), with the overlay
    base = page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output *')]"
        ".find(e => e.ctanbAladin).ctanbAladin.getBaseImageLayer().url"
    )
    assert base.startswith(archive_url + "/hips")
    tiles = [u for u in browser.requests if u.startswith(archive_url + "/hips/")]
    assert any(u.endswith(".fits") for u in tiles)
    assert any(u.startswith(archive_url + "/moc") for u in browser.requests)
    sky.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    browser.screenshot("workbench-5-coverage-hips")

    # 7. the history exported, then executed: the same checksums
    page.locator(".ctanb-workbench .lm-TabBar-tab", has_text="History").click()
    page.locator(".ctanb-history .jupyter-button", has_text="Export notebook").click()
    page.locator(".ctanb-exported").wait_for(timeout=30_000)
    page.locator(".ctanb-history").scroll_into_view_if_needed()
    browser.screenshot("workbench-6-history-exported")
    browser.run_cell(2)
    text = browser.cell_output(2, "REPLAYED", timeout=300_000)
    assert "True" in text and "count_map_1" in text
    page.locator(".jp-Notebook .jp-Cell").nth(2).scroll_into_view_if_needed()
    browser.screenshot("workbench-7-notebook-replayed")
    assert browser.outside_requests() == []
