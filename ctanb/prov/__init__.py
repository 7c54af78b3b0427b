"""W3C PROV provenance of every ctanb product, in the IVOA Provenance Data Model's terms."""

from ctanb.prov.document import Provenance, build_document, serialize, software_versions, to_svg
from ctanb.prov.fits import add_provenance_hdu, read_provenance_hdu, read_sidecar, write_sidecar
from ctanb.prov.record import ActivityRecord, ArchiveQuery, InputFile
from ctanb.prov.registry import REPLAYABLE, ReplayRefusedError
from ctanb.prov.search import search_provenance, search_record, table_checksum
from ctanb.prov.tools import Lineage, diff, lineage, replay

__all__ = [
    "REPLAYABLE",
    "ActivityRecord",
    "ArchiveQuery",
    "InputFile",
    "Lineage",
    "Provenance",
    "ReplayRefusedError",
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
