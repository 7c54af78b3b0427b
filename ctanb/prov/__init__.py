"""W3C PROV provenance of every ctanb product, in the IVOA Provenance Data Model's terms.

This package reads and writes provenance; it sits below :mod:`ctanb.analysis` and never
imports it. Replaying a product runs an analysis, so :func:`replay` lives in
:mod:`ctanb.analysis.replay`; the names below keep ``from ctanb.prov import replay`` working.
"""

from typing import Any

from ctanb.prov.document import Provenance, build_document, serialize, software_versions, to_svg
from ctanb.prov.fits import add_provenance_hdu, read_provenance_hdu, read_sidecar, write_sidecar
from ctanb.prov.record import ActivityRecord, ArchiveQuery, InputFile
from ctanb.prov.search import search_provenance, search_record, table_checksum
from ctanb.prov.tools import Lineage, activity_record, diff, lineage

__all__ = [
    "REPLAYABLE",
    "ActivityRecord",
    "ArchiveQuery",
    "InputFile",
    "Lineage",
    "Provenance",
    "ReplayRefusedError",
    "activity_record",
    "add_provenance_hdu",
    "build_document",
    "diff",
    "lineage",
    "read_provenance_hdu",
    "read_sidecar",
    "replay",
    "search_provenance",
    "search_record",
    "serialize",
    "software_versions",
    "table_checksum",
    "to_svg",
    "write_sidecar",
]


def __getattr__(name: str) -> Any:
    """Compatibility alias: ``replay``, ``REPLAYABLE`` and ``ReplayRefusedError``.

    They moved to :mod:`ctanb.analysis.replay` (replay runs analyses, and prov sits below
    analysis). The tutorials' ``from ctanb.prov import replay`` still works: the analysis
    package is imported here on first use, not at import time, so that importing
    ``ctanb.prov`` (as the search client does) neither imports gammapy nor makes a cycle.
    """
    if name not in ("REPLAYABLE", "ReplayRefusedError", "replay"):
        raise AttributeError(f"module 'ctanb.prov' has no attribute {name!r}")
    import ctanb.analysis.replay as replay  # the compatibility alias (see above): lazy by design

    aliases = {
        "REPLAYABLE": replay.REPLAYABLE,
        "ReplayRefusedError": replay.ReplayRefusedError,
        "replay": replay.replay,
    }
    return aliases[name]
