"""``GET /provenance/{entity}``: an entity's lineage graph from the ProvTAP tables.

The graph is read through the published views as the read-only role with the caller's
groups, so it holds only what the caller may see: an entity the caller may not see is
reported as not found, like a dataset of ``/data``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ctanb.prov.document import CTANB_NS, VOPROV_NS, Provenance, serialize
from ctanb.services import provtap
from ctanb.services.auth import Identity, get_identity
from ctanb.services.store import Store

__all__ = ["lineage_document", "router"]

router = APIRouter(tags=["provenance"])

MAX_DEPTH = 10
MEDIA_TYPES = {
    "json": "application/json",
    "xml": "text/xml",
    "svg": "image/svg+xml",
    "provn": "text/plain",
}


def _attributes(table: str, row: tuple[Any, ...], skip: tuple[str, ...]) -> dict[str, Any]:
    """A row's non-empty values as ``ctanb:<column>`` attributes (dates in ISO 8601)."""
    names = [c.name for c in provtap.COLUMNS[table]]
    return {
        f"ctanb:{name}": value if not hasattr(value, "isoformat") else value.isoformat()
        for name, value in zip(names, row, strict=True)
        if value is not None and name not in skip
    }


def _add_elements(doc: Provenance, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Entities, activities, agents and parameters of the rows, into ``doc``."""
    for row in rows["provenance.entity"]:
        extra = _attributes("provenance.entity", row, ("id",))
        if row[1]:
            extra["prov:label"] = row[1]
        doc.entity(row[0], extra)
    for row in rows["provenance.activity"]:
        extra = _attributes("provenance.activity", row, ("id", "start_time", "end_time"))
        doc.activity(row[0], row[2], row[3], extra)
    for row in rows["provenance.agent"]:
        doc.agent(row[0], _attributes("provenance.agent", row, ("id",)))
    for row in rows["provenance.parameter"]:
        doc.entity(
            row[0],
            {
                "prov:type": "voprov:Parameter",
                "voprov:name": row[2] or "",
                "voprov:value": row[3] or "",
                "voprov:unit": row[4] or "",
            },
        )
        doc.used(row[1], row[0], other_attributes={"prov:role": "parameter"})


def _add_relations(doc: Provenance, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Used, wasGeneratedBy and wasAssociatedWith of the rows (of entities shown), into ``doc``."""
    entity_ids = {row[0] for row in rows["provenance.entity"]}
    for activity_id, used_id, role in rows["provenance.used"]:
        if used_id in entity_ids:
            doc.used(activity_id, used_id, other_attributes={"prov:role": role or ""})
    for generated_id, activity_id, _ in rows["provenance.wasgeneratedby"]:
        if generated_id in entity_ids:
            doc.wasGeneratedBy(generated_id, activity_id)
    for activity_id, agent_id, role in rows["provenance.wasassociatedwith"]:
        doc.wasAssociatedWith(activity_id, agent_id, other_attributes={"voprov:role": role or ""})


def lineage_document(
    store: Store, entity_id: str, depth: int, groups: frozenset[str]
) -> Provenance | None:
    """Return the W3C PROV document of an entity's lineage, or None if it is not visible."""
    with store.reader(groups) as cur:
        seen = cur.execute("SELECT 1 FROM provenance.entity WHERE id = %s", (entity_id,)).fetchone()
        if not seen:
            return None
        rows = provtap.lineage_rows(cur, entity_id, depth)
    doc = Provenance()
    doc.add_namespace("ctanb", CTANB_NS)
    doc.add_namespace("voprov", VOPROV_NS)
    _add_elements(doc, rows)
    _add_relations(doc, rows)
    return doc


@router.get("/provenance/{entity:path}")
async def provenance(
    entity: str,
    request: Request,
    identity: Annotated[Identity, Depends(get_identity)],
    depth: Annotated[int, Query(ge=0, le=MAX_DEPTH)] = 3,
    format: Annotated[str, Query(pattern="^(json|xml|svg|provn)$")] = "json",
) -> Response:
    """Lineage of an entity (e.g. ``ctanb:product/<id>``), ``depth`` activities back.

    ``format`` json (PROV-JSON), xml (PROV-XML), svg (a graph) or provn (PROV-N).
    """
    store: Store = request.app.state.store
    doc = await run_in_threadpool(lineage_document, store, entity, depth, identity.groups)
    if doc is None:
        raise HTTPException(404, f"no provenance entity {entity!r} that you may read")
    body = await run_in_threadpool(serialize, doc, format)
    return Response(body, media_type=MEDIA_TYPES[format])
