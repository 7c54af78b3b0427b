"""The store's schema version and the migrations between versions.

A store records its version in ``archive.schema_version`` (one row per applied step). The
objects of the current version are created idempotently by :meth:`Store.initialise`; what
``CREATE ... IF NOT EXISTS`` cannot do to an existing store (new columns, data rewritten)
is a numbered :class:`Migration` here, run once, in order, each in its own transaction,
before the current objects are (re)created. Migrations are frozen text: a later change of
the current DDL never changes what an old step did.

Version 1 is the schema of ctanb as released before versions were recorded (commit
661d142): a store with an ObsCore table and no version table is at version 1.
``ctanb db upgrade`` brings a store to :data:`SCHEMA_VERSION` and says what it applied; a
store newer than this ctanb is refused (upgrade ctanb instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ctanb.errors import ConfigurationError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate", "stored_version"]

LOCK = 724001  # the advisory lock of Store.initialise: one schema writer at a time

VERSION_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS archive.schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON archive.schema_version FROM PUBLIC;
"""


@dataclass(frozen=True)
class Migration:
    """One step from version ``version - 1`` to ``version``."""

    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "ctanb 0.1 (661d142): ObsCore, rights, TAP_SCHEMA, tokens, UWS jobs", ""),
    Migration(
        2,
        "token lifecycle (expires, last_used, revoked); one owner per anonymous job",
        """
        ALTER TABLE archive.api_token
            ADD COLUMN IF NOT EXISTS expires timestamptz NOT NULL
                DEFAULT now() + interval '90 days',
            ADD COLUMN IF NOT EXISTS last_used timestamptz,
            ADD COLUMN IF NOT EXISTS revoked timestamptz;
        DO $$ BEGIN
            IF to_regclass('uws.job') IS NOT NULL THEN
                UPDATE uws.job SET owner = 'anonymous:' || job_id WHERE owner = 'anonymous';
            END IF;
        END $$;
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def stored_version(conn: psycopg.Connection) -> int:
    """Return the store's schema version: 0 for an empty database, 1 before versions."""
    if conn.execute("SELECT to_regclass('archive.schema_version')").fetchone() != (None,):
        row = conn.execute("SELECT max(version) FROM archive.schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0
    if conn.execute("SELECT to_regclass('archive.observation')").fetchone() != (None,):
        return 1
    return 0


def migrate(conn: psycopg.Connection, before: int) -> list[Migration]:
    """Apply the migrations after version ``before`` (none for a new store); return them.

    Call it under the store's advisory lock with ``before = stored_version(conn)`` read
    before any object was created, and create the current objects afterwards.

    Raises
    ------
    ConfigurationError
        When the store is newer than this ctanb.
    """
    if before > SCHEMA_VERSION:
        raise ConfigurationError(
            f"the store has schema version {before}, newer than this ctanb knows "
            f"({SCHEMA_VERSION}): upgrade ctanb, or point CTANB_DATABASE_URL elsewhere"
        )
    applied = [m for m in MIGRATIONS if before and m.version > before]
    for migration in applied:
        with conn.transaction():
            if migration.sql.strip():
                conn.execute(migration.sql)
    return applied


def record(conn: psycopg.Connection) -> None:
    """Record every version up to :data:`SCHEMA_VERSION` as applied (idempotent)."""
    conn.execute(VERSION_TABLE_SQL)
    for migration in MIGRATIONS:
        conn.execute(
            "INSERT INTO archive.schema_version (version, description) VALUES (%s, %s) "
            "ON CONFLICT (version) DO NOTHING",
            (migration.version, migration.description),
        )
