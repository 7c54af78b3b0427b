"""Downloads of event lists and their DataLink: bytes only for those allowed to read them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from ctanb.services import jobtoken
from ctanb.services.auth import Identity, bearer_token, get_identity
from ctanb.services.datalink import MEDIA_TYPE, Link, links_document
from ctanb.services.publish import progenitor_links
from ctanb.services.store import Store

__all__ = ["router", "visible_file"]

router = APIRouter(tags=["data"])

# Collections and obs_ids are short printable names; anything else (NUL bytes, slashes,
# control characters, kilobytes of text) is refused before it reaches the store.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+:-]{0,127}")


def _check_name(kind: str, value: str) -> None:
    if not _NAME.fullmatch(value):
        raise HTTPException(
            404, f"no {kind} named {value[:64]!r}: {kind}s are letters, digits and . _ + : -"
        )


def visible_file(store: Store, collection: str, obs_id: str, groups: frozenset[str]) -> Path:
    """Return the event file of an observation the caller may read.

    Visibility is decided by the row-level security policy (as the read-only role with the
    caller's groups); a row the caller may not see is reported as not found.
    """
    _check_name("collection", collection)
    _check_name("observation", obs_id)
    with store.reader(groups) as cur:
        visible = cur.execute(
            "SELECT 1 FROM ivoa.obscore WHERE obs_collection = %s AND obs_id = %s",
            (collection, obs_id),
        ).fetchone()
    if not visible:
        raise HTTPException(
            404, f"no observation {obs_id} in collection {collection} that you may read"
        )
    with store.connection() as conn:
        row = conn.execute(
            "SELECT file_path FROM archive.observation WHERE obs_collection = %s AND obs_id = %s",
            (collection, obs_id),
        ).fetchone()
    if row is None:  # deleted between the two statements
        raise HTTPException(404, f"no observation {obs_id} in collection {collection}")
    path = Path(row[0])
    if not path.exists():
        raise HTTPException(410, f"the file of observation {obs_id} is no longer on the server")
    return path


async def get_reader_identity(request: Request) -> Identity:
    """Like :func:`get_identity`, and also a job token (accepted by downloads only)."""
    token = bearer_token(request)
    if token is not None and token.startswith(jobtoken.PREFIX):
        identity = jobtoken.job_token_identity(request.app.state.settings, token)
        if identity is None:
            raise HTTPException(
                401,
                "invalid or expired job token: the job ran longer than its token lives; "
                "submit it again",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return identity
    return await get_identity(request)


@router.get("/data/{collection}/{obs_id}")
async def download(
    collection: str,
    obs_id: str,
    request: Request,
    identity: Annotated[Identity, Depends(get_reader_identity)],
) -> Response:
    """Return the event-list file of one observation (FITS).

    Rights are checked on every request; a client holding the file already sends its
    ``ETag`` in ``If-None-Match`` and gets ``304 Not Modified`` (dask workers' caches).
    """
    store = request.app.state.store
    path = await run_in_threadpool(visible_file, store, collection, obs_id, identity.groups)
    response = FileResponse(
        path, media_type="application/fits", filename=path.name, stat_result=path.stat()
    )
    if request.headers.get("if-none-match") == response.headers["etag"]:
        return Response(status_code=304, headers={"etag": response.headers["etag"]})
    return response


def _datalink_row(
    store: Store, collection: str, obs_id: str, groups: frozenset[str]
) -> tuple[str, str, int, str] | None:
    with store.reader(groups) as cur:
        row = cur.execute(
            "SELECT obs_collection, obs_id, access_estsize, calib_level, dataproduct_type "
            "FROM ivoa.obscore WHERE lower(obs_collection) = %s AND obs_id = %s",
            (collection.lower(), obs_id),
        ).fetchone()
    if row is None:
        return None
    if row[3] is not None and int(row[3]) >= 4:
        what = f"DL4 {row[4]} published to the archive, with its provenance inside"
    else:
        what = "DL3 event list with GTI and IRF extensions"
    return str(row[0]), str(row[1]), int(row[2] or 0), what


@router.get("/datalink")
async def datalink(
    ID: str,  # noqa: N803 - the DataLink parameter is upper case
    request: Request,
    identity: Annotated[Identity, Depends(get_identity)],
) -> Response:
    """DataLink {links} for an obs_publisher_did: the event list (with its IRFs inside)."""
    did = ID
    collection, _, obs_id = did.removeprefix("ivo://ctanb/").partition("?")
    store: Store = request.app.state.store
    row = None
    if _NAME.fullmatch(collection) and _NAME.fullmatch(obs_id):
        row = await run_in_threadpool(_datalink_row, store, collection, obs_id, identity.groups)
    base = str(request.base_url).rstrip("/")
    if row:
        links = [
            Link(
                id=did,
                semantics="#this",
                access_url=f"{base}/data/{row[0]}/{row[1]}",
                description=row[3],
                content_type="application/fits",
                content_length=row[2] * 1024,
            )
        ]
        # a published DL4 product also links to the runs it was made from
        links += await run_in_threadpool(progenitor_links, store, did, identity.groups, base)
    else:
        links = [
            Link(
                id=did,
                semantics="#this",
                description="NotFoundFault: no such dataset that you may read",
            )
        ]
    return Response(links_document(links), media_type=MEDIA_TYPE)
