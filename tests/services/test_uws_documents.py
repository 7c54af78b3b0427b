"""UWS 1.1 documents of the running service, read back with pyvo's UWS parser."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import httpx
import pytest
from astropy.io.votable import parse_single_table
from pyvo.io.uws import parse_job, parse_job_list

pytestmark = pytest.mark.slow

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
QUERY = "SELECT TOP 2 obs_id FROM ivoa.obscore WHERE target_name <> 'a<b & \"c\"'"


def _submit(archive_url: str, headers: dict[str, str], query: str, **params: str) -> str:
    answer = httpx.post(
        f"{archive_url}/tap/async",
        data={"LANG": "ADQL", "QUERY": query, "RUNID": "run <1> & 'two'", **params},
        headers=headers,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


def _job(archive_url: str, job_id: str, headers: dict[str, str], **params: str):
    answer = httpx.get(f"{archive_url}/tap/async/{job_id}", params=params, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/xml")
    return parse_job(io.BytesIO(answer.content))


def test_pending_job_and_job_list_parse_with_pyvo(archive_url, tokens):
    alice = {"Authorization": f"Bearer {tokens['alice']}"}
    job_id = _submit(archive_url, alice, QUERY)
    job = _job(archive_url, job_id, alice)
    assert job.jobid == job_id and job.phase == "PENDING" and job.ownerid == "alice"
    assert job.runid == "run <1> & 'two'"
    parameters = {p.id_: p.content for p in job.parameters}
    assert parameters["query"] == QUERY and parameters["lang"] == "ADQL"
    assert job.starttime is None and job.endtime is None and job.errorsummary is None
    assert job.destruction > job.creationtime and job.executionduration > 0
    listing = httpx.get(f"{archive_url}/tap/async", headers=alice)
    refs = {ref.jobid: ref for ref in parse_job_list(io.BytesIO(listing.content))}
    assert refs[job_id].phase == "PENDING" and refs[job_id].ownerid == "alice"
    # the parameters item is a document of its own, with its namespace
    item = httpx.get(f"{archive_url}/tap/async/{job_id}/parameters", headers=alice)
    root = ET.fromstring(item.content)
    assert root.tag == f"{UWS}parameters"
    assert {p.get("id"): p.text for p in root}["query"] == QUERY


def test_completed_and_failed_jobs_parse_with_pyvo(archive_url, tmp_path):
    job_id = _submit(archive_url, {}, QUERY, PHASE="RUN")
    job = _job(archive_url, job_id, {}, WAIT="30", PHASE="QUEUED")
    if job.phase == "EXECUTING":
        job = _job(archive_url, job_id, {}, WAIT="30", PHASE="EXECUTING")
    assert job.phase == "COMPLETED" and job.ownerid == "anonymous"
    assert job.starttime <= job.endtime
    (result,) = job.results
    assert result.id_ == "result" and result.href.endswith(f"/tap/async/{job_id}/results/result")
    (tmp_path / "result.xml").write_bytes(httpx.get(result.href).content)
    assert len(parse_single_table(str(tmp_path / "result.xml")).to_table()) == 2
    results = httpx.get(f"{archive_url}/tap/async/{job_id}/results")
    assert [r.get("id") for r in ET.fromstring(results.content)] == ["result"]

    failed_id = _submit(archive_url, {}, "SELECT nosuch FROM ivoa.obscore", PHASE="RUN")
    failed = _job(archive_url, failed_id, {}, WAIT="30", PHASE="QUEUED")
    if failed.phase == "EXECUTING":
        failed = _job(archive_url, failed_id, {}, WAIT="30", PHASE="EXECUTING")
    assert failed.phase == "ERROR" and not failed.results
    assert "nosuch" in failed.errorsummary.message.content
    assert failed.errorsummary.type_ == "fatal"
