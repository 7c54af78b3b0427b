"""The IVOA TAP 1.1 endpoint: sync queries, VOSI resources, and the query runner.

``run_query`` is the one place a query runs; ``/tap/sync`` calls it directly and the
async binding (a UWS job type, see ``ctanb.services.uws``) calls it from a worker.
"""

from __future__ import annotations

import logging
from typing import Annotated

import psycopg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ctanb.errors import UsageError
from ctanb.services import vosi
from ctanb.services.adql import ADQLError, Translation
from ctanb.services.auth import Identity, get_identity
from ctanb.services.results import (
    QueryResult,
    error_document,
    normalise_format,
    render,
)
from ctanb.services.store import Store
from ctanb.services.translator import translate_within_budget

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAXREC", "HARD_MAXREC", "QueryError", "router", "run_query", "tap_request"]

DEFAULT_MAXREC = 100_000
HARD_MAXREC = 1_000_000


class QueryError(UsageError):
    """A query that failed for a reason the user can fix; the message says which."""


def run_query(
    store: Store,
    adql: str,
    *,
    maxrec: int | None = None,
    groups: frozenset[str] | set[str] = frozenset(),
    timeout_ms: int | None = None,
) -> QueryResult:
    """Run an ADQL query as the read-only role with the caller's groups.

    Parameters
    ----------
    store : Store
        The ObsCore store.
    adql : str
        ADQL 2.0 query.
    maxrec : int, optional
        Most rows returned; one more is read to detect overflow.
    groups : set of str
        Groups of the caller (row-level security shows their proprietary rows).
    timeout_ms : int, optional
        Statement timeout.

    Raises
    ------
    QueryError
        For an ADQL or database error the user can fix (message points at the problem).
    """
    translation = _translate(adql)
    limit = DEFAULT_MAXREC if maxrec is None else max(0, min(int(maxrec), HARD_MAXREC))
    try:
        columns, rows = store.run_user_query(
            translation.sql, groups, timeout_ms=timeout_ms, max_rows=limit + 1
        )
        names = [c.name for c in columns]
        types = _type_names(store, [c.type_code for c in columns])
    except psycopg.errors.QueryCanceled as exc:
        raise QueryError(
            "query cancelled: it ran longer than the statement timeout; add constraints "
            "or use TOP/MAXREC"
        ) from exc
    except psycopg.Error as exc:
        raise QueryError(_database_message(exc, translation.sql)) from exc
    overflow = len(rows) > limit
    return QueryResult(names, types, list(rows[:limit]), overflow=overflow)


def _translate(adql: str) -> Translation:
    try:
        return translate_within_budget(adql)
    except ADQLError as exc:
        raise QueryError(str(exc)) from exc


_TYPE_CACHE: dict[int, str] = {}


def _type_names(store: Store, oids: list[int]) -> list[str]:
    """PostgreSQL type names of result columns (the store is asked only for new ones)."""
    missing = [oid for oid in set(oids) if oid not in _TYPE_CACHE]
    if missing:
        with store.connection() as conn:
            for oid, name in conn.execute(
                "SELECT oid::int, typname FROM pg_type WHERE oid = ANY(%s)", (missing,)
            ):
                _TYPE_CACHE[oid] = name
    return [_TYPE_CACHE.get(oid, "text") for oid in oids]


def _database_message(exc: psycopg.Error, sql: str) -> str:
    diag = exc.diag
    message = diag.message_primary or str(exc).splitlines()[0]
    if diag.statement_position:
        position = int(diag.statement_position)
        snippet = sql[max(0, position - 30) : position + 30]
        message += f" (near '{snippet}')"
    if diag.message_hint:
        message += f". Hint: {diag.message_hint}"
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        message = "this query reads something the TAP service does not publish: " + message
    return message


# ---------------------------------------------------------------------------- HTTP binding
router = APIRouter(prefix="/tap", tags=["TAP"])


async def tap_request(request: Request) -> dict[str, str]:
    """Return the request's parameters (query string and form) with upper-case names."""
    params = {k.upper(): v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k.upper(): str(v) for k, v in form.items()})
    return params


def _error(message: str, status: int = 400) -> Response:
    return Response(
        error_document(message), status_code=status, media_type="application/x-votable+xml"
    )


def base_url(request: Request) -> str:
    """Public base URL of the service, for access_url values."""
    configured = getattr(request.app.state, "public_url", None)
    return configured or str(request.base_url).rstrip("/")


def check_query_params(params: dict[str, str]) -> tuple[str, int | None, str, str]:
    """Validate LANG/QUERY/MAXREC/RESPONSEFORMAT; return (query, maxrec, fmt, media type)."""
    request_type = params.get("REQUEST", "doQuery")
    if request_type.lower() != "doquery":
        raise QueryError(f"unsupported REQUEST '{request_type}': use REQUEST=doQuery")
    lang = params.get("LANG")
    if lang is None:
        raise QueryError("missing LANG parameter: use LANG=ADQL")
    if lang.upper() not in ("ADQL", "ADQL-2.0", "ADQL-2.1"):
        raise QueryError(f"unsupported LANG '{lang}': this service speaks ADQL")
    query = params.get("QUERY")
    if not query or not query.strip():
        raise QueryError("missing QUERY parameter: send an ADQL SELECT statement")
    maxrec = params.get("MAXREC")
    try:
        limit = int(maxrec) if maxrec not in (None, "") else None
    except ValueError as exc:
        raise QueryError(f"MAXREC must be a whole number, not '{maxrec}'") from exc
    if limit is not None and limit < 0:
        raise QueryError("MAXREC must not be negative")
    try:
        fmt, media = normalise_format(params.get("RESPONSEFORMAT") or params.get("FORMAT"))
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    return query, limit, fmt, media


@router.api_route("/sync", methods=["GET", "POST"])
async def sync(request: Request, identity: Annotated[Identity, Depends(get_identity)]) -> Response:
    """TAP synchronous query."""
    params = await tap_request(request)
    try:
        query, maxrec, fmt, media = check_query_params(params)
        store: Store = request.app.state.store
        result = await run_in_threadpool(
            run_query, store, query, maxrec=maxrec, groups=identity.groups
        )
    except QueryError as exc:
        return _error(str(exc))
    if maxrec == 0 and fmt not in ("csv", "tsv"):
        result.overflow = True
    try:
        body = render(result, fmt, base_url(request))
    except Exception as exc:
        log.exception("cannot serialise the result of %r", query)
        return _error(f"the result could not be written as {fmt}: {exc}", status=500)
    return Response(body, media_type=media)


@router.get("/tables")
async def tables() -> Response:
    """VOSI tables."""
    return Response(vosi.tableset(), media_type="text/xml")


@router.get("/capabilities")
async def capabilities(request: Request) -> Response:
    """VOSI capabilities with the TAPRegExt description."""
    return Response(vosi.capabilities(base_url(request) + "/tap"), media_type="text/xml")


@router.get("/examples")
async def examples(request: Request) -> Response:
    """DALI examples: the prototype's queries, ready to copy."""
    return Response(vosi.examples(base_url(request) + "/tap"), media_type="application/xhtml+xml")


@router.get("/availability")
async def availability(request: Request) -> Response:
    """VOSI availability: up when the store answers."""
    store: Store = request.app.state.store
    try:
        await run_in_threadpool(_ping, store)
        ok, note = True, "the ctanb archive is accepting queries"
    except Exception as exc:
        ok, note = False, f"store unreachable: {exc}"  # the XML writer escapes it
    return Response(vosi.availability(ok, note), media_type="text/xml")


def _ping(store: Store) -> None:
    with store.connection() as conn:
        conn.execute("SELECT 1")
