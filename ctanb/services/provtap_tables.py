"""The ProvTAP tables: their names and columns, in the ObsCore model's column shape.

Each column is a :class:`ctanb.obscore.Column` (the one column shape of the archive);
its SQL type follows from its datatype and xtype (:func:`ctanb.services.obscore.sql_type`).
Standard ProvTAP columns are in the ``mandatory`` group (TAP_SCHEMA ``std`` 1), CTA
extensions in ``cta``.
"""

from __future__ import annotations

import dataclasses

from ctanb.obscore import COLUMN_BY_NAME, Column, Group

__all__ = ["COLUMNS", "SCHEMA", "SCHEMA_DESCRIPTION", "TABLES"]

SCHEMA = "provenance"
SCHEMA_DESCRIPTION = "IVOA ProvTAP: provenance of jobs and published products"


def _text(
    name: str, ucd: str, description: str, *, group: Group = "mandatory", xtype: str = ""
) -> Column:
    """A text column of a provenance table (a timestamp with ``xtype="timestamp"``)."""
    return Column(
        name=name, group=group, datatype="char", ucd=ucd, xtype=xtype, description=description
    )


def _id(name: str, description: str, ucd: str = "meta.id") -> Column:
    return _text(name, ucd, description)


def _obscore(name: str, description: str) -> Column:
    """An ObsCore column in a provenance table: the same UCD and utype, in every result."""
    return dataclasses.replace(
        COLUMN_BY_NAME[name], description=description, group="cta", indexed=False
    )


_ID = _id("id", "Identifier (a qualified name, e.g. ctanb:product/...)", "meta.id;meta.main")
_NAME = _text("name", "meta.title", "Short name")
_COMMENT = _text("comment", "meta.note", "Description")
_ROLE = _text("role", "meta.code", "Role of the relation")
_ACTIVITY_ID = _id("activity_id", "Identifier of the activity")
_ENTITY_ID = _id("entity_id", "Identifier of the entity")

#: Published table -> its columns, in ProvTAP's order.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "provenance.activity": (
        _ID,
        _NAME,
        _text("start_time", "time.start", "Start (UTC)", xtype="timestamp"),
        _text("end_time", "time.end", "End (UTC)", xtype="timestamp"),
        _COMMENT,
        _text("entry_point", "meta.code", "module:function that ran", group="cta"),
    ),
    "provenance.entity": (
        _ID,
        _NAME,
        _text("location", "meta.ref.url", "Path or URL of the entity"),
        _text(
            "generated_at_time",
            "time.creation",
            "When the entity was generated (UTC)",
            xtype="timestamp",
        ),
        _COMMENT,
        _text(
            "entity_type",
            "meta.code.class",
            "Kind: events, irf:aeff, spectrum, countmap ...",
            group="cta",
        ),
        _obscore("obs_id", "Observation (run) the entity is, if any"),
        _obscore("obs_collection", "Collection of that run"),
        _obscore("obs_publisher_did", "ObsCore identifier of a published product (ivoa.obscore)"),
        _text("checksum", "meta.checksum", "sha256:<hex> of the data", group="cta"),
    ),
    "provenance.used": (_ACTIVITY_ID, _ENTITY_ID, _ROLE),
    "provenance.wasgeneratedby": (_ENTITY_ID, _ACTIVITY_ID, _ROLE),
    "provenance.wasassociatedwith": (
        _ACTIVITY_ID,
        _id("agent_id", "Identifier of the agent"),
        _ROLE,
    ),
    "provenance.agent": (
        _ID,
        _NAME,
        _text("type", "meta.code.class", "prov:Person or prov:SoftwareAgent"),
        _COMMENT,
        _text("version", "meta.version", "Version of a software agent", group="cta"),
    ),
    "provenance.parameter": (
        _ID,
        _ACTIVITY_ID,
        _NAME,
        _text("parameter_value", "meta.code", "Value, as text"),
        _text("parameter_unit", "meta.unit", "Unit of the value"),
    ),
}

#: (schema, table, description) of every ProvTAP table.
TABLES: tuple[tuple[str, str, str], ...] = (
    (SCHEMA, "provenance.activity", "ProvTAP activities: jobs and analyses that made products"),
    (SCHEMA, "provenance.entity", "ProvTAP entities: runs, IRFs, queries and products"),
    (SCHEMA, "provenance.used", "ProvTAP used: entities an activity read"),
    (SCHEMA, "provenance.wasgeneratedby", "ProvTAP wasGeneratedBy: the activity of a product"),
    (SCHEMA, "provenance.wasassociatedwith", "ProvTAP wasAssociatedWith: who and what ran it"),
    (SCHEMA, "provenance.agent", "ProvTAP agents: people and software"),
    (SCHEMA, "provenance.parameter", "ProvTAP parameters of activities"),
)
