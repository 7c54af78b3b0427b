"""The reader role holds whatever SQL reaches it: tested on the store, below the ADQL layer.

These statements are what an attacker would run if text ever slipped past the ADQL
translator. Each runs through ``Store.run_user_query`` (the one place user SQL runs) as an
anonymous caller, and each must fail or show nothing: so no single bug above the store
reaches the data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg
import pytest

from ctanb.services.store import READER_ROLE

pytestmark = pytest.mark.slow


def run(store, statement, groups=(), timeout_ms=None):
    return store.run_user_query(statement, groups, timeout_ms=timeout_ms, max_rows=10_000)


def proprietary_obs_ids(store) -> set[str]:
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT obs_id FROM archive.observation WHERE data_rights = 'proprietary'"
        ).fetchall()
    assert rows, "the test archive must hold proprietary runs"
    return {r[0] for r in rows}


def test_user_sql_runs_as_the_reader_and_nothing_else(store):
    _, rows = run(store, "SELECT current_user, session_user")
    assert rows == [(READER_ROLE, READER_ROLE)]
    with store.connection() as conn:
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls, rolinherit, rolcreaterole, rolcreatedb, "
            "rolcanlogin FROM pg_roles WHERE rolname = %s",
            (READER_ROLE,),
        ).fetchone()
        member_of = conn.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member "
            "WHERE u.rolname = %s",
            (READER_ROLE,),
        ).fetchone()
    assert role == (False, False, False, False, False, True)
    assert member_of == (0,)


@pytest.mark.parametrize(
    "statement",
    [
        "RESET ROLE",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "SELECT 1; RESET ROLE; SELECT current_user",
        "SELECT obs_id FROM ivoa.obscore; SET ctanb.groups = 'cta-consortium'",
        "SET LOCAL ctanb.groups = 'cta-consortium'",
    ],
)
def test_role_and_statement_tricks_are_refused(store, statement):
    with pytest.raises(psycopg.Error):
        run(store, statement)
    # and the connection that refused it is still the reader's
    assert run(store, "SELECT current_user")[1] == [(READER_ROLE,)]


def test_a_query_cannot_set_its_own_groups(store):
    secret = proprietary_obs_ids(store)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run(
            store,
            "SELECT obs_id FROM ivoa.obscore "
            "WHERE set_config('ctanb.groups', 'cta-consortium', true) IS NOT NULL",
        )
    # the same rows are there for a member: the refusal above is what protects them
    _, rows = run(store, "SELECT obs_id FROM ivoa.obscore", groups=["cta-consortium"])
    assert secret <= {r[0] for r in rows}
    _, rows = run(store, "SELECT obs_id FROM ivoa.obscore")
    assert not secret & {r[0] for r in rows}


def test_no_file_paths_tokens_or_jobs(store):
    for statement in (
        "SELECT file_path FROM archive.observation",
        "SELECT * FROM archive.api_token",
        "SELECT * FROM uws.job",
    ):
        with pytest.raises(psycopg.Error):
            run(store, statement)


def test_no_files_programs_or_other_servers(store):
    marker = Path(tempfile.gettempdir()) / f"ctanb-pwned-{os.getpid()}"
    for statement in (
        f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
        f"COPY (SELECT 1) TO '{marker}'",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_ls_dir('.')",
        "SELECT lo_import('/etc/passwd')",
        "CREATE EXTENSION dblink",
        "SELECT dblink('dbname=ctanb user=postgres', 'SELECT file_path FROM archive.observation')",
        "CREATE TABLE ivoa.pwned (x int)",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
        "SELECT query FROM pg_stat_activity WHERE query <> ''",
    ):
        try:
            _, rows = run(store, statement)
        except psycopg.Error:
            continue
        # pg_stat_activity may be readable, but not other sessions' query text
        assert all(not r or r[0] in (None, "", "<insufficient privilege>") for r in rows), (
            statement,
            rows,
        )
    assert not marker.exists()


def test_statement_timeout_holds(store):
    with pytest.raises(psycopg.errors.QueryCanceled):
        run(store, "SELECT pg_sleep(5)", timeout_ms=300)
    with pytest.raises(psycopg.Error):
        # a query cannot lift its own timeout: SET is refused as a second statement
        run(store, "SELECT 1; SET statement_timeout = 0; SELECT pg_sleep(5)", timeout_ms=300)


def test_reader_transactions_are_read_only(store):
    with pytest.raises(psycopg.Error):
        run(store, "SELECT obs_id FROM ivoa.obscore FOR UPDATE")
    with pytest.raises(psycopg.Error):
        run(store, "DELETE FROM archive.observation")
