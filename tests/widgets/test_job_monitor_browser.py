"""The JobMonitor in JupyterLab, driven by headless Chromium: its buttons act on real jobs."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_job_monitor_buttons_start_and_delete_a_job(lab, browser, tokens, archive_url):
    notebook = lab.write_notebook(
        "jobs.ipynb",
        [
            "from ctanb.jobs import JobClient, JobMonitor\n"
            f"client = JobClient(token={tokens['alice']!r})\n"
            "job = client.submit('copy', run=False, obs_ids=[23523])\n"
            "monitor = JobMonitor(client, job_types=('copy',))\n"
            "monitor.chooser.value = job.job_id\n"
            "print('JOB', job.job_id)\n"
            "monitor",
            "print('PHASE', client.get('copy', job.job_id).phase)",
        ],
    )
    page = browser.page
    browser.open_notebook(lab, notebook)
    browser.run_cell(0)
    page.locator(".ctanb-jobs").wait_for(timeout=60_000)
    browser.cell_output(0, "JOB")
    outputs = page.locator(".jp-Notebook .jp-Cell").nth(0).locator(".jp-OutputArea-output")
    printed = next(text for text in outputs.all_inner_texts() if text.startswith("JOB"))
    job_id = printed.split()[1]
    row = page.locator(".ctanb-jobs tr", has_text=job_id)
    assert "PENDING" in row.inner_text()
    page.locator(".jupyter-button[title='Start']").click()
    row.locator("td", has_text="COMPLETED").wait_for(timeout=60_000)  # followed by WAIT
    browser.screenshot("job-monitor-completed")
    browser.run_cell(1)
    assert "PHASE COMPLETED" in browser.cell_output(1, "PHASE")
    page.locator(".jupyter-button[title='Delete']").click()
    page.wait_for_function(
        "(id) => !document.querySelector('.ctanb-jobs').innerText.includes(id)",
        arg=job_id,
        timeout=30_000,
    )
    assert browser.outside_requests() == []
