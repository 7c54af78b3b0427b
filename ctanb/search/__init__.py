"""Search the archive: name resolution, the CTA data-mining searches, the TAP client."""

from ctanb.search.adql import cone_query, obscore_query
from ctanb.search.client import ArchiveClient, ArchiveError, MaxRecWarning
from ctanb.search.counterparts import CounterpartError, counterparts
from ctanb.search.resolve import NameResolutionError, Resolved, resolve
from ctanb.search.searches import SearchResult, cone_search, obscore_search

__all__ = [
    "ArchiveClient",
    "ArchiveError",
    "CounterpartError",
    "MaxRecWarning",
    "NameResolutionError",
    "Resolved",
    "SearchResult",
    "cone_query",
    "cone_search",
    "counterparts",
    "obscore_query",
    "obscore_search",
    "resolve",
]
