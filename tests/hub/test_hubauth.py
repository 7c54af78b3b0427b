"""ctanb.services.hubauth against a real hub: tokens made through the hub's REST API."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from ctanb.services import hubauth
from ctanb.services.auth import Identity
from ctanb.services.hubauth import HubIdentities, token_from_headers

pytestmark = [pytest.mark.hub, pytest.mark.slow]

ACCESS = "access:services!service=ctanb-archive"
CTA_QUERY = "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'"


@pytest.fixture(scope="module")
def carol(hub, oidc_provider) -> str:
    """A token for the archive of carol (cta-consortium and hess-analysts at the provider)."""
    assert hub.http_login(oidc_provider, "carol", oidc_provider.password("carol")).status_code < 400
    return hub.token_for("carol", [ACCESS])


@pytest.fixture(scope="module")
def dave(hub, oidc_provider) -> str:
    """A token for the archive of dave (hess-public only: no proprietary data)."""
    assert hub.http_login(oidc_provider, "dave", oidc_provider.password("dave")).status_code < 400
    return hub.token_for("dave", [ACCESS])


@pytest.fixture
def identities(hub) -> HubIdentities:
    return HubIdentities(hub.api_url, hub.admin_token, access_scopes={ACCESS}, cache_max_age=0)


def test_token_gives_name_and_groups(identities, carol, dave):
    assert identities.identity_from_token(carol) == Identity(
        "carol", frozenset({"cta-consortium", "hess-analysts"})
    )
    assert identities.identity_from_token(dave) == Identity("dave", frozenset({"hess-public"}))
    assert asyncio.run(identities.identity_from_token_async(carol)).name == "carol"
    header = {"authorization": f"Bearer {carol}"}
    assert identities.identity_from_headers(header).name == "carol"


def test_forged_and_empty_tokens_give_none(identities, carol):
    assert identities.identity_from_token(secrets.token_hex(16)) is None
    assert identities.identity_from_token(carol[:-2] + "xx") is None
    assert identities.identity_from_token("") is None
    assert identities.identity_from_headers({}) is None


def test_token_without_access_to_the_service_gives_none(hub, identities):
    token = hub.token_for("carol", ["read:users:name!user"])
    assert identities.identity_from_token(token) is None
    # the same token is a valid hub token: accepted when no access scope is asked for
    lenient = HubIdentities(hub.api_url, hub.admin_token, access_scopes=set(), cache_max_age=0)
    assert lenient.identity_from_token(token).name == "carol"


def test_service_tokens_are_not_users(hub, identities):
    assert identities.identity_from_token(hub.admin_token) is None


def test_without_a_hub_everything_is_none(monkeypatch, carol):
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    hubauth.hub_identities.cache_clear()
    try:
        assert HubIdentities.from_env() is None
        assert hubauth.identity_from_token(carol) is None
        assert hubauth.identity_from_headers({"authorization": f"token {carol}"}) is None
    finally:
        hubauth.hub_identities.cache_clear()


def test_from_env_uses_the_service_variables(hub, carol, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_URL", hub.api_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.admin_token)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_NAME", "ctanb-archive")
    monkeypatch.delenv("JUPYTERHUB_OAUTH_ACCESS_SCOPES", raising=False)
    hubauth.hub_identities.cache_clear()
    try:
        assert hubauth.hub_identities().access_scopes == {ACCESS}
        assert hubauth.identity_from_token(carol).groups == {"cta-consortium", "hess-analysts"}
    finally:
        hubauth.hub_identities.cache_clear()


def test_token_from_headers():
    assert token_from_headers({"authorization": "token abc"}) == "abc"
    assert token_from_headers({"Authorization": "Bearer  abc "}) == "abc"
    assert token_from_headers({"authorization": "Basic abc"}) is None
    assert token_from_headers({"cookie": "a=1; t=abc"}, cookie_name="t") == "abc"
    assert token_from_headers({"cookie": "a=1"}, cookie_name="t") is None


def test_the_managed_archive_applies_hub_identities(hub, carol, dave, data_dir):
    """The hub-managed ``ctanb serve`` knows hub users and their groups' rights."""
    from astropy.table import Table

    expected = sorted(
        str(o)
        for o in Table.read(data_dir / "cta-1dc" / "index" / "gps" / "obs-index.fits.gz")["OBS_ID"]
    )

    def query(token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(
            hub.archive_url + "/tap/sync",
            params={"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": CTA_QUERY, "FORMAT": "csv"},
            headers=headers,
            timeout=30,
        )

    def obs_ids(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return sorted(response.text.split()[1:])

    assert obs_ids(query(carol)) == expected  # member of cta-consortium
    assert obs_ids(query(dave)) == []  # a hub user outside cta-consortium
    assert query(secrets.token_hex(16)).status_code == 401  # a token nobody issued
