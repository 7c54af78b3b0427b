"""What a site's PostgreSQL server must grant ctanb, checked, with the SQL its DBA runs.

On ctanb's private cluster the owner of the tables is a superuser and sets everything up
itself. On a site server (``CTANB_DATABASE_URL``) ctanb's owner role is an ordinary role:
the database administrator installs pg_sphere, creates the reader role, and takes
``set_config`` (with which a query could change its own groups) and the other session
functions away from PUBLIC. :func:`check` says, for a store, which of these are missing
and gives the statements that fix each; ``ctanb db init`` prints them.

Severity ``required``: row-level security or the service does not hold without it.
``performance``: queries stay correct, only slower (pg_sphere operators not LEAKPROOF:
spatial conditions cannot use the GiST index under the policy).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from ctanb.services import readerrole
from ctanb.services.readerrole import LEAKY_SPHERE_OPERATORS_SQL, READER_ROLE, SESSION_FUNCTIONS
from ctanb.services.store import Store

__all__ = ["Finding", "check", "report"]

# What the reader role's settings must be (readerrole.create_reader_role sets them).
READER_SETTINGS = {
    **readerrole.READER_SETTINGS,
    "search_path": ", ".join(readerrole.READER_SCHEMAS),
}


@dataclass(frozen=True)
class Finding:
    """Something missing on the server: why it matters and the SQL that fixes it."""

    severity: str  # "required" or "performance"
    what: str
    fix: str  # SQL for the database administrator (a superuser), in the store's database


def _role_sql(role: str) -> str:
    return (
        f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        "NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 100 PASSWORD 'choose-one';"
    )


def check(store: Store) -> list[Finding]:
    """Return what the store's server lacks for ctanb (empty when all is in place)."""
    findings: list[Finding] = []
    with store.connect(autocommit=True) as conn:
        database = conn.info.dbname
        owner = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
        if (
            conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_sphere'").fetchone()
            is None
        ):
            findings.append(
                Finding("required", "the pg_sphere extension is not installed in this database",
                        "CREATE EXTENSION pg_sphere;")
            )  # fmt: skip
        if not conn.execute(
            "SELECT has_database_privilege(current_user, current_database(), 'CREATE')"
        ).fetchone()[0]:  # type: ignore[index]
            findings.append(
                Finding("required", f"{owner} may not create schemas in {database}",
                        f'GRANT CREATE ON DATABASE "{database}" TO "{owner}";')
            )  # fmt: skip
        findings += _reader_findings(conn, database)
        findings += _leakproof_findings(conn)
    if not any(f.what.startswith(f"role {READER_ROLE} does not exist") for f in findings):
        findings += _reader_login(store)
    return findings


def _reader_findings(conn: psycopg.Connection, database: str) -> list[Finding]:
    """What the reader role lacks: the role itself, or its attributes, settings and rights."""
    role = READER_ROLE
    row = conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcanlogin, rolinherit, rolcreaterole, rolcreatedb, "
        "oid FROM pg_roles WHERE rolname = %s",
        (role,),
    ).fetchone()
    if row is None:
        settings_sql = "\n".join(
            f"ALTER ROLE {role} SET {name} = {_setting_literal(name, value)};"
            for name, value in READER_SETTINGS.items()
        )
        return [
            Finding("required", f"role {role} does not exist: user queries log in as it",
                    f"{_role_sql(role)}\n{settings_sql}\nGRANT CONNECT ON DATABASE "
                    f'"{database}" TO {role};'),
            *_function_findings(conn, "public"),
        ]  # fmt: skip
    findings = []
    superuser, bypassrls, login, inherit, createrole, createdb, oid = row
    if superuser or bypassrls or not login or inherit or createrole or createdb:
        findings.append(
            Finding(
                "required",
                f"role {role} must log in, and be no superuser, bypass no row-level security, "
                "inherit nothing and create nothing",
                f"ALTER ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEROLE "
                "NOCREATEDB;",
            )
        )
    findings += _membership_findings(conn, oid) + _setting_findings(conn, oid)
    if not conn.execute(
        "SELECT has_database_privilege(%s, current_database(), 'CONNECT')", (role,)
    ).fetchone()[0]:  # type: ignore[index]
        findings.append(
            Finding("required", f"role {role} may not connect to {database}",
                    f'GRANT CONNECT ON DATABASE "{database}" TO {role};')
        )  # fmt: skip
    return findings + _function_findings(conn, role)


def _membership_findings(conn: psycopg.Connection, oid: int) -> list[Finding]:
    """Roles the reader (``oid``) is a member of: SET ROLE could reach them."""
    role = READER_ROLE
    return [
        Finding("required", f"role {role} is a member of {granted} (SET ROLE could reach it)",
                f'REVOKE "{granted}" FROM {role};')
        for (granted,) in conn.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "WHERE m.member = %s",
            (oid,),
        ).fetchall()
    ]  # fmt: skip


def _setting_findings(conn: psycopg.Connection, oid: int) -> list[Finding]:
    """The reader's settings (``READER_SETTINGS``) missing or different on the server."""
    role = READER_ROLE
    settings = dict(
        s.split("=", 1)
        for (config,) in conn.execute(
            "SELECT setconfig FROM pg_db_role_setting WHERE setrole = %s AND setdatabase = 0",
            (oid,),
        ).fetchall()
        for s in config or []
    )
    return [
        Finding("required", f"role {role} lacks the setting {name} = {value}",
                f"ALTER ROLE {role} SET {name} = {_setting_literal(name, value)};")
        for name, value in READER_SETTINGS.items()
        if settings.get(name, "").replace('"', "").replace(" ", "") != value.replace(" ", "")
    ]  # fmt: skip


def _function_findings(conn: psycopg.Connection, role: str) -> list[Finding]:
    """Session functions ``role`` (or PUBLIC, before the role exists) may still execute."""
    findings = []
    for function in SESSION_FUNCTIONS:
        allowed = conn.execute(
            "SELECT has_function_privilege(%s, %s, 'EXECUTE')", (role, function)
        ).fetchone()[0]  # type: ignore[index]
        if allowed:
            why = (
                "a query could set its own groups (ctanb.groups) and read other groups' rows"
                if "set_config" in function
                else "a query could see or end other sessions"
            )
            who = "every role (PUBLIC)" if role == "public" else role
            findings.append(
                Finding("required", f"{who} may execute {function}: {why}",
                        f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC;")
            )  # fmt: skip
    return findings


def _setting_literal(name: str, value: str) -> str:
    if name == "search_path":
        return value
    return f"'{value}'"


def _leakproof_findings(conn: psycopg.Connection) -> list[Finding]:
    functions = [
        signature
        for (signature,) in conn.execute(LEAKY_SPHERE_OPERATORS_SQL + "ORDER BY 1").fetchall()
    ]
    if not functions:
        return []
    return [
        Finding(
            "performance",
            f"{len(functions)} pg_sphere operators are not LEAKPROOF: cone searches under "
            "row-level security cannot use the GiST index (correct, but a full scan)",
            "\n".join(f"ALTER FUNCTION {f} LEAKPROOF;" for f in functions),
        )
    ]


def _reader_login(store: Store) -> list[Finding]:
    try:
        with psycopg.connect(store.reader_conninfo or "", connect_timeout=10) as conn:
            user = conn.execute("SELECT current_user").fetchone()
    except psycopg.OperationalError as exc:
        return [
            Finding(
                "required",
                f"cannot log in as {READER_ROLE} ({str(exc).strip().splitlines()[-1]}): give "
                "its password in CTANB_READER_DATABASE_URL and allow it in pg_hba.conf",
                f"ALTER ROLE {READER_ROLE} PASSWORD 'choose-one';",
            )
        ]
    if user != (READER_ROLE,):
        return [
            Finding("required", f"CTANB_READER_DATABASE_URL logs in as {user[0] if user else '?'}, "
                    f"not {READER_ROLE}", "-- fix CTANB_READER_DATABASE_URL")
        ]  # fmt: skip
    return []


def report(findings: list[Finding], database: str) -> str:
    """Text for ``ctanb db init``: what is missing and the SQL for the DBA."""
    if not findings:
        return "all privileges and settings ctanb needs are in place"
    lines = []
    for severity, title in (
        ("required", "MISSING (row-level security or the service needs these)"),
        ("performance", "RECOMMENDED (speed only)"),
    ):
        chosen = [f for f in findings if f.severity == severity]
        if not chosen:
            continue
        lines.append(f"{title}: ask the database administrator to run, as a superuser, in "
                     f"database {database}:")  # fmt: skip
        for finding in chosen:
            lines.append(f"  -- {finding.what}")
            lines += [f"  {line}" for line in finding.fix.splitlines()]
    return "\n".join(lines)


def fix_statements(findings: list[Finding]) -> list[sql.SQL]:
    """The findings' SQL as statements (what the DBA runs; tests run them as the DBA)."""
    return [
        sql.SQL(line)
        for finding in findings
        for line in finding.fix.splitlines()
        if line.strip() and not line.startswith("--")
    ]
