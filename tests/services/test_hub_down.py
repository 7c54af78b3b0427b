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
