"""PROV documents read as ProvTAP rows, and the check of a product's published document.

A W3C PROV document (as :mod:`ctanb.prov` builds them) is flattened and each of its
records becomes one row of a ProvTAP table (:data:`ctanb.services.provtap_tables.COLUMNS`):
activities, entities (parameters are entities of type ``voprov:Parameter``), agents, and
the used / wasGeneratedBy / wasAssociatedWith relations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prov.constants import PROV
from prov.model import (
    ProvActivity,
    ProvAgent,
    ProvAssociation,
    ProvDocument,
    ProvEntity,
    ProvGeneration,
    ProvRecord,
    ProvUsage,
)

from ctanb.services.provtap_tables import COLUMNS

__all__ = ["attribute", "check_product_document", "document_rows", "naive_utc", "text"]

#: Relation record type -> (its table, the formal attributes stored as ``<name>_id``).
_RELATIONS: dict[type[ProvRecord], tuple[str, tuple[str, str]]] = {
    ProvUsage: ("provenance.used", ("activity", "entity")),
    ProvGeneration: ("provenance.wasgeneratedby", ("entity", "activity")),
    ProvAssociation: ("provenance.wasassociatedwith", ("activity", "agent")),
}


def text(value: Any) -> str | None:
    """A PROV attribute value as text (the first of a set), or None."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        value = next(iter(value), None)
        if value is None:
            return None
    return str(value)


def attribute(record: Any, name: str) -> str | None:
    """First value of an attribute given by its local name (any namespace)."""
    for key, value in record.attributes:
        if key.localpart == name:
            return text(value)
    return None


def naive_utc(value: Any) -> datetime | None:
    """A datetime without its time zone (the tables hold UTC ``timestamp``), else None."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else None


def _activity_row(record: ProvActivity, identifier: str | None) -> dict[str, Any]:
    return {
        "id": identifier,
        "name": attribute(record, "name") or attribute(record, "label"),
        "start_time": naive_utc(record.get_startTime()),
        "end_time": naive_utc(record.get_endTime()),
        "comment": attribute(record, "description"),
        "entry_point": attribute(record, "entry_point"),
    }


def _parameter_row(record: ProvEntity, identifier: str | None) -> dict[str, Any]:
    return {
        "id": identifier,
        "activity_id": (identifier or "").rsplit("/parameter/", 1)[0],
        "name": attribute(record, "name"),
        "parameter_value": attribute(record, "value"),
        "parameter_unit": attribute(record, "unit") or None,
    }


def _entity_row(record: ProvEntity, identifier: str | None) -> dict[str, Any]:
    obs_id = attribute(record, "obs_id")
    return {
        "id": identifier,
        "name": attribute(record, "label"),
        "location": attribute(record, "path"),
        "generated_at_time": None,
        "comment": attribute(record, "adql"),
        "entity_type": (
            attribute(record, "role") or attribute(record, "kind") or attribute(record, "type")
        ),
        "obs_id": obs_id if obs_id not in (None, "None", "") else None,
        "obs_collection": attribute(record, "collection") or None,
        "obs_publisher_did": None,
        "checksum": attribute(record, "checksum"),
    }


def _agent_row(record: ProvAgent, identifier: str | None) -> dict[str, Any]:
    versions = [f"{k.localpart}={v}" for k, v in record.attributes if "version_" in str(k)]
    return {
        "id": identifier,
        "name": attribute(record, "name"),
        "type": attribute(record, "type"),
        "comment": " ".join(sorted(versions)) or None,
        "version": attribute(record, f"version_{attribute(record, 'name')}"),
    }


def _relation_row(record: ProvRecord, names: tuple[str, str]) -> dict[str, Any]:
    args = dict(record.formal_attributes)
    row = {f"{name}_id": text(args.get(PROV[name])) for name in names}
    row["role"] = attribute(record, "role")
    return row


def document_rows(
    doc: ProvDocument, annotate: dict[str, dict[str, str]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The rows of each ProvTAP table that the records of ``doc`` make.

    Parameters
    ----------
    doc : ProvDocument
        The provenance (as :func:`ctanb.prov.build_document` makes it).
    annotate : dict, optional
        Extra entity columns by entity identifier (e.g. ``obs_publisher_did``).
    """
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in COLUMNS}
    generated_at: dict[str, datetime | None] = {}
    for record in doc.flattened().get_records():
        identifier = str(record.identifier) if record.identifier else None
        if isinstance(record, ProvActivity):
            rows["provenance.activity"].append(_activity_row(record, identifier))
        elif isinstance(record, ProvEntity):
            if attribute(record, "type") == "voprov:Parameter":
                rows["provenance.parameter"].append(_parameter_row(record, identifier))
                continue
            entity = _entity_row(record, identifier)
            entity.update((annotate or {}).get(identifier or "", {}))
            rows["provenance.entity"].append(entity)
        elif isinstance(record, ProvAgent):
            rows["provenance.agent"].append(_agent_row(record, identifier))
        for kind, (table, names) in _RELATIONS.items():
            if isinstance(record, kind):
                rows[table].append(_relation_row(record, names))
        if isinstance(record, ProvGeneration):
            args = dict(record.formal_attributes)
            generated = text(args.get(PROV["entity"])) or ""
            generated_at[generated] = naive_utc(args.get(PROV["time"]))
    for row in rows["provenance.entity"]:
        row["generated_at_time"] = generated_at.get(row["id"] or "")
    return rows


def _check_relation(record: ProvRecord, product: str, activity: str) -> None:
    args = {k.localpart: text(v) for k, v in record.formal_attributes if v is not None}
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
        and attribute(record, "type") == "voprov:Parameter"
        and not str(record.identifier).startswith(f"{activity}/parameter/")
    ):
        raise ValueError(f"a parameter of another activity: {record.identifier}")


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
    records = list(doc.flattened().get_records())
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
        _check_relation(record, product, activity)
    return product, activity
