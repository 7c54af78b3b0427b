"""Making provenance useful: what a product's activity recorded, its lineage, and diffs.

Replaying the activity runs an analysis, so it lives above this package, in
:mod:`ctanb.analysis.replay`; it reads the document with the functions here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy import units as u
from prov.model import ProvDocument

from ctanb.prov.document import CTANB_NS
from ctanb.prov.params import decode
from ctanb.prov.record import ActivityRecord, InputFile

__all__ = [
    "Lineage",
    "activity_record",
    "diff",
    "lineage",
    "provenance_document",
    "recorded_activity",
    "recorded_entry_point",
    "recorded_parameters",
    "recorded_value",
]


def provenance_document(product_or_doc: Any) -> ProvDocument:
    """The PROV document of a product (its ``provenance``), or the document itself.

    Raises
    ------
    TypeError
        For an object that is neither a document nor carries one.
    """
    if isinstance(product_or_doc, ProvDocument):
        return product_or_doc
    doc = getattr(product_or_doc, "provenance", None)
    if doc is None:
        raise TypeError(f"{type(product_or_doc).__name__} has no provenance")
    return doc


def recorded_value(record: Any, name: str) -> Any:
    """The value of the ``ctanb:<name>`` attribute of a PROV record (None when absent)."""
    values = record.get_attribute(f"ctanb:{name}")
    if not values:
        return None
    value = next(iter(values))
    return value.value if hasattr(value, "value") and not isinstance(value, str) else value


def recorded_activity(doc: ProvDocument) -> Any:
    """The one activity of a product's document (a ``prov.model.ProvActivity``).

    Raises
    ------
    ValueError
        When the document holds no activity or several.
    """
    activities = [r for r in doc.get_records() if r.get_type().localpart == "Activity"]
    if len(activities) != 1:
        raise ValueError(f"expected one activity in the provenance, found {len(activities)}")
    return activities[0]


def recorded_entry_point(doc: ProvDocument) -> str:
    """The ``module:function`` the document says made the product (data: never import it)."""
    return str(recorded_value(recorded_activity(doc), "entry_point"))


def recorded_parameters(doc: ProvDocument) -> dict[str, Any]:
    """The keyword arguments the activity recorded, decoded (Quantities keep their units)."""
    return decode(str(recorded_value(recorded_activity(doc), "parameters")))


def activity_record(doc: ProvDocument) -> ActivityRecord:
    """The :class:`ActivityRecord` a document was built from: inputs, parameters, times.

    Its ``name`` is the entry point's function name and its ``user`` the current user
    (the document's own are in its agents).
    """
    activity = recorded_activity(doc)
    entry_point = recorded_entry_point(doc)
    return ActivityRecord(
        name=entry_point.rsplit(":", 1)[-1],
        entry_point=entry_point,
        inputs=[
            InputFile(
                f["path"],
                int(f["obs_id"]) if f["obs_id"] != "None" else None,
                f["role"],
                f["checksum"],
                f["collection"] or None,
            )
            for f in lineage(doc).files
        ],
        parameters=recorded_parameters(doc),
        started=activity.get_startTime(),
        ended=activity.get_endTime(),
    )


@dataclass
class Lineage:
    """What a product comes from: files, the archive query and the software."""

    files: list[dict[str, str]] = field(default_factory=list)
    query: dict[str, str] | None = None
    software: dict[str, str] = field(default_factory=dict)

    @property
    def event_lists(self) -> list[dict[str, str]]:
        """The raw event lists."""
        return [f for f in self.files if f["role"] == "events"]

    @property
    def irfs(self) -> list[dict[str, str]]:
        """The IRF parts."""
        return [f for f in self.files if f["role"].startswith("irf")]


def lineage(product_or_doc: Any) -> Lineage:
    """List the raw files, IRFs, archive query and software versions behind a product."""
    doc = provenance_document(product_or_doc)
    result = Lineage()
    for record in doc.get_records():
        identifier = str(record.identifier)
        if identifier.startswith(f"{CTANB_NS}file/") or "file/" in identifier:
            if record.get_type().localpart != "Entity":
                continue
            result.files.append(
                {
                    k: str(recorded_value(record, k))
                    for k in ("path", "obs_id", "role", "checksum", "collection", "order")
                }
            )
        elif "query/" in identifier and record.get_type().localpart == "Entity":
            result.query = {
                "adql": str(recorded_value(record, "adql")),
                "service_url": str(recorded_value(record, "service_url")),
                "obs_ids": str(recorded_value(record, "obs_ids") or ""),
            }
        elif "software/" in identifier:
            for key, values in record.attributes:
                if key.localpart.startswith("version_"):
                    result.software[key.localpart.removeprefix("version_")] = str(values)
    result.files.sort(key=lambda f: int(f["order"]))
    return result


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, u.Quantity) or isinstance(b, u.Quantity):
        try:
            return bool(np.all(u.Quantity(a) == u.Quantity(b))) and np.shape(a) == np.shape(b)
        except (u.UnitsError, TypeError, ValueError):
            return False
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(np.all(a == b))
    except (TypeError, ValueError):
        return repr(a) == repr(b)


def diff(a: Any, b: Any) -> dict[str, Any]:
    """Say which parameters and inputs differ between two products (or documents).

    Returns
    -------
    dict
        ``{"parameters": {name: (value_a, value_b)}, "inputs_only_in_a": [...],
        "inputs_only_in_b": [...], "activity": (name_a, name_b) or None}``
    """
    doc_a, doc_b = provenance_document(a), provenance_document(b)
    pa, pb = recorded_parameters(doc_a), recorded_parameters(doc_b)
    changed = {
        name: (pa.get(name), pb.get(name))
        for name in sorted(set(pa) | set(pb))
        if name not in pa or name not in pb or not _same(pa[name], pb[name])
    }
    files_a = {(f["checksum"], f["path"]) for f in lineage(doc_a).files}
    files_b = {(f["checksum"], f["path"]) for f in lineage(doc_b).files}
    name_a, name_b = (recorded_value(recorded_activity(d), "entry_point") for d in (doc_a, doc_b))
    return {
        "parameters": changed,
        "inputs_only_in_a": sorted(p for _, p in files_a - files_b),
        "inputs_only_in_b": sorted(p for _, p in files_b - files_a),
        "activity": None if name_a == name_b else (name_a, name_b),
    }
