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
"""

from __future__ import annotations

import collections
import hashlib
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from psycopg import sql
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ctanb.services import provtap
from ctanb.services.auth import Identity, get_identity
from ctanb.services.datalink import Link
from ctanb.services.store import Store

__all__ = ["COLLECTION", "MAX_PRODUCT_BYTES", "router"]

router = APIRouter(tags=["products"])

COLLECTION = "CTANB-DL4"
MAX_PRODUCT_BYTES = 64 * 1024**2
DEFAULT_EMBARGO = timedelta(days=365)
#: Map HDUs of a product, in the order that names it (a significance map also holds COUNTS)
MAP_HDUS = ("SQRT_TS", "SIGNIFICANCE", "EXCESS", "FLUX", "COUNTS")
_MAP_KINDS = {"SQRT_TS": "significance", "SIGNIFICANCE": "significance", "COUNTS": "countmap"}
HC_TEV_M = 1.239841984e-18  # h c in TeV m: wavelength = HC / energy
_MAX_TITLE = 300


@dataclass
class Product:
    """What the service learnt from an uploaded product."""

    dataproduct_type: str
    kind: str
    doc: Any
    entity_id: str
    runs: list[tuple[str | None, str]]  # (collection, obs_id)
    activity_id: str = ""
    energy: tuple[float, float] | None = None  # TeV
    time: tuple[float, float] | None = None  # MJD
    centre: tuple[float, float, float] | None = None  # ra, dec, fov (deg)
    shape: dict[str, int] = field(default_factory=dict)


def _bad(message: str, status: int = 400) -> HTTPException:
    return HTTPException(status, message)


def inspect_product(data: bytes) -> Product:
    """Check that ``data`` is a FITS product ctanb can read; describe it.

    Raises
    ------
    HTTPException
        400 naming what is wrong (not FITS, no product HDU, no provenance, no runs).
    """
    from astropy.io import fits
    from astropy.table import Table

    from ctanb.prov.fits import read_provenance_hdu

    if not data.startswith(b"SIMPLE  ="):
        raise _bad("the file is not FITS: publish a product written by ctanb (product.publish())")
    try:
        hdulist = fits.open(io.BytesIO(data), memmap=False, lazy_load_hdus=False)
    except Exception as exc:
        raise _bad(f"the FITS file cannot be read: {exc}") from exc
    with hdulist:
        if any(isinstance(hdu, fits.CompImageHDU) for hdu in hdulist):
            # a few MiB of tile-compressed zeros can expand to gigabytes when read
            raise _bad("compressed image HDUs are not accepted: write the product uncompressed")
        names = {hdu.name for hdu in hdulist}
        try:
            doc = read_provenance_hdu(hdulist)
        except Exception as exc:
            raise _bad(f"the PROVENANCE HDU cannot be read as PROV-JSON: {exc}") from exc
        if doc is None:
            raise _bad(
                "the file has no PROVENANCE HDU: publish products made by ctanb (count maps, "
                "spectra, light curves), whose provenance says which runs they used"
            )
        try:
            if "SPECTRUM" in names:
                table = Table.read(hdulist["SPECTRUM"])
                energy = (float(np.min(table["e_min"])), float(np.max(table["e_max"])))
                product = Product("spectrum", "spectrum", doc, "", [], energy=energy)
                product.shape.update(em_xel=len(table), event_count=int(np.sum(table["n_on"])))
            elif "LIGHTCURVE" in names:
                table = Table.read(hdulist["LIGHTCURVE"])
                time = (float(np.min(table["time_min"])), float(np.max(table["time_max"])))
                product = Product("timeseries", "lightcurve", doc, "", [], time=time)
                product.shape.update(t_xel=len(table), event_count=int(np.sum(table["n_on"])))
            elif names & set(MAP_HDUS):
                from gammapy.maps import Map

                hdu = next(n for n in MAP_HDUS if n in names)
                image = Map.from_hdulist(hdulist, hdu=hdu)
                geom = image.geom
                width = float(np.max(geom.width.to_value("deg")))
                centre = geom.center_skydir.icrs
                energy_axes = [a for a in geom.axes if a.name == "energy"]
                cube = any(a.nbin > 1 for a in geom.axes)
                product = Product(
                    "cube" if cube else "image",
                    _MAP_KINDS.get(hdu, hdu.lower()),
                    doc,
                    "",
                    [],
                    centre=(float(centre.ra.deg), float(centre.dec.deg), width),
                )
                if energy_axes:
                    edges = energy_axes[0].edges.to_value("TeV")
                    product.energy = (float(edges[0]), float(edges[-1]))
                    product.shape["em_xel"] = energy_axes[0].nbin
                ny, nx = image.data.shape[-2:]
                product.shape.update(s_xel1=int(nx), s_xel2=int(ny))
                if "COUNTS" in names:
                    counts = image if hdu == "COUNTS" else Map.from_hdulist(hdulist, hdu="COUNTS")
                    product.shape["event_count"] = int(np.nansum(counts.data))
            else:
                raise _bad(
                    "no product in the file: expected an HDU named SPECTRUM, LIGHTCURVE or "
                    f"one of {', '.join(MAP_HDUS)} (found {', '.join(sorted(names))})"
                )
        except HTTPException:
            raise
        except Exception as exc:
            raise _bad(f"the product in the file cannot be read: {exc}") from exc
    try:
        product.entity_id, product.activity_id = provtap.check_product_document(doc)
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    for record in doc.get_records():
        attributes = {k.localpart: v for k, v in record.attributes}
        if attributes.get("role") == "events" and attributes.get("obs_id") not in (None, "None"):
            collection = attributes.get("collection") or None
            product.runs.append(
                (str(collection) if collection else None, str(attributes["obs_id"]))
            )
    if not product.runs:
        raise _bad(
            "the product's provenance names no run of the archive: publish products made "
            "from archive runs (their obs_ids link the product to them)"
        )
    return product


def _release(text: str | None, rights: str) -> datetime | None:
    if not text:
        return None if rights == "public" else datetime.now(UTC) + DEFAULT_EMBARGO
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _bad(
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
            raise _bad(
                f"you are not a member of group {asked!r}: publish into one of your groups "
                f"({', '.join(sorted(identity.groups)) or 'none'})",
                403,
            )
        return asked
    if len(identity.groups) == 1:
        return next(iter(identity.groups))
    if not identity.groups:
        raise _bad("you belong to no group: a published product belongs to a group", 403)
    raise _bad(f"name the group to publish into: one of {', '.join(sorted(identity.groups))}")


def _runs_row(store: Store, product: Product, groups: frozenset[str]) -> dict[str, Any]:
    """ObsCore values of the product taken from the runs it used (which the caller must see)."""
    obs_ids = sorted({obs_id for _, obs_id in product.runs})
    with store.reader(groups) as cur:
        rows = cur.execute(
            "SELECT obs_collection, obs_id, s_ra, s_dec, s_fov, t_min, t_max, t_exptime, "
            "energy_min, energy_max, target_name, facility_name, instrument_name "
            "FROM ivoa.obscore WHERE obs_id = ANY(%s) AND calib_level < 4",
            (obs_ids,),
        ).fetchall()
    found = {row[1] for row in rows}
    missing = [o for o in obs_ids if o not in found]
    if missing:
        raise _bad(
            "you may publish only products of runs you may read; not in the archive or not "
            f"yours to read: {', '.join(missing[:10])}",
            403,
        )
    ra = np.radians([r[2] for r in rows])
    dec = np.radians([r[3] for r in rows])
    vector = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)]).mean(1)
    c_ra = float(np.degrees(np.arctan2(vector[1], vector[0])) % 360)
    c_dec = float(np.degrees(np.arctan2(vector[2], np.hypot(vector[0], vector[1]))))
    cos_sep = np.sin(np.radians(c_dec)) * np.sin(dec) + np.cos(np.radians(c_dec)) * np.cos(
        dec
    ) * np.cos(ra - np.radians(c_ra))
    reach = np.degrees(np.arccos(np.clip(cos_sep, -1, 1))) + np.array([r[4] or 0 for r in rows]) / 2

    def joined(index: int) -> str | None:
        values = sorted({str(r[index]) for r in rows if r[index]})
        return ", ".join(values) or None

    targets = collections.Counter(r[10] for r in rows if r[10])
    return {
        "s_ra": c_ra,
        "s_dec": c_dec,
        "s_fov": float(2 * np.max(reach)),
        "t_min": min((r[5] for r in rows if r[5] is not None), default=None),
        "t_max": max((r[6] for r in rows if r[6] is not None), default=None),
        "t_exptime": float(sum(r[7] or 0 for r in rows)),
        "energy_min": min((r[8] for r in rows if r[8] is not None), default=None),
        "energy_max": max((r[9] for r in rows if r[9] is not None), default=None),
        "target_name": targets.most_common(1)[0][0] if targets else None,
        "facility_name": joined(11),
        "instrument_name": joined(12),
        "runs": sorted(found),
    }


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
    product = inspect_product(data)
    values = _runs_row(store, product, identity.groups)
    runs = values.pop("runs")
    if product.centre is not None:  # a map knows its own field
        values["s_ra"], values["s_dec"], values["s_fov"] = product.centre
    if product.energy is not None:
        values["energy_min"], values["energy_max"] = product.energy
    if product.time is not None:
        values["t_min"], values["t_max"] = product.time
    product_id = uuid.uuid4().hex
    folder = home / "products"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{product_id}.fits"
    did = f"ivo://ctanb/{COLLECTION}?{product_id}"
    access_url = f"/data/{COLLECTION}/{product_id}"
    energy_min, energy_max = values["energy_min"], values["energy_max"]
    row = {
        **values,
        "dataproduct_type": product.dataproduct_type,
        "dataproduct_subtype": "DL4",
        "calib_level": 4,
        "obs_collection": COLLECTION,
        "obs_id": product_id,
        "obs_publisher_did": did,
        "obs_creator_did": product.entity_id,
        "obs_creator_name": identity.name,
        "obs_title": (title or f"{product.kind} of runs {', '.join(runs[:8])}")[:_MAX_TITLE],
        "access_url": access_url,
        "access_format": "application/fits",
        "access_estsize": max(1, len(data) // 1024),
        "s_xel1": product.shape.get("s_xel1", -1),
        "s_xel2": product.shape.get("s_xel2", -1),
        "em_xel": product.shape.get("em_xel", -1),
        "t_xel": product.shape.get("t_xel", -1),
        "em_min": HC_TEV_M / energy_max if energy_max else None,
        "em_max": HC_TEV_M / energy_min if energy_min else None,
        "o_ucd": "phot.count",
        "event_count": product.shape.get("event_count"),
        "owner_group": group,
        "data_rights": data_rights,
        "obs_release_date": release.astimezone(UTC).replace(tzinfo=None) if release else None,
        "file_path": str(path),
        "file_sha256": hashlib.sha256(data).hexdigest(),
    }
    names = list(row)
    region = sql.SQL(
        "scircle(spoint(radians(%(s_ra)s), radians(%(s_dec)s)), radians(%(s_fov)s / 2))"
    )
    insert = sql.SQL("INSERT INTO archive.observation ({}, s_region) VALUES ({}, {})").format(
        sql.SQL(", ").join(sql.Identifier(n) for n in names),
        sql.SQL(", ").join(sql.Placeholder(n) for n in names),
        region,
    )
    # the authenticated publisher, beside whoever the document says ran the analysis
    publisher = product.doc.agent(
        f"ctanb:user/{identity.name}", {"prov:type": "prov:Person", "voprov:name": identity.name}
    )
    product.doc.wasAssociatedWith(
        product.activity_id, publisher, other_attributes={"voprov:role": "publisher"}
    )
    path.write_bytes(data)
    try:
        with store.connect() as conn, conn.transaction():
            if provtap.taken(conn, product.entity_id, product.activity_id, identity.groups):
                raise _bad(
                    f"{product.entity_id} is already in the archive: publish a product once "
                    "(a new analysis has a new product id)",
                    409,
                )
            conn.execute(insert, row)
            provtap.record_document(
                conn,
                product.doc,
                provtap.Rights(data_rights, (group,), release),
                annotate={product.entity_id: {"obs_publisher_did": did, "location": access_url}},
            )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return {
        "obs_collection": COLLECTION,
        "obs_id": product_id,
        "obs_publisher_did": did,
        "access_url": access_url,
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
        raise _bad("send the product with a Content-Length (a multipart form upload)", 411)
    if not length.isdigit() or int(length) > MAX_PRODUCT_BYTES + 64 * 1024:
        raise _bad(f"the product is larger than {MAX_PRODUCT_BYTES // 1024**2} MiB", 413)
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except Exception as exc:
        raise _bad(f"send a multipart form with a 'file' field: {exc}") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _bad("send the product as the multipart field 'file'")
    data = await upload.read(MAX_PRODUCT_BYTES + 1)
    await form.close()
    if len(data) > MAX_PRODUCT_BYTES:
        raise _bad(f"the product is larger than {MAX_PRODUCT_BYTES // 1024**2} MiB", 413)
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
        raise _bad(f"data_rights must be 'proprietary' or 'public', not {rights[:40]!r}")
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
            raise _bad(f"no published product {obs_id} of your groups", 404)
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
