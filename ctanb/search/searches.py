"""The prototype's searches: one function per use case, each returning an astropy Table.

Each result keeps the ADQL it sent in ``result.meta["adql"]`` (ready to copy into TOPCAT)
and an :class:`~ctanb.prov.record.ActivityRecord` of the search in
``result.meta["activity"]``, from which its provenance is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.prov import search_provenance
from ctanb.prov.record import ActivityRecord, ArchiveQuery
from ctanb.search.adql import cone_query, obscore_query
from ctanb.search.client import ArchiveClient, archive_client
from ctanb.search.resolve import resolve

__all__ = ["SearchResult", "cone_search", "obscore_search", "run_search"]


class SearchResult(Table):
    """An astropy Table of archive rows that knows how it was found.

    ``meta["adql"]`` is the query sent; ``provenance`` is its W3C PROV document (the
    archive query, the service and the obs_ids selected).
    """

    @property
    def provenance(self) -> Any:
        """The search's provenance (shown as a graph in notebooks)."""
        return search_provenance(self)


def run_search(
    adql: str,
    name: str,
    parameters: dict[str, Any],
    client: ArchiveClient | str | None = None,
    maxrec: int | None = None,
) -> SearchResult:
    """Run a search's ADQL and record it (``meta["adql"]``, ``meta["activity"]``)."""
    archive = archive_client(client)
    started = datetime.now(UTC)
    table = SearchResult(archive.query(adql, maxrec=maxrec), copy=False)
    table.meta["activity"] = ActivityRecord(
        name="search",
        entry_point=f"ctanb.search.searches:{name}",
        inputs=[],
        parameters=parameters,
        started=started,
        ended=datetime.now(UTC),
        query=ArchiveQuery(adql=str(adql), service_url=archive.tap_url),
    )
    return table


def cone_search(
    target: str | SkyCoord,
    radius: u.Quantity = 0.1 * u.deg,
    *,
    columns: Sequence[str] | None = None,
    client: ArchiveClient | str | None = None,
    maxrec: int | None = None,
) -> SearchResult:
    """Observations whose field of view intersects a circle (the prototype's cone search).

    Parameters
    ----------
    target : str or SkyCoord
        A position, or a name resolved with :func:`ctanb.search.resolve`.
    radius : Quantity
        Radius of the circle (an angle).
    columns : sequence of str, optional
        Columns to return.
    client : ArchiveClient or str, optional
        The archive (default ``CTANB_SERVICE_URL``).
    maxrec : int, optional
        Most rows.

    Returns
    -------
    astropy.table.Table
        One row per observation; ``meta["adql"]`` holds the query.

    Examples
    --------
    >>> crab = cone_search("Crab", 0.1 * u.deg)  # doctest: +SKIP
    >>> sorted(crab["obs_id"])  # doctest: +SKIP
    ['23523', '23526', '23559', '23592']
    """
    archive = archive_client(client)
    centre = (
        target
        if isinstance(target, SkyCoord)
        else resolve(target, archive_url=archive.base_url).coord
    )
    adql = cone_query(centre, radius, columns)
    return run_search(
        adql,
        "cone_search",
        {"target": target if isinstance(target, str) else centre, "radius": radius},
        archive,
        maxrec,
    )


def obscore_search(
    *, client: ArchiveClient | str | None = None, maxrec: int | None = None, **constraints: Any
) -> SearchResult:
    """Search the ObsCore table with typed constraints.

    Takes every keyword of :func:`ctanb.search.adql.obscore_query`: ``target``, ``region``
    (a ``regions`` circle or polygon), ``time`` (astropy Times), ``energy`` (Quantities in
    any energy or wavelength unit), ``events_above``, ``telescope``,
    ``exclude_pointing_mode``, and any ObsCore column (value, list, or ``(low, high)``).

    Examples
    --------
    >>> import astropy.units as u
    >>> above_50 = obscore_search(events_above=50 * u.TeV)  # doctest: +SKIP
    >>> blazars = obscore_search(target_class="blazar", data_rights="public")  # doctest: +SKIP
    """
    adql = obscore_query(**constraints)
    return run_search(adql, "obscore_search", constraints, client, maxrec)
