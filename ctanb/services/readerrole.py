"""The reader role ``ctanb_reader``, which runs users' SQL: its attributes, settings and grants.

A user's query runs logged in as this role: it logs in, reads the published tables and
nothing more. It is no superuser, bypasses no row-level security, belongs to no role (so
``SET ROLE`` leads nowhere), has ceilings that hold at login (read-only transactions, a
statement timeout), and may not run the session functions with which a query could change
its own groups or reach other sessions. On ctanb's private cluster the store sets all this
up itself (:func:`create_reader_role`); on a site server its administrator does what ctanb's
owner may not, as :mod:`ctanb.services.sitedb` checks and says.
"""

from __future__ import annotations

import contextlib
import logging

import psycopg
from psycopg import sql

from ctanb.services import obscore

__all__ = [
    "LEAKY_SPHERE_OPERATORS_SQL",
    "MAX_STATEMENT_TIMEOUT_MS",
    "READER_ROLE",
    "READER_SCHEMAS",
    "READER_SETTINGS",
    "SESSION_FUNCTIONS",
    "create_reader_role",
    "mark_sphere_operators_leakproof",
]

log = logging.getLogger(__name__)

READER_ROLE = "ctanb_reader"
#: No reader statement runs longer than this, whatever the caller asks (a job's own budget
#: included): the role's own setting, so it holds even if a SET LOCAL were skipped.
MAX_STATEMENT_TIMEOUT_MS = 3_600_000
#: Settings of the reader role that hold at login (ceilings below the service's SET LOCAL).
READER_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": f"{MAX_STATEMENT_TIMEOUT_MS}ms",
    "idle_in_transaction_session_timeout": "60s",
}
#: The reader's search_path.
READER_SCHEMAS = ("ivoa", "cta", "tap_schema", "public")
#: Functions a reader must not execute: set_config changes the groups the row-level security
#: policy reads; the others reach other sessions.
SESSION_FUNCTIONS = (
    "pg_catalog.set_config(text, text, boolean)",
    "pg_catalog.pg_terminate_backend(integer, bigint)",
    "pg_catalog.pg_cancel_backend(integer)",
    "pg_catalog.pg_stat_get_activity(integer)",
)
#: pg_sphere's comparison operators not yet LEAKPROOF (see mark_sphere_operators_leakproof).
LEAKY_SPHERE_OPERATORS_SQL = """
        SELECT DISTINCT p.oid::regprocedure::text
        FROM pg_operator o
        JOIN pg_proc p ON p.oid = o.oprcode
        JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_sphere'
        WHERE o.oprresult = 'boolean'::regtype AND NOT p.proleakproof
        """


def create_reader_role(conn: psycopg.Connection) -> None:
    """Create or tighten ``ctanb_reader``: it logs in, reads the published tables, no more."""
    role = sql.Identifier(READER_ROLE)
    if not _ensure_role(conn, role):
        return
    # Attributes, memberships and settings need a superuser or CREATEROLE: on a site server
    # without them they stay as its administrator set them (`ctanb db init` checks them).
    refused = 0
    for statement in _privileged_statements(conn, role):
        try:
            with conn.transaction():
                conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            refused += 1
    if refused:
        log.warning(
            "%d settings of the role %s need a superuser or CREATEROLE: `ctanb db init` "
            "checks them and says what the database administrator must run",
            refused,
            READER_ROLE,
        )
    for statement in _grants(conn, role):
        conn.execute(statement)
    _revoke_session_functions(conn)


def _ensure_role(conn: psycopg.Connection, role: sql.Identifier) -> bool:
    """Create the role if missing; False when it is missing and ctanb may not create it."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,)).fetchone()
    if not exists:
        try:
            with conn.transaction():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        except psycopg.errors.DuplicateObject:
            pass
        except psycopg.errors.InsufficientPrivilege:
            # a site server, where ctanb's owner may not create roles: its administrator
            # does (`ctanb db init` prints the SQL); until then no user query can run
            log.warning(
                "cannot create the role %s (no CREATEROLE): `ctanb db init` says what the "
                "database administrator must run",
                READER_ROLE,
            )
            return False
    return True


def _privileged_statements(conn: psycopg.Connection, role: sql.Identifier) -> list[sql.Composed]:
    """The role's attributes, memberships revoked and settings: superuser or CREATEROLE."""
    privileged = [
        sql.SQL(
            "ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION "
            "NOBYPASSRLS CONNECTION LIMIT 100"
        ).format(role)
    ]
    # A reader belongs to no role, so SET ROLE can lead nowhere.
    for (granted,) in conn.execute(
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
        (READER_ROLE,),
    ).fetchall():
        privileged.append(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), role))
    # Ceilings that hold at login, before the service's own SET LOCAL of each request.
    for setting, value in READER_SETTINGS.items():
        privileged.append(
            sql.SQL("ALTER ROLE {} SET {} = {}").format(
                role, sql.Identifier(setting), sql.Literal(value)
            )
        )
    schemas = sql.SQL(", ").join(map(sql.Identifier, READER_SCHEMAS))
    privileged.append(sql.SQL("ALTER ROLE {} SET search_path = {}").format(role, schemas))
    return privileged


def _grants(conn: psycopg.Connection, role: sql.Identifier) -> list[sql.Composed]:
    """What the role may read: the published schemas and ObsCore's public columns."""
    public_columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in obscore.COLUMNS)
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), role
        ),
        sql.SQL("GRANT USAGE ON SCHEMA archive, ivoa, cta, tap_schema TO {}").format(role),
        sql.SQL("GRANT SELECT ({}) ON archive.observation TO {}").format(public_columns, role),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA ivoa, cta, tap_schema TO {}").format(role),
        sql.SQL("GRANT EXECUTE ON FUNCTION archive.user_groups() TO {}").format(role),
        sql.SQL("REVOKE ALL ON archive.api_token FROM {}").format(role),
    ]


def _revoke_session_functions(conn: psycopg.Connection) -> None:
    """Take the session functions away from PUBLIC (needs a superuser).

    A query must not change its own groups, see other sessions' queries or end them: only
    the service sets the groups, with SET LOCAL. The private cluster's owner is a
    superuser; on a site server its administrator runs these (`ctanb db init` says so).
    """
    for function in SESSION_FUNCTIONS:
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")


def mark_sphere_operators_leakproof(conn: psycopg.Connection) -> None:
    """Let row-level security use the GiST index for pg_sphere's operators.

    Under a row-level security policy PostgreSQL evaluates a query's own conditions after
    the policy unless their functions are LEAKPROOF, so a cone search (``&&``, ``@``) scans
    every row (0.4 s for 10^6 rows instead of 5 ms). pg_sphere's comparison operators
    reveal nothing but their result; marking them LEAKPROOF needs a superuser, which the
    private cluster has. On a configured server without that right the policy still
    holds, only slower.
    """
    functions = conn.execute(LEAKY_SPHERE_OPERATORS_SQL).fetchall()
    try:
        with conn.transaction():
            for (signature,) in functions:
                conn.execute(f"ALTER FUNCTION {signature} LEAKPROOF")
    except psycopg.errors.InsufficientPrivilege:
        log.warning(
            "cannot mark pg_sphere operators LEAKPROOF (not a superuser): spatial queries "
            "under row-level security will not use the GiST index"
        )
