"""W3C PROV documents of products, in the vocabulary of the IVOA Provenance Data Model."""

from __future__ import annotations

import functools
import hashlib
import io
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prov.model import ProvDocument

from ctanb.prov.params import describe, encode
from ctanb.prov.record import ActivityRecord

__all__ = ["Provenance", "build_document", "serialize", "software_versions", "to_svg"]

CTANB_NS = "https://ctanb.org/ns/prov#"
VOPROV_NS = "http://www.ivoa.net/documents/ProvenanceDM/ns/voprov/"
FORMATS = {
    "json": "json",
    "provjson": "json",
    "xml": "xml",
    "provxml": "xml",
    "provn": "provn",
    "n": "provn",
}


class Provenance(ProvDocument):
    """A ``prov.model.ProvDocument`` that shows itself as a graph in notebooks.

    A thin subclass rather than an IPython formatter registration, so that the graph shows
    in any front end that honours ``_repr_svg_`` / ``_repr_html_`` (JupyterLab, VS Code,
    Colab) without ctanb being imported by an extension. It compares equal to, and
    serialises exactly as, the ``ProvDocument`` it holds.
    """

    def _repr_svg_(self) -> str:
        return to_svg(self)

    def _repr_html_(self) -> str:
        svg = to_svg(self)
        return svg[svg.find("<svg") :]


def software_versions() -> dict[str, str]:
    """Versions of ctanb and the libraries a product depends on."""
    return dict(_versions())


@functools.cache
def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("ctanb", "gammapy", "astropy", "numpy", "regions", "pyvo"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _slug(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _description(entry_point: str) -> str:
    """First line of the entry point's docstring (ProvenanceDM ActivityDescription), if loaded."""
    module, _, function = entry_point.partition(":")
    doc = getattr(getattr(sys.modules.get(module), function, None), "__doc__", None) or ""
    return doc.strip().split("\n", 1)[0]


def build_document(
    record: ActivityRecord,
    *,
    product_id: str,
    product_checksum: str | None,
    product_kind: str = "product",
) -> Provenance:
    """Build the PROV document of one product.

    Parameters
    ----------
    record : ActivityRecord
        What the activity used, its parameters and times.
    product_id : str
        Identifier of the generated product.
    product_checksum : str or None
        ``sha256:<hex>`` of the product's data.
    product_kind : str
        ``countmap``, ``spectrum``, ``lightcurve``, ``search`` ...

    Returns
    -------
    Provenance
        A ProvDocument: entities for every input and the query, the activity with every
        parameter, the software and person agents, and the product.
    """
    doc = Provenance()
    doc.add_namespace("ctanb", CTANB_NS)
    doc.add_namespace("voprov", VOPROV_NS)
    activity = _add_activity(doc, record, product_id)
    person = _add_agents(doc, record, activity)
    product = doc.entity(
        f"ctanb:product/{product_id}",
        {
            "prov:type": "voprov:Entity",
            "prov:label": product_kind,
            "ctanb:kind": product_kind,
            "ctanb:checksum": product_checksum or "unknown",
        },
    )
    doc.wasGeneratedBy(product, activity, record.ended)
    doc.wasAttributedTo(product, person)
    _add_inputs(doc, record, activity, product)
    return doc


def _add_activity(doc: ProvDocument, record: ActivityRecord, product_id: str) -> Any:
    """The activity, with every parameter as an attribute and as a used Parameter entity."""
    activity_id = f"ctanb:activity/{_slug(product_id + record.started.isoformat())}"
    attributes: dict[str, Any] = {
        "prov:label": record.name,
        "voprov:name": record.name,
        "ctanb:entry_point": record.entry_point,
        "ctanb:parameters": encode(record.parameters),
    }
    description = _description(record.entry_point)
    if description:
        attributes["voprov:description"] = description
    for name, value in record.parameters.items():
        text, unit = describe(value)
        attributes[f"ctanb:param_{name}"] = text + (f" [{unit}]" if unit else "")
    activity = doc.activity(activity_id, record.started, record.ended, attributes)
    for name, value in record.parameters.items():
        # ProvenanceDM 1.0 Parameter (section 2.4): name, value and unit of one configuration
        # item; in W3C PROV terms an entity the activity used in the role "parameter".
        text, unit = describe(value)
        parameter = doc.entity(
            f"{activity_id}/parameter/{name}",
            {
                "prov:type": "voprov:Parameter",
                "voprov:name": name,
                "voprov:value": text,
                "voprov:unit": unit,
            },
        )
        doc.used(activity, parameter, other_attributes={"prov:role": "parameter"})
    return activity


def _add_agents(doc: ProvDocument, record: ActivityRecord, activity: Any) -> Any:
    """The software (with its libraries' versions) and the person; returns the person."""
    versions = software_versions()
    software = doc.agent(
        f"ctanb:software/ctanb-{versions['ctanb']}",
        {
            "prov:type": "prov:SoftwareAgent",
            "voprov:name": "ctanb",
            **{f"ctanb:version_{k}": v for k, v in versions.items()},
        },
    )
    person = doc.agent(
        f"ctanb:user/{record.user}", {"prov:type": "prov:Person", "voprov:name": record.user}
    )
    doc.wasAssociatedWith(activity, software, other_attributes={"voprov:role": "software"})
    doc.wasAssociatedWith(activity, person, other_attributes={"voprov:role": "operator"})
    return person


def _add_inputs(doc: ProvDocument, record: ActivityRecord, activity: Any, product: Any) -> None:
    """The archive query and every input file, used by the activity, the product's sources."""
    query_entity = None
    if record.query is not None:
        query_entity = doc.entity(
            f"ctanb:query/{_slug(record.query.adql + record.query.service_url)}",
            {
                "prov:type": "ctanb:ArchiveQuery",
                "ctanb:adql": record.query.adql,
                "ctanb:service_url": record.query.service_url,
                "ctanb:obs_ids": " ".join(str(o) for o in record.query.obs_ids),
            },
        )
        doc.used(activity, query_entity, other_attributes={"prov:role": "query"})
    for order, item in enumerate(record.inputs):
        entity = doc.entity(
            f"ctanb:file/{_slug(item.checksum or item.path)}",
            {
                "prov:type": "voprov:Entity",
                "prov:label": item.path.rsplit("/", 1)[-1],
                "ctanb:path": item.path,
                "ctanb:obs_id": str(item.obs_id),
                "ctanb:role": item.role,
                "ctanb:checksum": item.checksum or "unknown",
                "ctanb:collection": item.collection or "",
                "ctanb:order": order,
            },
        )
        doc.used(activity, entity, other_attributes={"prov:role": item.role})
        doc.wasDerivedFrom(product, entity)
        if query_entity is not None and item.role == "events":
            doc.wasDerivedFrom(
                entity, query_entity, other_attributes={"prov:type": "ctanb:selection"}
            )
    if query_entity is not None:
        doc.wasDerivedFrom(product, query_entity)


def serialize(doc: ProvDocument, format: str = "json") -> str:
    """Serialise as PROV-JSON (``json``), PROV-XML (``xml``) or PROV-N (``provn``), or SVG."""
    key = format.lower()
    if key in ("svg", "provsvg"):
        return to_svg(doc)
    if key not in FORMATS:
        raise ValueError(f"unknown provenance format {format!r}: use json, xml, provn or svg")
    stream = io.StringIO()
    doc.serialize(stream, format=FORMATS[key], **({"indent": 2} if key != "provn" else {}))
    return stream.getvalue() if key != "provn" else doc.get_provn()


def to_svg(doc: ProvDocument) -> str:
    """Draw the document as an SVG graph with graphviz."""
    from prov.dot import prov_to_dot  # lazy: pydot is needed only to draw

    svg: bytes = prov_to_dot(doc).create_svg()  # type: ignore[attr-defined]
    return svg.decode()
