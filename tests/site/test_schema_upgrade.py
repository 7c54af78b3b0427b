"""A store made by the previous release's schema upgrades with nothing lost.

tests/site/data/schema_661d142.sql is the DDL ctanb created at commit 661d142 (before
versions were recorded). A database made from it, with observations copied from the session
store, a local token and jobs (one of them anonymous, as that release recorded them), is
upgraded with ``ctanb db upgrade``; every row, token and job is still there and usable, the
store says its version, and a second upgrade does nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ctanb.errors import ConfigurationError
from ctanb.services import schema
from ctanb.services.store import Store

pytestmark = pytest.mark.slow

OLD_DDL = Path(__file__).parent / "data" / "schema_661d142.sql"
CTA_RUN = "110380"  # proprietary to cta-consortium
HESS_RUNS = ("23523", "23526")


def _create_database(store: Store, name: str) -> str:
    assert store.cluster is not None
    with psycopg.connect(store.cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return store.cluster.conninfo(name)


def _drop_database(store: Store, name: str) -> None:
    assert store.cluster is not None
    with psycopg.connect(store.cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def old_store(store) -> Iterator[tuple[str, dict]]:
    """A database at the 661d142 schema with observations, a token and jobs in it."""
    name = f"ctanb_v1_{secrets.token_hex(4)}"
    conninfo = _create_database(store, name)
    token = secrets.token_urlsafe(32)
    try:
        with psycopg.connect(conninfo) as conn:
            conn.execute("CREATE EXTENSION pg_sphere")
            conn.execute(OLD_DDL.read_text())
            columns = [
                c
                for (c,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    "'archive' AND table_name = 'observation' ORDER BY ordinal_position"
                )
            ]
            wanted = (CTA_RUN, *HESS_RUNS)
            with store.connection() as source:
                rows = source.execute(
                    sql.SQL("SELECT {} FROM archive.observation WHERE obs_id = ANY(%s)").format(
                        sql.SQL(", ").join(map(sql.Identifier, columns))
                    ),
                    (list(wanted),),
                ).fetchall()
            assert len(rows) == 3
            with conn.cursor() as cur:
                cur.executemany(
                    sql.SQL("INSERT INTO archive.observation ({}) VALUES ({})").format(
                        sql.SQL(", ").join(map(sql.Identifier, columns)),
                        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                    ),
                    rows,
                )
            conn.execute(
                "INSERT INTO archive.api_token (token_sha256, name, groups) VALUES (%s, %s, %s)",
                (hashlib.sha256(token.encode()).hexdigest(), "olga", ["cta-consortium"]),
            )
            for job_id, owner, phase in (
                ("oldjob0000000001", "olga", "COMPLETED"),
                ("oldjob0000000002", "anonymous", "PENDING"),
            ):
                conn.execute(
                    "INSERT INTO uws.job (job_id, job_type, owner, groups, phase, parameters, "
                    "destruction, execution_duration, results) VALUES (%s, 'countmap', %s, %s, "
                    "%s, '{\"obs_ids\": \"23523\"}', now() + interval '7 days', 600, "
                    '\'[{"id": "countmap", "path": "/x/countmap.fits"}]\')',
                    (job_id, owner, ["cta-consortium"] if owner == "olga" else [], phase),
                )
        yield conninfo, {"token": token, "name": name}
    finally:
        _drop_database(store, name)


def _snapshot(conninfo: str) -> dict[str, list[tuple]]:
    with psycopg.connect(conninfo) as conn:
        return {
            "observation": conn.execute(
                "SELECT * FROM archive.observation ORDER BY obs_collection, obs_id"
            ).fetchall(),
            "tokens": conn.execute(
                "SELECT token_sha256, name, groups, created FROM archive.api_token ORDER BY 1"
            ).fetchall(),
            "jobs": conn.execute(
                "SELECT job_id, job_type, groups, phase, parameters, created, results "
                "FROM uws.job ORDER BY job_id"
            ).fetchall(),
        }


def _ctanb(conninfo: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CTANB_DATABASE_URL": conninfo}
    env.pop("CTANB_READER_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ctanb.cli", *args], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_a_661d142_store_upgrades_with_nothing_lost(old_store, ctanb_settings):
    from ctanb.services.auth import Identity
    from ctanb.services.tap import run_query
    from ctanb.services.tokens import find_token
    from ctanb.services.uws.service import JobService

    conninfo, made = old_store
    with psycopg.connect(conninfo) as conn:
        assert schema.stored_version(conn) == 1  # an ObsCore table and no version table
    before = _snapshot(conninfo)

    result = _ctanb(conninfo, "db", "upgrade")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"schema version 1 -> {schema.SCHEMA_VERSION}" in result.stdout
    for migration in schema.MIGRATIONS[1:]:
        assert f"applied {migration.version}: {migration.description}" in result.stdout

    after = _snapshot(conninfo)
    assert after["observation"] == before["observation"]
    assert after["tokens"] == before["tokens"]
    assert after["jobs"] == before["jobs"]
    with psycopg.connect(conninfo) as conn:
        assert schema.stored_version(conn) == schema.SCHEMA_VERSION
        versions = conn.execute("SELECT version FROM archive.schema_version ORDER BY 1").fetchall()
        assert [v for (v,) in versions] == [m.version for m in schema.MIGRATIONS]
        owners = dict(conn.execute("SELECT job_id, owner FROM uws.job").fetchall())
    # the anonymous job got an owner of its own (its URL is its capability now)
    assert owners == {
        "oldjob0000000001": "olga",
        "oldjob0000000002": "anonymous:oldjob0000000002",
    }

    upgraded = Store(conninfo)
    try:
        token = find_token(upgraded, made["token"])
        assert token is not None and token.state == "active"
        assert (token.name, sorted(token.groups)) == ("olga", ["cta-consortium"])
        jobs = JobService(upgraded, ctanb_settings)
        olga = Identity("olga", frozenset({"cta-consortium"}))
        assert jobs.job("oldjob0000000001", olga)["phase"] == "COMPLETED"
        # row-level security holds on the upgraded store, through its reader connections
        query = f"SELECT obs_id FROM ivoa.obscore WHERE obs_id IN ('{CTA_RUN}', '23523')"
        anonymous = run_query(upgraded, query).rows
        member = run_query(upgraded, query, groups={"cta-consortium"}).rows
        assert sorted(r[0] for r in anonymous) == ["23523"]
        assert sorted(r[0] for r in member) == [CTA_RUN, "23523"]
    finally:
        upgraded.close()

    again = _ctanb(conninfo, "db", "upgrade")
    assert again.returncode == 0, again.stderr
    assert f"already at schema version {schema.SCHEMA_VERSION}" in again.stdout
    assert _snapshot(conninfo) == after


def test_a_new_store_records_its_version_and_a_newer_one_is_refused(store):
    name = f"ctanb_new_{secrets.token_hex(4)}"
    conninfo = _create_database(store, name)
    try:
        fresh = Store(conninfo)
        assert fresh.initialise() == []  # nothing to migrate: made at the current version
        with psycopg.connect(conninfo) as conn:
            assert schema.stored_version(conn) == schema.SCHEMA_VERSION
            conn.execute(
                "INSERT INTO archive.schema_version (version, description) VALUES (%s, 'future')",
                (schema.SCHEMA_VERSION + 1,),
            )
        with pytest.raises(ConfigurationError, match="newer than this ctanb"):
            fresh.initialise()
        result = _ctanb(conninfo, "db", "upgrade")
        assert result.returncode != 0 and "newer than this ctanb" in result.stderr
    finally:
        _drop_database(store, name)
