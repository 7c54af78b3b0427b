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
tables.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from prov.model import (
    ProvActivity,
    ProvAgent,
    ProvAssociation,
    ProvDocument,
    ProvEntity,
    ProvGeneration,
    ProvUsage,
)
from psycopg import sql

from ctanb.services import obscore
from ctanb.services.obscore import Column

__all__ = [
    "COLUMNS",
    "SCHEMA",
    "TABLES",
    "Rights",
    "check_product_document",
    "create_sql",
    "delete_records",
    "grant_reader",
    "record_document",
    "record_job",
    "taken",
]

SCHEMA = "provenance"
_c = Column


def _id(name: str, what: str, ucd: str = "meta.id") -> Column:
    return _c(name, "text", "char", "", ucd, "", what)


def _obscore(name: str, what: str) -> Column:
    """An ObsCore column in a provenance table: the same UCD and utype, in every result."""
    return dataclasses.replace(
        obscore.COLUMN_BY_NAME[name], sql="text", description=what, group="cta", indexed=False
    )


_ID = _id("id", "Identifier (a qualified name, e.g. ctanb:product/...)", "meta.id;meta.main")
_NAME = _c("name", "text", "char", "", "meta.title", "", "Short name")
_COMMENT = _c("comment", "text", "char", "", "meta.note", "", "Description")
_ROLE = _c("role", "text", "char", "", "meta.code", "", "Role of the relation")
_ACTIVITY_ID = _id("activity_id", "Identifier of the activity")
_ENTITY_ID = _id("entity_id", "Identifier of the entity")

#: Published table -> columns (name, SQL type, metadata), in ProvTAP's order.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "provenance.activity": (
        _ID,
        _NAME,
        _c(
            "start_time",
            "timestamp",
            "char",
            "",
            "time.start",
            "",
            "Start (UTC)",
            xtype="timestamp",
        ),
        _c("end_time", "timestamp", "char", "", "time.end", "", "End (UTC)", xtype="timestamp"),
        _COMMENT,
        _c(
            "entry_point",
            "text",
            "char",
            "",
            "meta.code",
            "",
            "module:function that ran",
            group="cta",
        ),
    ),
    "provenance.entity": (
        _ID,
        _NAME,
        _c("location", "text", "char", "", "meta.ref.url", "", "Path or URL of the entity"),
        _c(
            "generated_at_time",
            "timestamp",
            "char",
            "",
            "time.creation",
            "",
            "When the entity was generated (UTC)",
            xtype="timestamp",
        ),
        _COMMENT,
        _c(
            "entity_type",
            "text",
            "char",
            "",
            "meta.code.class",
            "",
            "Kind: events, irf:aeff, spectrum, countmap ...",
            group="cta",
        ),
        _obscore("obs_id", "Observation (run) the entity is, if any"),
        _obscore("obs_collection", "Collection of that run"),
        _obscore("obs_publisher_did", "ObsCore identifier of a published product (ivoa.obscore)"),
        _c(
            "checksum",
            "text",
            "char",
            "",
            "meta.checksum",
            "",
            "sha256:<hex> of the data",
            group="cta",
        ),
    ),
    "provenance.used": (
        _ACTIVITY_ID,
        _ENTITY_ID,
        _ROLE,
    ),
    "provenance.wasgeneratedby": (
        _ENTITY_ID,
        _ACTIVITY_ID,
        _ROLE,
    ),
    "provenance.wasassociatedwith": (
        _ACTIVITY_ID,
        _id("agent_id", "Identifier of the agent"),
        _ROLE,
    ),
    "provenance.agent": (
        _ID,
        _NAME,
        _c("type", "text", "char", "", "meta.code.class", "", "prov:Person or prov:SoftwareAgent"),
        _COMMENT,
        _c(
            "version",
            "text",
            "char",
            "",
            "meta.version",
            "",
            "Version of a software agent",
            group="cta",
        ),
    ),
    "provenance.parameter": (
        _ID,
        _ACTIVITY_ID,
        _NAME,
        _c("parameter_value", "text", "char", "", "meta.code", "", "Value, as text"),
        _c("parameter_unit", "text", "char", "", "meta.unit", "", "Unit of the value"),
    ),
}

TABLES: tuple[tuple[str, str, str], ...] = (
    (SCHEMA, "provenance.activity", "ProvTAP activities: jobs and analyses that made products"),
    (SCHEMA, "provenance.entity", "ProvTAP entities: runs, IRFs, queries and products"),
    (SCHEMA, "provenance.used", "ProvTAP used: entities an activity read"),
    (SCHEMA, "provenance.wasgeneratedby", "ProvTAP wasGeneratedBy: the activity of a product"),
    (SCHEMA, "provenance.wasassociatedwith", "ProvTAP wasAssociatedWith: who and what ran it"),
    (SCHEMA, "provenance.agent", "ProvTAP agents: people and software"),
    (SCHEMA, "provenance.parameter", "ProvTAP parameters of activities"),
)
SCHEMA_DESCRIPTION = "IVOA ProvTAP: provenance of jobs and published products"

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
        lines = ",\n    ".join(f"{c.name} {c.sql}" for c in columns)
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
def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        value = next(iter(value), None)
        if value is None:
            return None
    return str(value)


def _attribute(record: Any, name: str) -> str | None:
    """First value of an attribute given by its local name (any namespace)."""
    for key, value in record.attributes:
        if key.localpart == name:
            return _text(value)
    return None


def _iso(value: Any) -> datetime | None:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else None


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
    extra = {"record_id": record_id, **rights.__dict__}
    extra["owner_groups"] = list(rights.owner_groups)
    extra["release_date"] = _iso(rights.release_date)
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in COLUMNS}
    generated_at: dict[str, datetime | None] = {}
    flat = doc.flattened()
    for record in flat.get_records():
        identifier = str(record.identifier) if record.identifier else None
        if isinstance(record, ProvActivity):
            rows["provenance.activity"].append(
                {
                    "id": identifier,
                    "name": _attribute(record, "name") or _attribute(record, "label"),
                    "start_time": _iso(record.get_startTime()),
                    "end_time": _iso(record.get_endTime()),
                    "comment": _attribute(record, "description"),
                    "entry_point": _attribute(record, "entry_point"),
                }
            )
        elif isinstance(record, ProvEntity):
            kind = _attribute(record, "type")
            if kind == "voprov:Parameter":
                rows["provenance.parameter"].append(
                    {
                        "id": identifier,
                        "activity_id": (identifier or "").rsplit("/parameter/", 1)[0],
                        "name": _attribute(record, "name"),
                        "parameter_value": _attribute(record, "value"),
                        "parameter_unit": _attribute(record, "unit") or None,
                    }
                )
                continue
            obs_id = _attribute(record, "obs_id")
            entity: dict[str, Any] = {
                "id": identifier,
                "name": _attribute(record, "label"),
                "location": _attribute(record, "path"),
                "generated_at_time": None,
                "comment": _attribute(record, "adql"),
                "entity_type": _attribute(record, "role") or _attribute(record, "kind") or kind,
                "obs_id": obs_id if obs_id not in (None, "None", "") else None,
                "obs_collection": _attribute(record, "collection") or None,
                "obs_publisher_did": None,
                "checksum": _attribute(record, "checksum"),
            }
            entity.update((annotate or {}).get(identifier or "", {}))
            rows["provenance.entity"].append(entity)
        elif isinstance(record, ProvAgent):
            versions = [f"{k.localpart}={v}" for k, v in record.attributes if "version_" in str(k)]
            rows["provenance.agent"].append(
                {
                    "id": identifier,
                    "name": _attribute(record, "name"),
                    "type": _attribute(record, "type"),
                    "comment": " ".join(sorted(versions)) or None,
                    "version": _attribute(record, f"version_{_attribute(record, 'name')}"),
                }
            )
        elif isinstance(record, ProvUsage):
            args = dict(record.formal_attributes)
            rows["provenance.used"].append(
                {
                    "activity_id": _text(args.get(_qn("activity"))),
                    "entity_id": _text(args.get(_qn("entity"))),
                    "role": _attribute(record, "role"),
                }
            )
        elif isinstance(record, ProvGeneration):
            args = dict(record.formal_attributes)
            rows["provenance.wasgeneratedby"].append(
                {
                    "entity_id": _text(args.get(_qn("entity"))),
                    "activity_id": _text(args.get(_qn("activity"))),
                    "role": _attribute(record, "role"),
                }
            )
            generated_at[_text(args.get(_qn("entity"))) or ""] = _iso(args.get(_qn("time")))
        elif isinstance(record, ProvAssociation):
            args = dict(record.formal_attributes)
            rows["provenance.wasassociatedwith"].append(
                {
                    "activity_id": _text(args.get(_qn("activity"))),
                    "agent_id": _text(args.get(_qn("agent"))),
                    "role": _attribute(record, "role"),
                }
            )
    for row in rows["provenance.entity"]:
        row["generated_at_time"] = generated_at.get(row["id"] or "")
    for table, table_rows in rows.items():
        if not table_rows:
            continue
        columns = [c.name for c in COLUMNS[table]] + list(extra)
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.SQL(_base(table)),
            sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            sql.SQL(", ").join(sql.Placeholder() for _ in columns),
        )
        with conn.cursor() as cur:
            own = columns[: -len(extra)]
            cur.executemany(
                statement, [[row.get(c) for c in own] + list(extra.values()) for row in table_rows]
            )
    return record_id


def check_product_document(doc: ProvDocument) -> tuple[str, str]:
    """Check that a document describes one product made by one activity; return their ids.

    A published document is the user's to write, so it may only speak of its own product
    and activity: every stored relation (used, wasGeneratedBy, wasAssociatedWith) must be of
    that activity, wasGeneratedBy only of that product, and parameters must be the
    activity's. Other products' and activities' lineage cannot be written through it.

    Raises
    ------
    ValueError
        Saying which rule the document breaks.
    """
    flat = doc.flattened()
    records = list(flat.get_records())
    products = [
        str(r.identifier)
        for r in records
        if isinstance(r, ProvEntity) and str(r.identifier).startswith("ctanb:product/")
    ]
    activities = [str(r.identifier) for r in records if isinstance(r, ProvActivity)]
    if len(products) != 1 or len(activities) != 1:
        raise ValueError(
            "the provenance must describe exactly one product (ctanb:product/...) and the one "
            f"activity that made it; found {len(products)} products, {len(activities)} activities"
        )
    product, activity = products[0], activities[0]
    for record in records:
        args = {k.localpart: _text(v) for k, v in record.formal_attributes if v is not None}
        if isinstance(record, (ProvUsage, ProvAssociation)) and args.get("activity") != activity:
            raise ValueError(f"the provenance relates another activity: {args.get('activity')}")
        if isinstance(record, ProvGeneration) and (
            args.get("activity") != activity or args.get("entity") != product
        ):
            raise ValueError(
                "the provenance says another entity was generated: "
                f"{args.get('entity')} by {args.get('activity')}"
            )
        if (
            isinstance(record, ProvEntity)
            and _attribute(record, "type") == "voprov:Parameter"
            and not str(record.identifier).startswith(f"{activity}/parameter/")
        ):
            raise ValueError(f"a parameter of another activity: {record.identifier}")
    return product, activity


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
    from ctanb.prov.document import Provenance

    path = workdir / "provenance.json"
    if not path.exists():
        return None
    doc = Provenance()
    doc.update(ProvDocument.deserialize(content=path.read_text(), format="json"))
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


def _qn(name: str) -> Any:
    """The qualified name of a formal attribute of a relation (prov:activity, prov:entity ...)."""
    from prov.constants import PROV

    return PROV[name]


def lineage_rows(
    cur: psycopg.Cursor, entity_id: str, depth: int
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of the lineage of ``entity_id``, ``depth`` generations back, as the cursor may see.

    Returns the visible rows by table, selected through the published views (so with the
    caller's rights when ``cur`` runs as the read-only role).
    """
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
    result: dict[str, list[tuple[Any, ...]]] = {}
    ids = list(entities)
    acts = list(activities)
    queries = {
        "provenance.entity": ("id", ids),
        "provenance.activity": ("id", acts),
        "provenance.used": ("activity_id", acts),
        "provenance.wasgeneratedby": ("activity_id", acts),
        "provenance.wasassociatedwith": ("activity_id", acts),
        "provenance.parameter": ("activity_id", acts),
    }
    for table, (key, values) in queries.items():
        names = ", ".join(c.name for c in COLUMNS[table])
        result[table] = cur.execute(
            f"SELECT {names} FROM {table} WHERE {key} = ANY(%s)", (values,)
        ).fetchall()
    agents = list({row[1] for row in result["provenance.wasassociatedwith"]})
    names = ", ".join(c.name for c in COLUMNS["provenance.agent"])
    result["provenance.agent"] = cur.execute(
        f"SELECT {names} FROM provenance.agent WHERE id = ANY(%s)", (agents,)
    ).fetchall()
    return result
