"""Behind a hub that does not answer: token checks fail with 503 and a clear message."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ctanb.services import hubauth
from ctanb.services.app import create_app
from ctanb.testing import free_port

QUERY = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": "SELECT TOP 1 obs_id FROM ivoa.obscore"}


@pytest.fixture
def app_behind_dead_hub(monkeypatch, ctanb_settings, store):
    monkeypatch.setenv("JUPYTERHUB_API_URL", f"http://127.0.0.1:{free_port()}/hub/api")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "service-token")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_NAME", "ctanb-archive")
    hubauth.hub_identities.cache_clear()
    yield create_app(ctanb_settings, store)
    hubauth.hub_identities.cache_clear()


def test_token_check_with_the_hub_down_is_503_not_500(app_behind_dead_hub):
    client = TestClient(app_behind_dead_hub)
    answer = client.get("/tap/sync", params=QUERY, headers={"Authorization": "token abc"})
    assert answer.status_code == 503
    assert "the hub that checks tokens does not answer" in answer.text
    assert answer.headers["retry-after"] == "10"
    assert "abc" not in answer.text
    # anonymous requests need no hub: public data still flows
    assert client.get("/tap/sync", params=QUERY).status_code == 200


CTA_COUNT = {
    "REQUEST": "doQuery",
    "LANG": "ADQL",
    "QUERY": "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'",
    "RESPONSEFORMAT": "csv",
}


def _ask(client: TestClient, token: str):
    return client.get("/tap/sync", params=CTA_COUNT, headers={"Authorization": f"Bearer {token}"})


def test_local_tokens_keep_working_while_the_hub_is_down(app_behind_dead_hub, store, tokens):
    from datetime import timedelta

    from ctanb.services.tokens import create_token, revoke_tokens, token_hash

    client = TestClient(app_behind_dead_hub)
    member = _ask(client, tokens["alice"])
    assert member.status_code == 200 and member.text.split()[-1] == "4"  # her group's runs
    outsider = _ask(client, tokens["bob"])
    assert outsider.status_code == 200 and outsider.text.split()[-1] == "0"
    # a revoked local token is refused as such (401), not passed on to the dead hub (503)
    revoked = create_token(store, "gina", ["cta-consortium"], expires=timedelta(days=1))
    revoke_tokens(store, token_hash(revoked)[:12])
    answer = _ask(client, revoked)
    assert answer.status_code == 401 and "revoked" in answer.text
