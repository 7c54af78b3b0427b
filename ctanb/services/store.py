"""The ObsCore store: a PostgreSQL database with pg_sphere, its roles and its schema.

``Store.open(settings)`` returns a ready store: it starts ctanb's private cluster when no
``CTANB_DATABASE_URL`` is configured, creates the database, the ``pg_sphere`` extension,
the tables, the published views, TAP_SCHEMA and the row-level security policy, and is
idempotent.

Two kinds of connection reach the store, and they never mix:

- *administrative* connections (:meth:`Store.connect`, :meth:`Store.connection`) log in as the
  owner of the tables and run only the service's own SQL, with values bound as parameters;
- *reader* connections (:meth:`Store.reader`, :meth:`Store.run_user_query`) log in as
  ``ctanb_reader``: not a superuser, no BYPASSRLS, member of no role (``SET ROLE``,
  ``RESET ROLE`` and ``SET SESSION AUTHORIZATION`` lead back to itself or fail), in a
  read-only transaction with a statement timeout and the caller's groups. A user's SQL runs
  only there, as one statement over the extended query protocol, so a second statement
  smuggled into a query is refused by PostgreSQL itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from ctanb.config import Settings, get_settings
from ctanb.errors import ConfigurationError
from ctanb.services import obscore, provtap, schema, tap_schema
from ctanb.services.cluster import PrivateCluster
from ctanb.services.readerrole import (
    MAX_STATEMENT_TIMEOUT_MS,
    READER_ROLE,
    READER_SETTINGS,
    create_reader_role,
    mark_sphere_operators_leakproof,
)

TOKENS_SQL = """
CREATE TABLE IF NOT EXISTS archive.api_token (
    token_sha256 text PRIMARY KEY,
    name text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now()
);
-- token lifecycle (an existing store upgrades in place; its tokens get 90 days from now)
ALTER TABLE archive.api_token
    ADD COLUMN IF NOT EXISTS expires timestamptz NOT NULL DEFAULT now() + interval '90 days',
    ADD COLUMN IF NOT EXISTS last_used timestamptz,
    ADD COLUMN IF NOT EXISTS revoked timestamptz;
REVOKE ALL ON archive.api_token FROM PUBLIC;
"""

# READER_ROLE, READER_SETTINGS and MAX_STATEMENT_TIMEOUT_MS live in ctanb.services.readerrole
__all__ = ["DATABASE", "MAX_STATEMENT_TIMEOUT_MS", "READER_ROLE", "READER_SETTINGS", "Store"]

log = logging.getLogger(__name__)

DATABASE = "ctanb"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
_DECLARE = b"DECLARE ctanb_user_query NO SCROLL CURSOR FOR "

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
    reader_conninfo: str | None = None
    _pool: ConnectionPool | None = field(default=None, init=False, repr=False)
    _reader_pool: ConnectionPool | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.reader_conninfo is None:
            # the same server and database, logged in as the reader role (the private
            # cluster trusts its unix socket; a site server gives CTANB_READER_DATABASE_URL)
            params = conninfo_to_dict(self.conninfo)
            params.pop("password", None)
            params["user"] = READER_ROLE
            self.reader_conninfo = make_conninfo(**params)  # type: ignore[arg-type]

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
        reader = settings.reader_database_url
        if settings.database_url:
            store = cls(settings.database_url, reader_conninfo=reader)
        else:
            cluster = PrivateCluster(settings.home)
            cluster.start()
            if create:
                _create_database(cluster.conninfo("postgres"), DATABASE)
            store = cls(cluster.conninfo(DATABASE), cluster, reader_conninfo=reader)
        if create:
            store.initialise()
        return store

    def initialise(self) -> list[schema.Migration]:
        """Bring the store to this ctanb's schema (idempotent); return the migrations applied.

        A new database gets the current schema; an older store first gets the migrations
        after its recorded version (:mod:`ctanb.services.schema`), then the current objects,
        all in one transaction. A store newer than this ctanb is refused.
        """
        with self.connect() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(724001)")  # one initialiser at a time
            before = schema.stored_version(conn)
            applied = schema.migrate(conn, before)
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_sphere")
            except psycopg.Error as exc:
                raise ConfigurationError(
                    "the pg_sphere extension is missing: install pg_sphere for this "
                    "PostgreSQL (Debian: postgresql-15-pgsphere, `make setup`; Ubuntu 24.04: "
                    "postgresql-16-pgsphere); on a site server its administrator runs "
                    f"CREATE EXTENSION pg_sphere in this database. PostgreSQL said: {exc}"
                ) from exc
            conn.execute(obscore.create_table_sql())
            conn.execute(RIGHTS_SQL)
            conn.execute(tap_schema.create_sql())
            conn.execute(TOKENS_SQL)
            create_reader_role(conn)
            provtap.initialise(conn, READER_ROLE)  # ProvTAP tables, views, grants
            mark_sphere_operators_leakproof(conn)
            # ADQL translation of AREA() calls this helper.
            conn.execute(
                "CREATE OR REPLACE FUNCTION public.square_degrees(double precision) "
                "RETURNS double precision LANGUAGE sql IMMUTABLE "
                "AS $$ SELECT $1 * (180.0 / pi())^2 $$"
            )
            schema.record(conn)
        return applied

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
        """Close the connection pools, if any."""
        for pool in (self._pool, self._reader_pool):
            if pool is not None:
                pool.close()
        self._pool = self._reader_pool = None

    # -------------------------------------------------------------- the reader role
    @contextlib.contextmanager
    def reader(
        self,
        groups: Iterable[str] = (),
        timeout_ms: int | None = None,
    ) -> Iterator[psycopg.Cursor]:
        """Lend a cursor of a read-only transaction as ``ctanb_reader`` with ``groups``.

        Row-level security shows the rows of ``groups`` besides public ones. The connection
        logs in as the reader role (it is not an administrative connection that changed
        role), so nothing run on it can become another role.

        Parameters
        ----------
        groups : iterable of str
            The caller's groups.
        timeout_ms : int, optional
            Statement timeout; the store's default when None, at most
            ``MAX_STATEMENT_TIMEOUT_MS``.
        """
        if isinstance(groups, psycopg.Connection):
            raise TypeError(
                "Store.reader() takes no connection any more: it lends one of its own reader "
                "connections; call store.reader(groups, timeout_ms)"
            )
        timeout = min(int(timeout_ms or self.statement_timeout_ms), MAX_STATEMENT_TIMEOUT_MS)
        group_list = ",".join(sorted(g for g in groups if g and "," not in g))
        with self._reader_connection() as conn, conn.transaction(), conn.cursor() as cur:
            # the service's own text, one round trip; values are literals it quoted itself
            cur.execute(
                sql.SQL(
                    "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {}; "
                    "SET LOCAL ctanb.groups = {}"
                ).format(timeout, sql.Literal(group_list))
            )
            yield cur

    def run_user_query(
        self,
        statement: str,
        groups: Iterable[str] = (),
        timeout_ms: int | None = None,
        max_rows: int | None = None,
    ) -> tuple[list[psycopg.Column], list[tuple[object, ...]]]:
        """Run one SQL statement that came from a user (a translated ADQL query).

        The statement becomes the query of a server-side cursor (``DECLARE ... CURSOR
        FOR``, which takes nothing but a query) sent over the extended query protocol
        (libpq ``PQsendQueryParams`` in pipeline mode, never prepared), which PostgreSQL
        refuses when the text holds more than one statement. It runs on a reader connection
        in a read-only transaction with a statement timeout, and only ``max_rows`` rows are
        fetched, so a large result never sits whole in the service's memory.

        Parameters
        ----------
        statement : str
            One SQL statement.
        groups : iterable of str
            The caller's groups.
        timeout_ms : int, optional
            Statement timeout.
        max_rows : int, optional
            Most rows fetched.

        Returns
        -------
        columns, rows
            The result's column descriptions and rows.
        """
        count = sql.SQL("ALL") if max_rows is None else sql.Literal(max(0, int(max_rows)))
        with self.reader(groups, timeout_ms) as cur:
            with cur.connection.pipeline():
                cur.execute(_DECLARE + statement.encode(), prepare=False)
            cur.execute(sql.SQL("FETCH FORWARD {} FROM ctanb_user_query").format(count))
            return list(cur.description or []), cur.fetchall()

    @contextlib.contextmanager
    def _reader_connection(self) -> Iterator[psycopg.Connection]:
        if self._reader_pool is None:
            self._reader_pool = ConnectionPool(
                self.reader_conninfo or "",
                min_size=1,
                max_size=10,
                open=True,
                # never prepared: user text must not become a named server-side statement
                kwargs={"prepare_threshold": None},
                check=ConnectionPool.check_connection,
            )
        with self._reader_pool.connection() as conn:
            yield conn


def _create_database(conninfo: str, name: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
