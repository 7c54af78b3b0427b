"""Local API tokens: expiry, immediate revocation, last use, listing without secrets, reserved
names, and an in-place upgrade of an older store's token table, against the running service."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from ctanb.cli import main
from ctanb.services.store import TOKENS_SQL
from ctanb.services.tokens import (
    TokenError,
    create_token,
    list_tokens,
    parse_expiry,
    token_hash,
)

pytestmark = pytest.mark.slow

# The CTA 1DC runs are proprietary to cta-consortium: a member's count is 4, anyone else's 0.
CTA_COUNT = "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'"


def cta_rows(tap_url: str, token: str) -> httpx.Response:
    return httpx.get(
        tap_url + "/sync",
        params={"LANG": "ADQL", "QUERY": CTA_COUNT, "RESPONSEFORMAT": "csv"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.text.split()[-1])


def test_an_expired_token_is_refused(tap_url, store):
    token = create_token(store, "carol", ["cta-consortium"], expires=timedelta(seconds=2))
    assert count(cta_rows(tap_url, token)) == 4  # valid until it expires
    time.sleep(2.2)
    refused = cta_rows(tap_url, token)
    assert refused.status_code == 401
    assert "this token is expired" in refused.text and "ctanb token create" in refused.text
    assert token not in refused.text


def test_a_revoked_token_is_refused_at_once(tap_url, store, capsys):
    assert main(["token", "create", "dave", "--group", "cta-consortium", "--expires", "1d"]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    token_id = token_hash(token)[:12]
    assert token_id in out.err
    assert count(cta_rows(tap_url, token)) == 4
    assert main(["token", "revoke", token_id]) == 0
    assert "revoked 1 token" in capsys.readouterr().out
    refused = cta_rows(tap_url, token)  # the very next request: no cache lets it through
    assert refused.status_code == 401 and "this token is revoked" in refused.text
    assert main(["token", "revoke", token_id]) == 1  # nothing left to revoke


def test_revoking_a_user_revokes_all_their_tokens(tap_url, store):
    first, second = (create_token(store, "erin", ["cta-consortium"]) for _ in range(2))
    assert main(["token", "revoke", "--user", "erin"]) == 0
    for token in (first, second):
        assert cta_rows(tap_url, token).status_code == 401
    assert list_tokens(store, "erin") == []
    assert {t.state for t in list_tokens(store, "erin", everything=True)} == {"revoked"}


def test_list_shows_users_groups_expiry_and_last_use_never_the_token(tap_url, store, capsys):
    token = create_token(store, "frank", ["cta-consortium", "hess"], expires="2099-01-31")
    (before,) = list_tokens(store, "frank")
    assert before.last_used is None
    assert count(cta_rows(tap_url, token)) == 4
    (used,) = list_tokens(store, "frank")
    assert used.last_used is not None
    assert abs(used.last_used - datetime.now(UTC)) < timedelta(minutes=1)
    count(cta_rows(tap_url, token))  # a second use within the minute writes nothing
    assert list_tokens(store, "frank")[0].last_used == used.last_used

    assert main(["token", "list", "--user", "frank"]) == 0
    text = capsys.readouterr().out
    assert "frank" in text and "cta-consortium,hess" in text and "2099-01-31" in text
    assert used.last_used.strftime("%Y-%m-%d %H:%M") in text and "active" in text
    assert token not in text and token_hash(token) not in text  # only a 12-digit id
    assert token_hash(token)[:12] in text


@pytest.mark.parametrize("name", ["anonymous", "Anonymous", "anonymous:x1y2", " anonymous "])
def test_reserved_names_are_refused(store, capsys, name):
    with pytest.raises(TokenError, match="reserved for callers without a token"):
        create_token(store, name)
    assert main(["token", "create", name]) == 1
    err = capsys.readouterr().err
    assert "reserved for callers without a token: choose another name" in err


def test_expiry_takes_durations_and_dates_with_a_90_day_default():
    now = datetime.now(UTC)
    assert abs(parse_expiry(None) - (now + timedelta(days=90))) < timedelta(seconds=5)
    assert abs(parse_expiry("12h") - (now + timedelta(hours=12))) < timedelta(seconds=5)
    assert abs(parse_expiry("30d") - (now + timedelta(days=30))) < timedelta(seconds=5)
    assert parse_expiry("2099-03-31") == datetime(2099, 3, 31, tzinfo=UTC)
    for bad in ("soon", "-3d", "2001-01-01"):
        with pytest.raises(TokenError, match=r"--expires|already past"):
            parse_expiry(bad)


def test_an_older_token_table_upgrades_in_place(store):
    """A store made before the token life cycle: its tokens get an expiry, none is lost."""
    admin = make_conninfo(store.conninfo, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS token_upgrade")
        conn.execute("CREATE DATABASE token_upgrade")
    try:
        with psycopg.connect(make_conninfo(store.conninfo, dbname="token_upgrade")) as conn:
            conn.execute(
                "CREATE SCHEMA archive; CREATE TABLE archive.api_token (token_sha256 text "
                "PRIMARY KEY, name text NOT NULL, groups text[] NOT NULL DEFAULT '{}', "
                "created timestamptz NOT NULL DEFAULT now());"
                "INSERT INTO archive.api_token VALUES ('abc', 'old', '{g}')"
            )
            conn.execute(TOKENS_SQL)
            conn.execute(TOKENS_SQL)  # idempotent
            row = conn.execute(
                "SELECT name, expires - now(), last_used, revoked FROM archive.api_token"
            ).fetchone()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS token_upgrade")
    assert row[0] == "old" and row[2] is None and row[3] is None
    assert timedelta(days=89) < row[1] <= timedelta(days=90)


def test_a_reserved_name_from_an_older_store_is_refused(tap_url, store):
    """A token named ``anonymous`` made before names were checked cannot pose as anonymous."""
    token = "old-store-token-" + token_hash("seed")[:20]
    with store.connection() as conn:
        conn.execute(
            "INSERT INTO archive.api_token (token_sha256, name, groups) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (token_hash(token), "anonymous", ["cta-consortium"]),
        )
    answer = cta_rows(tap_url, token)
    assert answer.status_code == 401 and "is reserved for callers without a token" in answer.text


@pytest.mark.parametrize("name", ["anonymous", "anonymous:abc"])
def test_a_hub_user_with_a_reserved_name_gets_no_identity(name):
    from ctanb.services.hubauth import HubIdentities

    hub = HubIdentities("http://127.0.0.1:1/hub/api", "service-token", access_scopes=set())
    model = {"kind": "user", "name": name, "groups": ["cta-consortium"]}
    assert hub._identity(model) is None
    assert hub._identity({**model, "name": "carol"}).groups == {"cta-consortium"}
