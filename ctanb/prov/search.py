"""Provenance of saved search results: the archive query and the observations it selected."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
from astropy.table import Table

from ctanb.prov.document import Provenance, build_document
from ctanb.prov.record import ActivityRecord, ArchiveQuery

__all__ = ["search_provenance", "search_record", "table_checksum"]


def search_record(
    adql: str,
    service_url: str,
    obs_ids: Iterable[int],
    *,
    parameters: dict[str, Any] | None = None,
    entry_point: str = "ctanb.search.searches:run_search",
    started: datetime | None = None,
    ended: datetime | None = None,
    user: str | None = None,
) -> ActivityRecord:
    """Record one archive search, for the provenance of its result table.

    Parameters
    ----------
    adql : str
        The ADQL sent to the archive.
    service_url : str
        The TAP service URL.
    obs_ids : iterable of int
        The observations the search returned.
    parameters : dict, optional
        The search function's keyword arguments (target, radius, ...), any type
        :mod:`ctanb.prov.params` encodes.
    entry_point : str
        ``"module:function"`` of the search.
    started, ended : datetime, optional
        Times of the search (default: now).
    user : str, optional
        Person the search ran for (default: hub user or local user).

    Returns
    -------
    ActivityRecord
        With ``query`` holding the ADQL, service URL and selected obs_ids.
    """
    now = datetime.now(UTC)
    extra = {"user": user} if user else {}
    return ActivityRecord(
        name="search",
        entry_point=entry_point,
        inputs=[],
        parameters=dict(parameters or {}),
        started=started or now,
        ended=ended or now,
        query=ArchiveQuery(
            adql=str(adql), service_url=str(service_url), obs_ids=tuple(int(o) for o in obs_ids)
        ),
        **extra,
    )


def table_checksum(table: Table) -> str:
    """``sha256:<hex>`` over a table's column names and values (stable across saves)."""
    digest = hashlib.sha256()
    for name in table.colnames:
        digest.update(name.encode())
        column = np.asarray(table[name])
        if column.dtype.kind == "O":
            digest.update(repr(column.tolist()).encode())
        else:
            digest.update(np.ascontiguousarray(column).tobytes())
    return "sha256:" + digest.hexdigest()


def search_provenance(table: Table, record: ActivityRecord | None = None) -> Provenance:
    """Build the provenance of a saved search result.

    Parameters
    ----------
    table : astropy.table.Table
        The search result. Its ``meta["activity"]`` is used when ``record`` is None; when
        that record's query lists no obs_ids, the table's ``obs_id`` column fills them.
    record : ActivityRecord, optional
        The search's record (e.g. from :func:`search_record`).

    Returns
    -------
    Provenance
        The product entity (the table, with its checksum) was derived from the query entity.
    """
    record = record or table.meta.get("activity")
    if record is None:
        raise ValueError(
            "this table carries no search record: pass record=search_record(adql, url, obs_ids)"
        )
    if record.query is not None and not record.query.obs_ids and "obs_id" in table.colnames:
        query = ArchiveQuery(
            record.query.adql, record.query.service_url, tuple(int(o) for o in table["obs_id"])
        )
        record = ActivityRecord(
            name=record.name,
            entry_point=record.entry_point,
            inputs=record.inputs,
            parameters=record.parameters,
            started=record.started,
            ended=record.ended,
            query=query,
            user=record.user,
        )
    checksum = table_checksum(table)
    return build_document(
        record,
        product_id=f"search-{checksum[7:23]}",
        product_checksum=checksum,
        product_kind="search",
    )
