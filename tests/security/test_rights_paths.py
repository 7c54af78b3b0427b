"""Data rights through every path a caller can take to proprietary rows or their files.

The CTA 1DC runs are proprietary to ``cta-consortium``: alice is a member, bob is in no
group. Each path is tried by anonymous, bob, an expired token and a revoked token (of a
member, so the token itself once read the rows), and contrasted with alice's token, which
must see the rows: every check here can fail. ``tests/services/test_rights.py`` covers
tricky sync queries and plain downloads; this file covers the other paths: TAP async,
TAP_SCHEMA and VOSI, downloads and DataLink for expired/revoked tokens, and UWS analysis
inputs by ``obs_ids`` and by ``query``.
"""

from __future__ import annotations

import csv
import io
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest

from ctanb.services.tokens import create_token, revoke_tokens, token_hash

pytestmark = pytest.mark.slow

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
CTA_QUERY = "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'"
OUTSIDERS = ("anonymous", "bob", "expired", "revoked")
TAP_SCHEMA_TABLES = ("schemas", "tables", "columns", "keys", "key_columns")


@pytest.fixture(scope="module")
def callers(store, tokens) -> dict[str, str | None]:
    """Tokens of every kind of caller (None: anonymous)."""
    expired = create_token(store, "expired-member", ["cta-consortium"], timedelta(seconds=1))
    revoked = create_token(store, "revoked-member", ["cta-consortium"], timedelta(days=1))
    assert revoke_tokens(store, token_hash(revoked)[:12]) == 1
    time.sleep(1.1)
    return {
        "anonymous": None,
        "bob": tokens["bob"],
        "expired": expired,
        "revoked": revoked,
        "alice": tokens["alice"],
    }


def http(archive_url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=archive_url, headers=headers, timeout=120)


def rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def sync(client: httpx.Client, query: str) -> httpx.Response:
    return client.get("/tap/sync", params={"LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": "csv"})


@pytest.fixture(scope="module")
def cta(archive_url, callers) -> list[dict[str, str]]:
    """The proprietary rows as the member sees them (4 runs)."""
    found = rows(
        sync(
            http(archive_url, callers["alice"]),
            "SELECT * FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC' ORDER BY obs_id",
        )
    )
    assert len(found) == 4
    return found


def secrets_of(cta: list[dict[str, str]]) -> set[str]:
    """Values that only a reader of the proprietary rows can know."""
    return {r[k] for r in cta for k in ("obs_id", "obs_publisher_did", "access_url")}


def refused(response: httpx.Response, who: str) -> bool:
    """Expired and revoked tokens get 401 saying so; nobody else gets a 401."""
    if who in ("expired", "revoked"):
        return response.status_code == 401 and f"this token is {who}" in response.text
    return response.status_code != 401


# ---------------------------------------------------------------------------- TAP
@pytest.mark.parametrize("who", OUTSIDERS)
def test_tap_sync(archive_url, callers, cta, who):
    answer = sync(http(archive_url, callers[who]), CTA_QUERY)
    assert refused(answer, who)
    if answer.status_code == 200:
        assert rows(answer) == []
    assert {r["obs_id"] for r in rows(sync(http(archive_url, callers["alice"]), CTA_QUERY))} == {
        r["obs_id"] for r in cta
    }


def _async(client: httpx.Client, query: str) -> tuple[int, str]:
    created = client.post(
        "/tap/async", data={"LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": "csv", "PHASE": "RUN"}
    )
    if created.status_code != 303:
        return created.status_code, created.text
    url = "/tap/async/" + created.headers["location"].rsplit("/", 1)[1]
    for _ in range(20):
        job = ET.fromstring(client.get(url, params={"WAIT": "10"}).content)
        if job.find(f"{UWS}phase").text in ("COMPLETED", "ERROR"):
            break
    assert job.find(f"{UWS}phase").text == "COMPLETED", client.get(url + "/error").text
    result = client.get(url + "/results/result")
    return result.status_code, result.text


@pytest.mark.parametrize("who", ["alice", *OUTSIDERS])
def test_tap_async(archive_url, callers, cta, who):
    status, text = _async(http(archive_url, callers[who]), CTA_QUERY)
    if who == "alice":
        assert status == 200 and sorted(text.split()[1:]) == sorted(r["obs_id"] for r in cta)
    elif who in ("expired", "revoked"):
        assert status == 401 and f"this token is {who}" in text
    else:
        assert status == 200 and text.split() == ["obs_id"]


@pytest.mark.parametrize("who", ["anonymous", "bob"])
def test_tap_schema_and_vosi_reveal_no_proprietary_value(archive_url, callers, cta, who):
    client = http(archive_url, callers[who])
    secrets = secrets_of(cta)
    texts = [sync(client, f"SELECT * FROM tap_schema.{t}").text for t in TAP_SCHEMA_TABLES]
    texts += [client.get(f"/tap/{r}").text for r in ("tables", "capabilities", "examples")]
    assert all(len(t) > 100 for t in texts)  # real documents, not errors
    for text in texts:
        assert not {s for s in secrets if s in text}
    # the same table reads as a member do carry them: the check above can fail
    member = sync(http(archive_url, callers["alice"]), "SELECT * FROM ivoa.obscore").text
    assert secrets <= {s for s in secrets if s in member}


# ---------------------------------------------------------------------------- data, DataLink
@pytest.mark.parametrize("who", OUTSIDERS)
def test_downloads(archive_url, callers, cta, who):
    client, member = http(archive_url, callers[who]), http(archive_url, callers["alice"])
    for row in cta:
        path = row["access_url"].removeprefix(archive_url)
        assert path.startswith("/data/CTA-1DC/")
        for variant in (path, path.replace("CTA-1DC", "cta-1dc"), path + "?x=1"):
            answer = client.get(variant)
            assert refused(answer, who) and answer.status_code in (401, 404), variant
            assert b"SIMPLE" not in answer.content[:80]
    with member.stream("GET", cta[0]["access_url"].removeprefix(archive_url)) as allowed:
        assert allowed.status_code == 200 and next(allowed.iter_bytes())[:6] == b"SIMPLE"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_datalink(archive_url, callers, cta, who):
    client, member = http(archive_url, callers[who]), http(archive_url, callers["alice"])
    for row in cta:
        did = row["obs_publisher_did"]
        answer = client.get("/datalink", params={"ID": did})
        assert refused(answer, who)
        if answer.status_code == 200:
            assert "NotFoundFault" in answer.text and "/data/CTA-1DC/" not in answer.text
        links = member.get("/datalink", params={"ID": did}).text
        assert row["access_url"] in links and "NotFoundFault" not in links


# ---------------------------------------------------------------------------- UWS inputs
def _copy_job(client: httpx.Client, **params: str) -> tuple[int, str, set[str]]:
    """Run a copy job; return (HTTP status of creation, final phase, result ids)."""
    created = client.post("/uws/copy", data={**params, "PHASE": "RUN"})
    if created.status_code != 303:
        return created.status_code, created.text, set()
    url = "/uws/copy/" + created.headers["location"].rsplit("/", 1)[1]
    for _ in range(30):
        job = ET.fromstring(client.get(url, params={"WAIT": "10"}).content)
        phase = job.find(f"{UWS}phase").text
        if phase in ("COMPLETED", "ERROR", "ABORTED"):
            break
    results = {r.get("id") for r in job.iter(f"{UWS}result")}
    for result in results:  # every listed result is the caller's to read
        assert client.get(f"{url}/results/{result}").status_code == 200
    error = client.get(url + "/error").text if phase == "ERROR" else ""
    return created.status_code, phase + error, results


@pytest.mark.parametrize("who", OUTSIDERS)
def test_uws_inputs_by_obs_ids(archive_url, callers, cta, who):
    obs_id = cta[0]["obs_id"]
    status, phase, results = _copy_job(http(archive_url, callers[who]), obs_ids=obs_id)
    if who in ("expired", "revoked"):
        assert status == 401 and f"this token is {who}" in phase
    else:
        assert phase.startswith("ERROR") and "not yours to read" in phase and not results
    member = _copy_job(http(archive_url, callers["alice"]), obs_ids=obs_id)
    assert member[1] == "COMPLETED" and member[2] == {f"events_{obs_id}"}


@pytest.mark.parametrize("who", OUTSIDERS)
def test_uws_inputs_by_query(archive_url, callers, cta, who):
    """A query naming one public and one proprietary run copies only what the caller reads."""
    obs_id = cta[0]["obs_id"]
    query = f"SELECT obs_id FROM ivoa.obscore WHERE obs_id IN ('23523', '{obs_id}')"
    status, phase, results = _copy_job(http(archive_url, callers[who]), query=query)
    if who in ("expired", "revoked"):
        assert status == 401 and f"this token is {who}" in phase
    else:
        assert phase == "COMPLETED" and results == {"events_23523"}
    status, phase, results = _copy_job(http(archive_url, callers[who]), query=CTA_QUERY)
    if who not in ("expired", "revoked"):
        assert phase.startswith("ERROR") and "selected no observation" in phase
    member = _copy_job(http(archive_url, callers["alice"]), query=query)
    assert member[1] == "COMPLETED" and member[2] == {"events_23523", f"events_{obs_id}"}
