"""ProvTAP: the provenance of jobs and published products, in tables ADQL can query.

The tables follow the IVOA ProvenanceDM 1.0 and its ProvTAP mapping: ``activity``,
``entity``, ``used``, ``wasgeneratedby``, ``wasassociatedwith``, ``agent`` and ``parameter``
in the schema ``provenance``. Two departures, both so that taplint finds no ADQL reserved
word: the parameter's value and unit are ``parameter_value`` and ``parameter_unit`` (VALUE is
reserved; UNIT names a TAP_SCHEMA column), and the relations
carry no ``time`` column (TIME is reserved; an activity's times are on the activity). Entities
carry CTA extensions: ``obs_id`` and ``obs_collection`` of the runs they are,
``obs_publisher_did`` of the ObsCore row they were published as, and their ``checksum``.

Rows live in ``archive.prov_<table>`` with their rights (``data_rights``,
``owner_groups``, ``release_date``) and the ``record_id`` of the provenance document they
came from; the published ``provenance.<table>`` are ``security_invoker`` views, so a
row-level security policy like the ObsCore one hides the provenance of a proprietary
product from outsiders. One entity (a run, the ctanb software agent) recorded by several
documents is one row of the view per identifier.

``record_document`` writes a W3C PROV document (as ``ctanb.prov`` builds them) into the
tables. The tables' columns are in :mod:`ctanb.services.provtap_tables`; how a document's
records become rows, in :mod:`ctanb.services.provtap_records`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from prov.model import ProvDocument
from psycopg import sql

from ctanb.services.obscore import sql_type
from ctanb.services.provtap_records import check_product_document, document_rows, naive_utc
from ctanb.services.provtap_tables import COLUMNS, SCHEMA, SCHEMA_DESCRIPTION, TABLES

__all__ = [
    "COLUMNS",
    "SCHEMA",
    "SCHEMA_DESCRIPTION",
    "TABLES",
    "Rights",
    "check_product_document",
    "create_sql",
    "delete_records",
    "grant_reader",
    "initialise",
    "lineage_rows",
    "record_document",
    "record_job",
    "taken",
]

# Tables whose rows have an identifier: the view shows one row per identifier.
_KEYED = {"activity", "entity", "agent", "parameter"}


@dataclass(frozen=True)
class Rights:
    """Who may read a provenance document's rows.

    ``data_rights`` ``public``, or ``proprietary`` for the members of ``owner_groups``
    until ``release_date`` (none: until made public).
    """

    data_rights: str = "proprietary"
    owner_groups: tuple[str, ...] = ()
    release_date: datetime | None = None


def _base(table: str) -> str:
    return f"archive.prov_{table.split('.', 1)[1]}"


def create_sql() -> str:
    """DDL of the base tables, their row-level security policy and the published views."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
    for table, columns in COLUMNS.items():
        base = _base(table)
        short = table.split(".", 1)[1]
        lines = ",\n    ".join(f"{c.name} {sql_type(c)}" for c in columns)
        statements += [
            f"CREATE TABLE IF NOT EXISTS {base} (\n    {lines},\n"
            "    record_id text NOT NULL,\n"
            "    data_rights text NOT NULL DEFAULT 'proprietary',\n"
            "    owner_groups text[] NOT NULL DEFAULT '{}',\n"
            "    release_date timestamp,\n"
            "    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()\n)",
            f"CREATE INDEX IF NOT EXISTS prov_{short}_record_idx ON {base} (record_id)",
            f"ALTER TABLE {base} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS provenance_rights ON {base}",
            f"CREATE POLICY provenance_rights ON {base} FOR SELECT USING ("
            "data_rights = 'public' "
            "OR (release_date IS NOT NULL AND release_date <= now() AT TIME ZONE 'UTC') "
            "OR owner_groups && archive.user_groups())",
        ]
        for c in columns:
            if c.name in ("id", "activity_id", "entity_id", "agent_id", "obs_id"):
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS prov_{short}_{c.name}_idx ON {base} ({c.name})"
                )
        names = ", ".join(c.name for c in columns)
        distinct = "DISTINCT ON (id)" if short in _KEYED else "DISTINCT"
        # one row per identifier: the first recorded among those the caller may see (for an
        # entity, its published row first: a job's product published later)
        first = "(obs_publisher_did IS NULL), " if short == "entity" else ""
        order = f" ORDER BY id, {first}recorded_at" if short in _KEYED else ""
        statements.append(
            f"CREATE OR REPLACE VIEW {table} WITH (security_invoker = true) AS "
            f"SELECT {distinct} {names} FROM {base}{order}"
        )
    return ";\n".join(statements) + ";\n"


def grant_reader(conn: psycopg.Connection, role: str) -> None:
    """Let the read-only role read the published columns (rights columns stay private).

    Nothing is granted while the role does not exist yet: on a site server whose owner may
    not create roles, ``ctanb db init`` tells the administrator to create it, and the next
    ``ctanb db init`` grants these.
    """
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
        return
    ident = sql.Identifier(role)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), ident))
    for table, columns in COLUMNS.items():
        # the published columns, and recorded_at, by which the views pick one row per id
        readable = [c.name for c in columns] + ["recorded_at"]
        names = sql.SQL(", ").join(sql.Identifier(name) for name in readable)
        schema, short = _base(table).split(".")
        conn.execute(
            sql.SQL("GRANT SELECT ({}) ON {}.{} TO {}").format(
                names, sql.Identifier(schema), sql.Identifier(short), ident
            )
        )
        conn.execute(
            sql.SQL("GRANT SELECT ON {}.{} TO {}").format(
                sql.Identifier(SCHEMA), sql.Identifier(table.split(".")[1]), ident
            )
        )


def initialise(conn: psycopg.Connection, role: str) -> None:
    """Create the provenance tables and views and grant them to ``role`` (idempotent)."""
    conn.execute(create_sql())
    grant_reader(conn, role)


# ------------------------------------------------------------------------------ recording
def record_document(
    conn: psycopg.Connection,
    doc: ProvDocument,
    rights: Rights,
    *,
    annotate: dict[str, dict[str, str]] | None = None,
) -> str:
    """Write a PROV document's records into the provenance tables; return its record id.

    Parameters
    ----------
    conn : psycopg.Connection
        An administrative connection (the caller commits).
    doc : ProvDocument
        The provenance (as :func:`ctanb.prov.build_document` makes it).
    rights : Rights
        Who may read the rows.
    annotate : dict, optional
        Extra entity columns by entity identifier, e.g. the ``obs_publisher_did`` and
        ``location`` of a published product.
    """
    record_id = uuid.uuid4().hex
    extra = {
        "record_id": record_id,
        "data_rights": rights.data_rights,
        "owner_groups": list(rights.owner_groups),
        "release_date": naive_utc(rights.release_date),
    }
    for table, table_rows in document_rows(doc, annotate).items():
        if not table_rows:
            continue
        own = [c.name for c in COLUMNS[table]]
        columns = own + list(extra)
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.SQL(_base(table)),
            sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            sql.SQL(", ").join(sql.Placeholder() for _ in columns),
        )
        with conn.cursor() as cur:
            cur.executemany(
                statement, [[row.get(c) for c in own] + list(extra.values()) for row in table_rows]
            )
    return record_id


def taken(
    conn: psycopg.Connection, entity_id: str, activity_id: str, groups: Iterable[str]
) -> bool:
    """Whether a product's ids may not be published by a member of ``groups``.

    They may when nothing of them is recorded yet, or when only the provenance of a job of
    one of those groups (or public rows) holds them: a job's product is published once, by
    its group. They may not when the product was already published, or when rows of
    another group hold them (so a document cannot graft itself onto another's lineage).
    """
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM archive.prov_entity WHERE id = %(e)s "
        "               AND obs_publisher_did IS NOT NULL) "
        "OR EXISTS (SELECT 1 FROM archive.prov_entity WHERE id = %(e)s AND NOT ("
        "           data_rights = 'public' OR owner_groups && %(g)s::text[])) "
        "OR EXISTS (SELECT 1 FROM archive.prov_activity WHERE id = %(a)s AND NOT ("
        "           data_rights = 'public' OR owner_groups && %(g)s::text[]))",
        {"e": entity_id, "a": activity_id, "g": sorted(groups)},
    ).fetchone()
    return bool(row and row[0])


def record_job(store: Any, job_id: str, workdir: Path, groups: Iterable[str]) -> str | None:
    """Record the provenance a UWS job wrote (``provenance.json``), readable by its groups.

    A job's provenance is proprietary to the owner's groups, with no release date (a job
    of a user in no group is recorded but shown to nobody). Returns the record id, or None
    for a job without provenance (a TAP query).
    """
    path = workdir / "provenance.json"
    if not path.exists():
        return None
    doc = ProvDocument.deserialize(content=path.read_text(), format="json")
    products = [
        str(r.identifier)
        for r in doc.get_records()
        if r.is_element() and str(r.identifier).startswith("ctanb:product/")
    ]
    annotate = {p: {"location": f"uws:{job_id}"} for p in products}
    with store.connect() as conn, conn.transaction():
        return record_document(
            conn, doc, Rights("proprietary", tuple(sorted(groups))), annotate=annotate
        )


def delete_records(conn: psycopg.Connection, record_ids: list[str]) -> None:
    """Delete every row written by the given provenance records."""
    for table in COLUMNS:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE record_id = ANY(%s)").format(sql.SQL(_base(table))),
            (record_ids,),
        )


def _lineage_ids(cur: psycopg.Cursor, entity_id: str, depth: int) -> tuple[set[str], set[str]]:
    """The entities and activities of a lineage, ``depth`` generations back."""
    entities: set[str] = {entity_id}
    activities: set[str] = set()
    frontier = {entity_id}
    for _ in range(max(0, depth)):
        generated = cur.execute(
            "SELECT DISTINCT activity_id FROM provenance.wasgeneratedby WHERE entity_id = ANY(%s)",
            (list(frontier),),
        ).fetchall()
        new_activities = {a for (a,) in generated} - activities
        if not new_activities:
            break
        activities |= new_activities
        used = cur.execute(
            "SELECT DISTINCT entity_id FROM provenance.used WHERE activity_id = ANY(%s)",
            (list(new_activities),),
        ).fetchall()
        frontier = {e for (e,) in used} - entities
        entities |= frontier
    return entities, activities


def _select(cur: psycopg.Cursor, table: str, key: str, values: Iterable[str]) -> list[Any]:
    names = ", ".join(c.name for c in COLUMNS[table])
    return cur.execute(
        f"SELECT {names} FROM {table} WHERE {key} = ANY(%s)", (list(values),)
    ).fetchall()


#: Table of a lineage -> the column its rows are selected by (ids of entities, activities).
_LINEAGE_KEYS = (
    ("provenance.entity", "id", "entities"),
    ("provenance.activity", "id", "activities"),
    ("provenance.used", "activity_id", "activities"),
    ("provenance.wasgeneratedby", "activity_id", "activities"),
    ("provenance.wasassociatedwith", "activity_id", "activities"),
    ("provenance.parameter", "activity_id", "activities"),
)


def lineage_rows(
    cur: psycopg.Cursor, entity_id: str, depth: int
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of the lineage of ``entity_id``, ``depth`` generations back, as the cursor may see.

    Returns the visible rows by table, selected through the published views (so with the
    caller's rights when ``cur`` runs as the read-only role).
    """
    entities, activities = _lineage_ids(cur, entity_id, depth)
    ids = {"entities": entities, "activities": activities}
    result = {table: _select(cur, table, key, ids[of]) for table, key, of in _LINEAGE_KEYS}
    agents = {row[1] for row in result["provenance.wasassociatedwith"]}
    result["provenance.agent"] = _select(cur, "provenance.agent", "id", agents)
    return result
