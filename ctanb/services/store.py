"""The ObsCore store: a PostgreSQL database with pg_sphere, its roles and its schema.

``Store.open(settings)`` returns a ready store: it starts ctanb's private cluster when no
``CTANB_DATABASE_URL`` is configured, creates the database, the ``pg_sphere`` extension,
the tables, the published views, TAP_SCHEMA and the row-level security policy, and is
idempotent. Queries from the outside run through :meth:`Store.reader` as the read-only role
``ctanb_reader`` with the caller's groups and a statement timeout.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from ctanb.config import Settings, get_settings
from ctanb.errors import ConfigurationError
from ctanb.services import obscore, provtap, tap_schema
from ctanb.services.cluster import PrivateCluster

TOKENS_SQL = """
CREATE TABLE IF NOT EXISTS archive.api_token (
    token_sha256 text PRIMARY KEY,
    name text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON archive.api_token FROM PUBLIC;
"""

__all__ = ["DATABASE", "READER_ROLE", "Store"]

log = logging.getLogger(__name__)

DATABASE = "ctanb"
READER_ROLE = "ctanb_reader"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000

RIGHTS_SQL = f"""
CREATE OR REPLACE FUNCTION archive.user_groups() RETURNS text[]
    LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('ctanb.groups', true), ''), ','),
                   '{{}}'::text[]) $$;
ALTER TABLE {obscore.BASE_TABLE} ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS data_rights ON {obscore.BASE_TABLE};
CREATE POLICY data_rights ON {obscore.BASE_TABLE} FOR SELECT USING (
    data_rights = 'public'
    OR (obs_release_date IS NOT NULL AND obs_release_date <= now() AT TIME ZONE 'UTC')
    OR owner_group = ANY (archive.user_groups())
);
"""


@dataclass
class Store:
    """Connection details of the ObsCore store.

    Parameters
    ----------
    conninfo : str
        libpq connection string of the administrative role (owner of the tables).
    cluster : PrivateCluster or None
        The private cluster, when ctanb runs its own.
    """

    conninfo: str
    cluster: PrivateCluster | None = None
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    _pool: ConnectionPool | None = field(default=None, init=False, repr=False)

    # -------------------------------------------------------------- opening
    @classmethod
    def open(cls, settings: Settings | None = None, *, create: bool = True) -> Store:
        """Return the store for ``settings``, starting and initialising it when needed.

        Parameters
        ----------
        settings : Settings, optional
            Defaults to :func:`ctanb.config.get_settings`.
        create : bool
            Create the database and schema when missing (idempotent).
        """
        settings = settings or get_settings()
        if settings.database_url:
            store = cls(settings.database_url)
        else:
            cluster = PrivateCluster(settings.home)
            cluster.start()
            if create:
                _create_database(cluster.conninfo("postgres"), DATABASE)
            store = cls(cluster.conninfo(DATABASE), cluster)
        if create:
            store.initialise()
        return store

    def initialise(self) -> None:
        """Create the extension, tables, views, roles, policies and TAP_SCHEMA (idempotent)."""
        with self.connect() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(724001)")  # one initialiser at a time
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_sphere")
            except psycopg.Error as exc:
                raise ConfigurationError(
                    "the pg_sphere extension is missing: install the Debian package "
                    f"postgresql-15-pgsphere (`make setup`). PostgreSQL said: {exc}"
                ) from exc
            conn.execute(obscore.create_table_sql())
            conn.execute(RIGHTS_SQL)
            conn.execute(tap_schema.create_sql())
            conn.execute(TOKENS_SQL)
            _create_reader_role(conn)
            provtap.initialise(conn, READER_ROLE)  # ProvTAP tables, views, grants
            _mark_sphere_operators_leakproof(conn)
            # ADQL translation of AREA() calls this helper.
            conn.execute(
                "CREATE OR REPLACE FUNCTION public.square_degrees(double precision) "
                "RETURNS double precision LANGUAGE sql IMMUTABLE "
                "AS $$ SELECT $1 * (180.0 / pi())^2 $$"
            )

    # -------------------------------------------------------------- connections
    def connect(self, **kwargs: object) -> psycopg.Connection:
        """Open an administrative connection (owner of the tables)."""
        try:
            return psycopg.connect(self.conninfo, **kwargs)  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            raise ConfigurationError(
                f"cannot connect to the ctanb store ({self.conninfo}): {exc}. "
                "Start it with `ctanb db start`, or check CTANB_DATABASE_URL."
            ) from exc

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """Lend a connection from the store's pool (opened on first use, up to 10)."""
        if self._pool is None:
            self._pool = ConnectionPool(self.conninfo, min_size=1, max_size=10, open=True)
        with self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        """Close the connection pool, if any."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @contextlib.contextmanager
    def reader(
        self,
        conn: psycopg.Connection,
        groups: Iterable[str] = (),
        timeout_ms: int | None = None,
    ) -> Iterator[psycopg.Cursor]:
        """Run a read-only transaction as ``ctanb_reader`` with the caller's groups.

        Row-level security shows the rows of ``groups`` besides public ones.
        """
        timeout = int(timeout_ms or self.statement_timeout_ms)
        group_list = ",".join(sorted(g for g in groups if g and "," not in g))
        with conn.transaction(), conn.cursor() as cur:
            # one round trip for the whole set-up
            cur.execute(
                sql.SQL(
                    "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {}; "
                    "SET LOCAL ctanb.groups = {}; "
                    "SET LOCAL search_path = ivoa, cta, tap_schema, public; SET LOCAL ROLE {}"
                ).format(timeout, sql.Literal(group_list), sql.Identifier(READER_ROLE))
            )
            yield cur


def _mark_sphere_operators_leakproof(conn: psycopg.Connection) -> None:
    """Let row-level security use the GiST index for pg_sphere's operators.

    Under a row-level security policy PostgreSQL evaluates a query's own conditions after
    the policy unless their functions are LEAKPROOF, so a cone search (``&&``, ``@``) scans
    every row (0.4 s for 10^6 rows instead of 5 ms). pg_sphere's comparison operators
    reveal nothing but their result; marking them LEAKPROOF needs a superuser, which the
    private cluster has. On a configured server without that right the policy still
    holds, only slower.
    """
    functions = conn.execute(
        """
        SELECT DISTINCT p.oid::regprocedure::text
        FROM pg_operator o
        JOIN pg_proc p ON p.oid = o.oprcode
        JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_sphere'
        WHERE o.oprresult = 'boolean'::regtype AND NOT p.proleakproof
        """
    ).fetchall()
    try:
        with conn.transaction():
            for (signature,) in functions:
                conn.execute(f"ALTER FUNCTION {signature} LEAKPROOF")
    except psycopg.errors.InsufficientPrivilege:
        log.warning(
            "cannot mark pg_sphere operators LEAKPROOF (not a superuser): spatial queries "
            "under row-level security will not use the GiST index"
        )


def _create_database(conninfo: str, name: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _create_reader_role(conn: psycopg.Connection) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,)).fetchone()
    if not exists:
        with contextlib.suppress(psycopg.errors.DuplicateObject):
            conn.execute(
                sql.SQL("CREATE ROLE {} NOLOGIN NOBYPASSRLS").format(sql.Identifier(READER_ROLE))
            )
    role = sql.Identifier(READER_ROLE)
    public_columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in obscore.COLUMNS)
    statements = [
        sql.SQL("GRANT {} TO CURRENT_USER").format(role),
        sql.SQL("GRANT USAGE ON SCHEMA archive, ivoa, cta, tap_schema TO {}").format(role),
        sql.SQL("GRANT SELECT ({}) ON archive.observation TO {}").format(public_columns, role),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA ivoa, cta, tap_schema TO {}").format(role),
        sql.SQL("GRANT EXECUTE ON FUNCTION archive.user_groups() TO {}").format(role),
    ]
    for statement in statements:
        conn.execute(statement)
    # A query must not change its own groups or role: only the service sets them, with SET.
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC"
        )
