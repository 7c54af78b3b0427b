"""Making provenance useful: lineage, diff and replay of a product's activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy import units as u
from prov.model import ProvDocument

from ctanb.prov.document import CTANB_NS
from ctanb.prov.params import decode

__all__ = ["Lineage", "diff", "lineage", "replay"]


def _doc(product_or_doc: Any) -> ProvDocument:
    if isinstance(product_or_doc, ProvDocument):
        return product_or_doc
    doc = getattr(product_or_doc, "provenance", None)
    if doc is None:
        raise TypeError(f"{type(product_or_doc).__name__} has no provenance")
    return doc


def _value(record: Any, name: str) -> Any:
    values = record.get_attribute(f"ctanb:{name}")
    if not values:
        return None
    value = next(iter(values))
    return value.value if hasattr(value, "value") and not isinstance(value, str) else value


def _activity(doc: ProvDocument) -> Any:
    activities = [r for r in doc.get_records() if r.get_type().localpart == "Activity"]
    if len(activities) != 1:
        raise ValueError(f"expected one activity in the provenance, found {len(activities)}")
    return activities[0]


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
    doc = _doc(product_or_doc)
    result = Lineage()
    for record in doc.get_records():
        identifier = str(record.identifier)
        if identifier.startswith(f"{CTANB_NS}file/") or "file/" in identifier:
            if record.get_type().localpart != "Entity":
                continue
            result.files.append(
                {
                    k: str(_value(record, k))
                    for k in ("path", "obs_id", "role", "checksum", "collection", "order")
                }
            )
        elif "query/" in identifier and record.get_type().localpart == "Entity":
            result.query = {
                "adql": str(_value(record, "adql")),
                "service_url": str(_value(record, "service_url")),
                "obs_ids": str(_value(record, "obs_ids") or ""),
            }
        elif "software/" in identifier:
            for key, values in record.attributes:
                if key.localpart.startswith("version_"):
                    result.software[key.localpart.removeprefix("version_")] = str(values)
    result.files.sort(key=lambda f: int(f["order"]))
    return result


def _parameters(doc: ProvDocument) -> dict[str, Any]:
    return decode(str(_value(_activity(doc), "parameters")))


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
    doc_a, doc_b = _doc(a), _doc(b)
    pa, pb = _parameters(doc_a), _parameters(doc_b)
    changed = {
        name: (pa.get(name), pb.get(name))
        for name in sorted(set(pa) | set(pb))
        if name not in pa or name not in pb or not _same(pa[name], pb[name])
    }
    files_a = {(f["checksum"], f["path"]) for f in lineage(doc_a).files}
    files_b = {(f["checksum"], f["path"]) for f in lineage(doc_b).files}
    name_a, name_b = (_value(_activity(d), "entry_point") for d in (doc_a, doc_b))
    return {
        "parameters": changed,
        "inputs_only_in_a": sorted(p for _, p in files_a - files_b),
        "inputs_only_in_b": sorted(p for _, p in files_b - files_a),
        "activity": None if name_a == name_b else (name_a, name_b),
    }


def replay(product_or_doc: Any, *, archive: str | None = None) -> Any:
    """Run the recorded activity again on the recorded inputs with the recorded parameters.

    Only ctanb's own analyses are replayed (:data:`ctanb.prov.registry.REPLAYABLE`); the
    document's ``module:function`` is looked up there, never imported. Every input's sha256
    is checked against the document before the analysis runs, and the replayed product
    must record the same inputs.

    Parameters
    ----------
    product_or_doc : product or ProvDocument
        A ctanb product (count map, spectrum, light curve) or its provenance document.
    archive : str, optional
        The archive that inputs recorded as data URLs may be fetched from (default
        ``CTANB_SERVICE_URL``).

    Returns
    -------
    product
        The product made again.

    Raises
    ------
    ReplayRefusedError
        For an entry point that is not a replayable ctanb analysis, unknown parameters, or
        an input that is missing or whose sha256 differs from the recorded one.
    """
    from ctanb.prov.registry import ReplayRefusedError, replayable, verified_inputs

    doc = _doc(product_or_doc)
    entry_point = str(_value(_activity(doc), "entry_point"))
    parameters = _parameters(doc)
    func = replayable(entry_point, parameters)
    recorded = lineage(doc).event_lists
    inputs = verified_inputs(recorded, archive)
    product = func(inputs, **parameters)
    again = [f["checksum"] for f in lineage(product).event_lists]
    if again != [f["checksum"] for f in recorded]:  # a file changed while it was read
        raise ReplayRefusedError(
            "replay refused: the inputs changed while the analysis read them; replay again"
        )
    return product
