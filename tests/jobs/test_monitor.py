"""The JobMonitor widget against the real job service (its model, driven from Python)."""

from __future__ import annotations

import time

import pytest

from ctanb.jobs import JobClient, JobMonitor

pytestmark = pytest.mark.slow


def test_monitor_lists_follows_and_acts(archive_url, tokens):
    client = JobClient(archive_url, token=tokens["alice"])
    pending = client.submit("copy", run=False, obs_ids=[23523])
    monitor = JobMonitor(client, job_types=("copy",))
    try:
        assert pending.job_id in monitor.jobs
        rows = {row["job_id"]: row for row in monitor.table.table}
        assert rows[pending.job_id]["phase"] == "PENDING"
        assert rows[pending.job_id]["owner"] == "alice"
        # the same paged, sortable table as search results; a row picks the job
        monitor.table.select(job_id=[pending.job_id])
        assert monitor.chooser.value == pending.job_id
        assert "obs_ids = 23523" in monitor.details.value
        monitor.start_button.click()
        deadline = time.monotonic() + 60
        while monitor.jobs[pending.job_id].phase != "COMPLETED":  # kept live by WAIT
            assert time.monotonic() < deadline, monitor.jobs[pending.job_id]
            time.sleep(0.2)
        assert "events_23523" in monitor.details.value
        monitor.phase_filter.value = "PENDING"
        assert pending.job_id not in monitor.table.table["job_id"]
        monitor.phase_filter.value = "COMPLETED"
        assert pending.job_id in monitor.table.table["job_id"]
        monitor.owner_filter.value = "bob"
        assert len(monitor.table.table) == 0
        monitor.owner_filter.value = ""
        row = list(monitor.table.table["job_id"]).index(pending.job_id)
        assert monitor.table.table["duration_s"][row] >= 0
        monitor.delete_button.click()
        assert pending.job_id not in monitor.jobs
    finally:
        monitor.close()


def test_monitor_opens_a_count_map_inline(archive_url, tokens):
    client = JobClient(archive_url, token=tokens["alice"])
    job = client.wait(client.submit("countmap", obs_ids=[23523], width=2, binsz=0.1))
    monitor = JobMonitor(client, job_types=("countmap",), live=False)
    product = monitor.show_product(job.job_id)
    _plot, graph = monitor.product_view.children
    assert product.map.data.sum() > 0 and "<svg" in graph.value
