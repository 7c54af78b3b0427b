"""A site's PostgreSQL server: ctanb's owner is no superuser, the DBA does the rest.

A second local cluster plays the site's server. Its administrator (the cluster's superuser)
creates an ordinary role ``ctanb_owner``, a database it owns and the pg_sphere extension in
it, as a DBA would. ``ctanb db init`` (CTANB_DATABASE_URL pointing there) applies the schema
and says what is missing with the SQL to run; the administrator runs exactly that SQL; a
second ``ctanb db init`` is content. Then runs are ingested and row-level security holds:
proprietary rows only for their group, and the reader cannot set its own groups.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from ctanb.config import Settings
from ctanb.services.cluster import PrivateCluster
from ctanb.services.store import READER_ROLE, Store
from ctanb.testing import free_port, private_home

pytestmark = pytest.mark.slow

OWNER = "ctanb_owner"
CTA_RUN = "110380"


@pytest.fixture(scope="module")
def site_server() -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of its own, set up by its administrator for ctanb."""
    home = private_home("ctanb-site-server-")
    cluster = PrivateCluster(home, port=free_port())
    cluster.start()
    try:
        with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as dba:
            dba.execute(f"CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB")
            dba.execute(f"CREATE DATABASE ctanb OWNER {OWNER}")
        with psycopg.connect(cluster.conninfo("ctanb"), autocommit=True) as dba:
            dba.execute("CREATE EXTENSION pg_sphere")  # pg_sphere is not a trusted extension
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


def _db_init(cluster: PrivateCluster, home) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTANB_")}
    env |= {
        "CTANB_HOME": str(home),
        "CTANB_DATABASE_URL": cluster.conninfo("ctanb", user=OWNER),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(
        [sys.executable, "-m", "ctanb.cli", "db", "init"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _dba_sql(output: str) -> list[str]:
    """The statements ``ctanb db init`` asks the administrator to run."""
    return [
        line.strip()
        for line in output.splitlines()
        if line.startswith("  ") and not line.strip().startswith("--") and line.strip()
    ]


def test_db_init_reports_what_the_dba_must_do_and_rls_holds(site_server, tmp_path, data_dir):
    with psycopg.connect(site_server.conninfo("ctanb", user=OWNER)) as conn:
        owner = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert owner.fetchone() == (False,)  # ctanb's owner is an ordinary role

    first = _db_init(site_server, tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    report = first.stdout
    print(report)  # shown with -rP: what a DBA gets
    assert "schema applied to database ctanb" in report
    assert f"role {READER_ROLE} does not exist" in report
    assert "set_config(text, text, boolean)" in report and "ctanb.groups" in report
    statements = _dba_sql(report)
    revoke = "REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;"
    assert revoke in statements
    assert any(s.startswith(f"CREATE ROLE {READER_ROLE} LOGIN NOSUPERUSER") for s in statements)

    # the administrator runs what was asked, as a superuser, in database ctanb
    with psycopg.connect(site_server.conninfo("ctanb"), autocommit=True) as dba:
        for statement in statements:
            dba.execute(statement)

    second = _db_init(site_server, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "MISSING" not in second.stdout
    # LEAKPROOF was in the first report as a speed matter, done by the same statements
    assert "all privileges and settings ctanb needs are in place" in second.stdout

    settings = Settings(
        home=tmp_path, data_dir=data_dir, database_url=site_server.conninfo("ctanb", user=OWNER)
    )
    store = Store.open(settings)
    try:
        from ctanb.services.ingest import ingest
        from ctanb.services.tap import run_query

        files = [
            data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz",
            *sorted((data_dir / "cta-1dc").rglob(f"*{CTA_RUN}*.fits*"))[:1],
        ]
        report_ = ingest(files, store, catalogs_dir=settings.catalogs_dir)
        assert len(report_.ingested) == 2, str(report_)
        query = "SELECT obs_id FROM ivoa.obscore ORDER BY obs_id"
        assert [r[0] for r in run_query(store, query).rows] == ["23523"]
        member = run_query(store, query, groups={"cta-consortium"}).rows
        assert sorted(r[0] for r in member) == [CTA_RUN, "23523"]

        # the reader may not give itself groups, here as on the private cluster
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="set_config"):
            store.run_user_query(
                "SELECT set_config('ctanb.groups', 'cta-consortium', true), obs_id "
                "FROM ivoa.obscore"
            )
        with store.reader() as cur:
            user, superuser, bypass = cur.execute(
                "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                "WHERE rolname = current_user"
            ).fetchone()
        assert (user, superuser, bypass) == (READER_ROLE, False, False)
    finally:
        store.close()
