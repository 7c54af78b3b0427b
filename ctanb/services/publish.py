"""Products published back into the archive (DL4): ``POST /products``.

A member of a group uploads a FITS product ctanb made (count map or cube, spectrum, light
curve: a product HDU and a PROVENANCE HDU). The service checks it, stores it under its
home as ``products/<product id>.fits`` (a name it makes: the uploaded file name is never
used for a path), inserts one ObsCore row (``calib_level`` 4, ``dataproduct_subtype`` DL4,
owned by the publisher's group, proprietary by default for a year) and writes the product's
provenance into the ProvTAP tables with the same rights, in one transaction. The file is
then served by ``/data/CTANB-DL4/<product id>`` under the row-level security of every
ObsCore row.

What an attacker cannot do, and ``tests/security/test_publish_rights.py`` proves:
publish anonymously (401), into a group they are not in (403), a product of runs they
may not read (403), a file larger than :data:`MAX_PRODUCT_BYTES` (413), something that is
not a ctanb FITS product (400), or choose where the file lands.

The upload is checked and described by :mod:`ctanb.services.uploaded_product`, its
ObsCore row made by :mod:`ctanb.services.product_row`; a product's DataLink links to
its runs are :func:`progenitor_links`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from psycopg import sql
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ctanb.services import provtap
from ctanb.services.auth import Identity, get_identity
from ctanb.services.datalink import Link
from ctanb.services.product_row import COLLECTION, Publication, obscore_row, product_values
from ctanb.services.store import Store
from ctanb.services.uploaded_product import UploadedProduct, bad_request, inspect_product

__all__ = [
    "COLLECTION",
    "MAX_PRODUCT_BYTES",
    "UploadedProduct",
    "inspect_product",
    "progenitor_links",
    "publish_product",
    "router",
    "withdraw_product",
]

router = APIRouter(tags=["products"])

MAX_PRODUCT_BYTES = 64 * 1024**2
DEFAULT_EMBARGO = timedelta(days=365)


def _release(text: str | None, rights: str) -> datetime | None:
    if not text:
        return None if rights == "public" else datetime.now(UTC) + DEFAULT_EMBARGO
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise bad_request(
            f"release_date must be an ISO 8601 date such as 2027-12-31, not {text[:40]!r}"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _group(identity: Identity, asked: str | None) -> str:
    if identity.anonymous:
        raise HTTPException(
            401,
            "publishing needs a token: create one with `ctanb token create NAME --group GROUP`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if asked:
        if asked not in identity.groups:
            raise bad_request(
                f"you are not a member of group {asked!r}: publish into one of your groups "
                f"({', '.join(sorted(identity.groups)) or 'none'})",
                403,
            )
        return asked
    if len(identity.groups) == 1:
        return next(iter(identity.groups))
    if not identity.groups:
        raise bad_request("you belong to no group: a published product belongs to a group", 403)
    raise bad_request(
        f"name the group to publish into: one of {', '.join(sorted(identity.groups))}"
    )


def _insert(names: list[str]) -> sql.Composed:
    """INSERT of an observation row with these named values, its s_region made of its field."""
    region = sql.SQL(
        "scircle(spoint(radians(%(s_ra)s), radians(%(s_dec)s)), radians(%(s_fov)s / 2))"
    )
    return sql.SQL("INSERT INTO archive.observation ({}, s_region) VALUES ({}, {})").format(
        sql.SQL(", ").join(sql.Identifier(n) for n in names),
        sql.SQL(", ").join(sql.Placeholder(n) for n in names),
        region,
    )


def _record(
    store: Store, product: UploadedProduct, row: dict[str, Any], publication: Publication
) -> None:
    """Insert the ObsCore row and the product's provenance, with the publisher, at once."""
    identity = publication.identity
    # the authenticated publisher, beside whoever the document says ran the analysis
    publisher = product.doc.agent(
        f"ctanb:user/{identity.name}", {"prov:type": "prov:Person", "voprov:name": identity.name}
    )
    product.doc.wasAssociatedWith(
        product.activity_id, publisher, other_attributes={"voprov:role": "publisher"}
    )
    published = {"obs_publisher_did": row["obs_publisher_did"], "location": row["access_url"]}
    with store.connect() as conn, conn.transaction():
        if provtap.taken(conn, product.entity_id, product.activity_id, identity.groups):
            raise bad_request(
                f"{product.entity_id} is already in the archive: publish a product once "
                "(a new analysis has a new product id)",
                409,
            )
        conn.execute(_insert(list(row)), row)
        provtap.record_document(
            conn,
            product.doc,
            provtap.Rights(publication.data_rights, (publication.group,), publication.release),
            annotate={product.entity_id: published},
        )


def publish_product(
    store: Store,
    home: Path,
    data: bytes,
    *,
    identity: Identity,
    group: str,
    data_rights: str,
    release: datetime | None,
    title: str | None,
) -> dict[str, Any]:
    """Store the product, insert its ObsCore row and its provenance (one transaction)."""
    publication = Publication(identity, group, data_rights, release, title)
    product = inspect_product(data)
    values, runs = product_values(store, product, identity.groups)
    product_id = uuid.uuid4().hex
    folder = home / "products"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{product_id}.fits"
    row = obscore_row(
        product, values, runs, publication, product_id=product_id, data=data, path=path
    )
    path.write_bytes(data)
    try:
        _record(store, product, row, publication)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return {
        "obs_collection": COLLECTION,
        "obs_id": product_id,
        "obs_publisher_did": row["obs_publisher_did"],
        "access_url": row["access_url"],
        "dataproduct_type": product.dataproduct_type,
        "dataproduct_subtype": "DL4",
        "calib_level": 4,
        "owner_group": group,
        "data_rights": data_rights,
        "obs_release_date": row["obs_release_date"].isoformat() if release else None,
        "runs": runs,
        "provenance_entity": product.entity_id,
        "provenance_url": f"/provenance/{product.entity_id}",
    }


async def _read_upload(request: Request) -> tuple[bytes, dict[str, str]]:
    length = request.headers.get("content-length")
    if length is None:
        raise bad_request("send the product with a Content-Length (a multipart form upload)", 411)
    if not length.isdigit() or int(length) > MAX_PRODUCT_BYTES + 64 * 1024:
        raise bad_request(f"the product is larger than {MAX_PRODUCT_BYTES // 1024**2} MiB", 413)
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except Exception as exc:
        raise bad_request(f"send a multipart form with a 'file' field: {exc}") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise bad_request("send the product as the multipart field 'file'")
    data = await upload.read(MAX_PRODUCT_BYTES + 1)
    await form.close()
    if len(data) > MAX_PRODUCT_BYTES:
        raise bad_request(f"the product is larger than {MAX_PRODUCT_BYTES // 1024**2} MiB", 413)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return data, fields


@router.post("/products", status_code=201)
async def publish(
    request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> JSONResponse:
    """Publish a FITS product as a DL4 ObsCore row with its provenance.

    A multipart form: ``file`` (the FITS product), and optionally ``group``,
    ``data_rights`` (proprietary or public), ``release_date`` (ISO 8601) and ``title``.
    """
    if identity.anonymous or not identity.groups:  # refused before a byte is read
        _group(identity, None)
    data, fields = await _read_upload(request)
    group = _group(identity, fields.get("group") or None)
    rights = (fields.get("data_rights") or "proprietary").lower()
    if rights not in ("proprietary", "public"):
        raise bad_request(f"data_rights must be 'proprietary' or 'public', not {rights[:40]!r}")
    release = _release(fields.get("release_date"), rights)
    state = request.app.state
    result = await run_in_threadpool(
        publish_product,
        state.store,
        Path(state.settings.home),
        data,
        identity=identity,
        group=group,
        data_rights=rights,
        release=release,
        title=fields.get("title"),
    )
    base = str(getattr(state, "public_url", None) or request.base_url).rstrip("/")
    result["access_url"] = base + result["access_url"]
    result["provenance_url"] = base + result["provenance_url"]
    return JSONResponse(result, status_code=201)


def progenitor_links(store: Store, did: str, groups: frozenset[str], base: str) -> list[Link]:
    """DataLink links (``#progenitor``) to the runs a published product was made from.

    Read through ProvTAP and ObsCore as the caller: only runs (and a product) the caller
    may see are listed; for anything else, nothing.
    """
    if not did.startswith(f"ivo://ctanb/{COLLECTION}?"):
        return []
    with store.reader(groups) as cur:
        rows = cur.execute(
            "SELECT DISTINCT o.obs_collection, o.obs_id, o.access_estsize "
            "FROM provenance.entity AS product "
            "JOIN provenance.wasgeneratedby AS gen ON gen.entity_id = product.id "
            "JOIN provenance.used AS us ON us.activity_id = gen.activity_id "
            "JOIN provenance.entity AS run ON run.id = us.entity_id "
            "JOIN ivoa.obscore AS o ON o.obs_id = run.obs_id AND o.calib_level < 4 "
            "WHERE product.obs_publisher_did = %s AND us.role = 'events' "
            "ORDER BY o.obs_id",
            (did,),
        ).fetchall()
    return [
        Link(
            id=did,
            semantics="#progenitor",
            access_url=f"{base}/data/{collection}/{obs_id}",
            description=f"DL3 event list of run {obs_id}, used to make this product",
            content_type="application/fits",
            content_length=(size or 0) * 1024,
        )
        for collection, obs_id, size in rows
    ]


def withdraw_product(store: Store, obs_id: str, identity: Identity) -> None:
    """Delete a published product, its file and its provenance (members of its group only)."""
    with store.connect() as conn, conn.transaction():
        row = conn.execute(
            "SELECT owner_group, file_path, obs_publisher_did FROM archive.observation "
            "WHERE obs_collection = %s AND obs_id = %s FOR UPDATE",
            (COLLECTION, obs_id),
        ).fetchone()
        if row is None or row[0] not in identity.groups:
            # the same answer whether it does not exist or is another group's
            raise bad_request(f"no published product {obs_id} of your groups", 404)
        records = conn.execute(
            "SELECT DISTINCT record_id FROM archive.prov_entity WHERE obs_publisher_did = %s",
            (row[2],),
        ).fetchall()
        conn.execute(
            "DELETE FROM archive.observation WHERE obs_collection = %s AND obs_id = %s",
            (COLLECTION, obs_id),
        )
        provtap.delete_records(conn, [r[0] for r in records])
    Path(row[1]).unlink(missing_ok=True)


@router.delete("/products/{obs_id}", status_code=204)
async def withdraw(
    obs_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Withdraw a published product: its ObsCore row, file and provenance go."""
    if identity.anonymous:
        _group(identity, None)
    await run_in_threadpool(withdraw_product, request.app.state.store, obs_id, identity)
    return Response(status_code=204)
