"""Asynchronous TAP (UWS 1.1): pyvo's client, ownership, WAIT, abort, and a service crash."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import httpx
import pytest
import pyvo
import requests

from ctanb.config import Settings
from ctanb.testing import ServiceProcess, free_port

from tests_support import CRAB_QUERY, expected_crab_runs

pytestmark = pytest.mark.slow

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
# ~10^8 rows counted: runs for seconds, long enough to be caught EXECUTING
SLOW_QUERY = (
    "SELECT COUNT(*) AS n FROM tap_schema.columns AS a "
    "JOIN tap_schema.columns AS b ON a.column_index >= 0 "
    "JOIN tap_schema.columns AS c ON c.column_index >= 0 "
    "JOIN tap_schema.columns AS d ON d.column_index >= 0"
)


def phase(url: str, job: str, token: str | None = None, **params: str) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    document = httpx.get(f"{url}/tap/async/{job}", params=params, headers=headers, timeout=90)
    return ET.fromstring(document.content).find(f"{UWS}phase").text


def create(url: str, query: str, token: str | None = None, **params: str) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{url}/tap/async", data={"LANG": "ADQL", "QUERY": query, **params}, headers=headers
    )
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 1)[1]


def test_pyvo_runs_the_prototype_query_async(tap_url, data_dir):
    result = pyvo.dal.TAPService(tap_url).run_async(CRAB_QUERY).to_table()
    assert sorted(result["obs_id"]) == expected_crab_runs(data_dir)


def test_a_bad_query_ends_in_error_with_its_message(archive_url):
    job = create(archive_url, "SELECT nosuch FROM ivoa.obscore", PHASE="RUN")
    assert phase(archive_url, job, WAIT="10", PHASE="QUEUED") in ("EXECUTING", "ERROR")
    assert phase(archive_url, job, WAIT="10", PHASE="EXECUTING") == "ERROR"
    error = httpx.get(f"{archive_url}/tap/async/{job}/error")
    assert 'value="ERROR"' in error.text and "nosuch" in error.text


def test_jobs_belong_to_their_owner(archive_url, tokens):
    job = create(archive_url, "SELECT TOP 1 obs_id FROM ivoa.obscore", tokens["alice"])
    bob = {"Authorization": f"Bearer {tokens['bob']}"}
    assert httpx.get(f"{archive_url}/tap/async/{job}", headers=bob).status_code == 404
    assert httpx.delete(f"{archive_url}/tap/async/{job}", headers=bob).status_code == 404
    listing = httpx.get(f"{archive_url}/tap/async", headers=bob).text
    assert job not in listing
    alice = {"Authorization": f"Bearer {tokens['alice']}"}
    assert job in httpx.get(f"{archive_url}/tap/async", headers=alice).text


def test_async_jobs_run_with_their_owners_rights(archive_url, tokens):
    query = "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tokens['alice']}"
    member = pyvo.dal.TAPService(archive_url + "/tap", session=session).run_async(query)
    assert len(member) == 4
    assert len(pyvo.dal.TAPService(archive_url + "/tap").run_async(query)) == 0


def test_wait_returns_on_the_phase_change(archive_url):
    job = create(archive_url, SLOW_QUERY)
    httpx.post(f"{archive_url}/tap/async/{job}/executionduration", data={"EXECUTIONDURATION": "30"})
    httpx.post(f"{archive_url}/tap/async/{job}/phase", data={"PHASE": "RUN"})
    assert phase(archive_url, job, WAIT="10", PHASE="QUEUED") == "EXECUTING"
    start = time.monotonic()
    httpx.post(f"{archive_url}/tap/async/{job}/phase", data={"PHASE": "ABORT"})
    assert phase(archive_url, job) == "ABORTED"
    assert time.monotonic() - start < 1.0
    # a WAIT on a final phase returns at once
    start = time.monotonic()
    assert phase(archive_url, job, WAIT="30") == "ABORTED"
    assert time.monotonic() - start < 1.0


def test_a_service_crash_loses_no_job(store, ctanb_settings):
    settings = Settings(
        home=ctanb_settings.home,
        data_dir=ctanb_settings.data_dir,
        service_url=f"http://127.0.0.1:{free_port()}",
    )
    service = ServiceProcess(settings).start()
    try:
        url = service.url
        pending = create(url, "SELECT TOP 3 obs_id FROM ivoa.obscore ORDER BY obs_id")
        running = create(url, SLOW_QUERY, EXECUTIONDURATION="30")
        httpx.post(f"{url}/tap/async/{running}/executionduration", data={"EXECUTIONDURATION": "30"})
        httpx.post(f"{url}/tap/async/{running}/phase", data={"PHASE": "RUN"})
        assert phase(url, running, WAIT="10", PHASE="QUEUED") == "EXECUTING"
        service.kill()
        service.start()
        assert phase(url, pending) == "PENDING"
        assert phase(url, running) == "ERROR"
        assert "restarted" in httpx.get(f"{url}/tap/async/{running}/error").text
        httpx.post(f"{url}/tap/async/{pending}/phase", data={"PHASE": "RUN"})
        assert phase(url, pending, WAIT="20", PHASE="QUEUED") in ("EXECUTING", "COMPLETED")
        assert phase(url, pending, WAIT="20", PHASE="EXECUTING") == "COMPLETED"
        result = httpx.get(f"{url}/tap/async/{pending}/results/result")
        assert result.text.count("<TR>") == 3
    finally:
        service.stop()
