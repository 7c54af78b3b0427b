"""Job tokens (lent to dask workers elsewhere) read a job owner's runs, and nothing more."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ctanb.services.jobtoken import PREFIX, mint_job_token

pytestmark = pytest.mark.slow

PROPRIETARY = "/data/CTA-1DC/110380"


def _get(url: str, token: str, **kwargs) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)


def test_a_job_token_downloads_its_owners_runs_only(archive_url, ctanb_settings):
    member = mint_job_token(ctanb_settings, "j1", ["cta-consortium"], lifetime_s=60)
    outsider = mint_job_token(ctanb_settings, "j2", [], lifetime_s=60)
    assert _get(archive_url + PROPRIETARY, member).status_code == 200
    assert _get(archive_url + PROPRIETARY, outsider).status_code == 404


def test_a_job_token_opens_nothing_but_downloads(archive_url, ctanb_settings):
    token = mint_job_token(ctanb_settings, "j3", ["cta-consortium"], lifetime_s=60)
    headers = {"Authorization": f"Bearer {token}"}
    query = {"LANG": "ADQL", "QUERY": "SELECT obs_id FROM ivoa.obscore"}
    assert httpx.get(archive_url + "/tap/sync", params=query, headers=headers).status_code == 401
    assert httpx.get(archive_url + "/uws/countmap", headers=headers).status_code == 401
    created = httpx.post(archive_url + "/uws/copy", data={"obs_ids": "110380"}, headers=headers)
    assert created.status_code == 401
    listed = httpx.get(archive_url + "/datalink", params={"ID": "ivo://ctanb/x"}, headers=headers)
    assert listed.status_code == 401


def test_expired_forged_and_tampered_job_tokens_are_refused(archive_url, ctanb_settings, tmp_path):
    from ctanb.config import Settings

    expired = mint_job_token(ctanb_settings, "j4", ["cta-consortium"], lifetime_s=-1)
    assert _get(archive_url + PROPRIETARY, expired).status_code == 401
    # signed with another key (another site's home)
    other = Settings(home=tmp_path, data_dir=ctanb_settings.data_dir)
    forged = mint_job_token(other, "j5", ["cta-consortium"], lifetime_s=60)
    assert _get(archive_url + PROPRIETARY, forged).status_code == 401
    # an outsider's token whose groups are rewritten keeps the old signature
    token = mint_job_token(ctanb_settings, "j6", [], lifetime_s=60)
    body, _, signature = token[len(PREFIX) :].partition(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["groups"] = ["cta-consortium"]
    rewritten = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert _get(archive_url + PROPRIETARY, f"{PREFIX}{rewritten}.{signature}").status_code == 401
    for junk in (PREFIX, PREFIX + "...", PREFIX + "a.b", PREFIX + "%%%.%%%"):
        assert _get(archive_url + PROPRIETARY, junk).status_code == 401
