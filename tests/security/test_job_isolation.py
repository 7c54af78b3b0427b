"""Job isolation: no caller lists, reads, changes, aborts or deletes another caller's jobs.

Design under test (see SECURITY.md): an authenticated caller reaches only the jobs it owns.
Each anonymous job has an owner of its own (``anonymous:<random>``), the anonymous job list
is empty, and the job URL, with 144 random bits in its id, is the one capability to an
anonymous job. Through ``/tap/async`` and ``/uws/<type>`` alike.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import httpx
import pytest

pytestmark = pytest.mark.slow

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
PUBLIC_QUERY = "SELECT TOP 2 obs_id FROM ivoa.obscore WHERE obs_collection = 'HESS-DL3-DR1'"
# ~10^8 rows counted: longer than one second (tests/services/test_tap_async.py)
SLOW_QUERY = (
    "SELECT COUNT(*) AS n FROM tap_schema.columns AS a "
    "JOIN tap_schema.columns AS b ON a.column_index >= 0 "
    "JOIN tap_schema.columns AS c ON c.column_index >= 0 "
    "JOIN tap_schema.columns AS d ON d.column_index >= 0"
)


def client(archive_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=archive_url, headers=headers, timeout=90)


def submit(http: httpx.Client, path: str, **params: str) -> str:
    response = http.post(path, data=params)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def wait_final(http: httpx.Client, url: str) -> ET.Element:
    for _ in range(30):
        job = ET.fromstring(http.get(url, params={"WAIT": "10"}).content)
        if job.find(f"{UWS}phase").text in ("COMPLETED", "ERROR", "ABORTED"):
            return job
    raise AssertionError(f"{url} did not finish")


def listed(http: httpx.Client, path: str) -> set[str]:
    jobs = ET.fromstring(http.get(path).content)
    return {ref.get("id") for ref in jobs.iter(f"{UWS}jobref")}


def outsider_is_refused(http: httpx.Client, url: str) -> None:
    """Every way to read, change, abort or delete the job at ``url`` answers 404."""
    for item in ("", "/phase", "/parameters", "/results", "/results/result", "/error", "/owner"):
        assert http.get(url + item).status_code == 404, item
    assert http.get(url, params={"WAIT": "1"}).status_code == 404
    assert http.post(url + "/phase", data={"PHASE": "ABORT"}).status_code == 404
    assert http.post(url + "/phase", data={"PHASE": "RUN"}).status_code == 404
    assert http.post(url + "/executionduration", data={"EXECUTIONDURATION": "1"}).status_code == 404
    assert http.post(url + "/destruction", data={"DESTRUCTION": "2000-01-01"}).status_code == 404
    assert http.post(url + "/parameters", data={"QUERY": "SELECT 1"}).status_code == 404
    assert http.post(url, data={"QUERY": "SELECT 1"}).status_code == 404
    assert http.post(url, data={"ACTION": "DELETE"}).status_code == 404
    assert http.delete(url).status_code == 404


@pytest.fixture(scope="module")
def anonymous_jobs(archive_url):
    """Caller A (no token) has a finished /tap/async job and a pending /uws/copy job."""
    a = client(archive_url)
    tap = submit(a, "/tap/async", LANG="ADQL", QUERY=PUBLIC_QUERY, PHASE="RUN")
    assert wait_final(a, f"/tap/async/{tap}").find(f"{UWS}phase").text == "COMPLETED"
    copy = submit(a, "/uws/copy", obs_ids="23523")
    return {"/tap/async": tap, "/uws/copy": copy}


@pytest.mark.parametrize("path", ["/tap/async", "/uws/copy"])
def test_anonymous_callers_do_not_see_each_others_jobs(archive_url, tokens, anonymous_jobs, path):
    job_id = anonymous_jobs[path]
    a, b = client(archive_url), client(archive_url)
    # unguessable ids: 24 URL-safe characters (144 random bits), all different
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", job_id)
    params = {"LANG": "ADQL", "QUERY": "SELECT 1"} if path == "/tap/async" else {"obs_ids": "1"}
    assert len({submit(b, path, **params) for _ in range(3)}) == 3
    # no anonymous job list: neither B nor A itself lists anything, nor does a member
    assert listed(b, path) == set() and listed(a, path) == set()
    assert job_id not in listed(client(archive_url, tokens["alice"]), path)
    # B probing ids next to A's reaches nothing
    for probe in (job_id[:-1] + ("A" if job_id[-1] != "A" else "B"), job_id[:16], job_id.upper()):
        if probe != job_id:
            assert b.get(f"{path}/{probe}").status_code == 404
    # nothing B can read names A's job: its owner shows as plain "anonymous"
    document = ET.fromstring(a.get(f"{path}/{job_id}").content)
    assert document.find(f"{UWS}ownerId").text == "anonymous"
    assert a.get(f"{path}/{job_id}/owner").text == "anonymous"


def test_an_anonymous_job_url_is_its_capability(archive_url, anonymous_jobs):
    a = client(archive_url)
    tap = anonymous_jobs["/tap/async"]
    result = a.get(f"/tap/async/{tap}/results/result")
    assert result.status_code == 200 and result.text.count("<TR>") == 2
    copy = anonymous_jobs["/uws/copy"]
    assert a.post(f"/uws/copy/{copy}/phase", data={"PHASE": "ABORT"}).status_code == 303
    assert a.get(f"/uws/copy/{copy}/phase").text == "ABORTED"
    assert a.delete(f"/uws/copy/{copy}").status_code == 303
    assert a.get(f"/uws/copy/{copy}").status_code == 404


@pytest.mark.parametrize("path", ["/tap/async", "/uws/copy"])
def test_bob_and_anonymous_cannot_touch_alices_jobs(archive_url, tokens, path):
    alice, bob, anonymous = (
        client(archive_url, tokens["alice"]),
        client(archive_url, tokens["bob"]),
        client(archive_url),
    )
    cta = "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'"
    if path == "/tap/async":
        job_id = submit(alice, path, LANG="ADQL", QUERY=cta, PHASE="RUN")
        assert wait_final(alice, f"{path}/{job_id}").find(f"{UWS}phase").text == "COMPLETED"
    else:
        job_id = submit(alice, path, obs_ids="110380", sleep="1")  # her group's run, PENDING
    url = f"{path}/{job_id}"
    assert job_id in listed(alice, path)  # the owner does see it: the checks below can fail
    for outsider in (bob, anonymous):
        assert job_id not in listed(outsider, path)
        outsider_is_refused(outsider, url)
    # the job is untouched: same phase, parameters, and (TAP) the member's four CTA runs
    document = ET.fromstring(alice.get(url).content)
    assert document.find(f"{UWS}ownerId").text == "alice"
    if path == "/tap/async":
        assert document.find(f"{UWS}phase").text == "COMPLETED"
        assert alice.get(url + "/results/result").text.count("<TR>") == 4
    else:
        assert document.find(f"{UWS}phase").text == "PENDING"
        assert "110380" in alice.get(url + "/parameters").text
    assert alice.delete(url).status_code == 303


def test_an_async_query_runs_with_the_jobs_own_timeout(archive_url):
    """A TAP job's statement timeout is its execution duration (here 1 s), not the sync one."""
    a = client(archive_url)
    job_id = submit(a, "/tap/async", LANG="ADQL", QUERY=SLOW_QUERY)
    a.post(f"/tap/async/{job_id}/executionduration", data={"EXECUTIONDURATION": "1"})
    assert a.get(f"/tap/async/{job_id}/executionduration").text == "1"
    a.post(f"/tap/async/{job_id}/phase", data={"PHASE": "RUN"})
    job = wait_final(a, f"/tap/async/{job_id}")
    assert job.find(f"{UWS}phase").text == "ERROR"
    assert "statement timeout" in a.get(f"/tap/async/{job_id}/error").text


def test_a_notebook_still_lists_its_own_anonymous_jobs(archive_url):
    """The service lists none, so JobClient (and JobMonitor) remember this kernel's jobs."""
    from ctanb.jobs import JobClient

    mine = JobClient(archive_url, token="").submit("copy", run=False, obs_ids=[23523])
    assert mine.job_id in {j.job_id for j in JobClient(archive_url, token="").list("copy")}
    assert mine.job_id not in listed(client(archive_url), "/uws/copy")
    JobClient(archive_url, token="").delete(mine)
    assert mine.job_id not in {j.job_id for j in JobClient(archive_url, token="").list("copy")}
