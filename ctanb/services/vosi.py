"""VOSI documents of the TAP service: capabilities, availability, tables; DALI examples.

The VOSI documents are vo-models' typed models (pydantic-xml) written as XML: no
hand-made markup, so escaping and namespaces are the library's. A few of its table
models escape text before the XML writer escapes it again (``&amp;amp;``), quote column
names that are ADQL words and know no ``extendedType``: the subclasses below keep the
text as it is and add the attribute (VODataService 1.1).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from pydantic import AnyUrl, field_validator
from pydantic_xml import BaseXmlModel, attr, element
from vo_models.tapregext.models import (
    DataLimit,
    DataLimits,
    DataModelType,
    Language,
    LanguageFeature,
    LanguageFeatureList,
    OutputFormat,
    TableAccess,
    TimeLimits,
    Version,
)
from vo_models.vodataservice.models import (
    DataType,
    FKColumn,
    ForeignKey,
    ParamHTTP,
    Table,
    TableParam,
    TableSchema,
)
from vo_models.voresource.models import AccessURL, Capability
from vo_models.vosi.availability.models import Availability
from vo_models.vosi.capabilities.models import VOSICapabilities
from vo_models.vosi.tables.models import VOSITableSet

from ctanb.obscore import Column
from ctanb.services.tap_schema import DESCRIBED_COLUMNS, FOREIGN_KEYS, PUBLISHED_TABLES, SCHEMAS

__all__ = ["EXAMPLES", "availability", "capabilities", "examples", "tableset"]

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_FORMATS = (
    ("application/x-votable+xml", ("votable", "votable/td")),
    ("application/x-votable+xml;serialization=binary2", ("votable/b2", "binary2")),
    ("text/csv;header=present", ("csv",)),
    ("text/tab-separated-values", ("tsv",)),
)

_GEOMETRY = ("POINT", "CIRCLE", "POLYGON", "BOX", "CONTAINS", "INTERSECTS", "DISTANCE", "AREA")

#: VOSI and DALI capabilities beside TAP: (standardID, path under the TAP URL).
_ENDPOINTS = (
    ("ivo://ivoa.net/std/DALI#examples", "/examples"),
    ("ivo://ivoa.net/std/VOSI#capabilities", "/capabilities"),
    ("ivo://ivoa.net/std/VOSI#availability", "/availability"),
    ("ivo://ivoa.net/std/VOSI#tables-1.1", "/tables"),
)


def _document(model: BaseXmlModel) -> str:
    body = model.to_xml(skip_empty=True)
    text = body.decode() if isinstance(body, bytes) else body
    return _DECLARATION + text + "\n"


def _interface(url: str, version: str | None = None) -> ParamHTTP:
    return ParamHTTP(
        role="std", version=version, access_url=[AccessURL(value=AnyUrl(url), use="full")]
    )


def _table_access(tap_url: str) -> TableAccess:
    adql = Language(
        name="ADQL",
        version=[Version(value="2.0", ivo_id="ivo://ivoa.net/std/ADQL#v2.0")],
        description="ADQL 2.0 translated to PostgreSQL with pg_sphere",
        language_features=[
            LanguageFeatureList(
                type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo",
                feature=[LanguageFeature(form=form) for form in _GEOMETRY],
            )
        ],
    )
    return TableAccess(
        interface=[_interface(tap_url, "1.1")],
        data_model=[
            DataModelType(value="ObsCore-1.1", ivo_id="ivo://ivoa.net/std/ObsCore#core-1.1")
        ],
        language=[adql],
        output_format=[OutputFormat(mime=mime, alias=list(aliases)) for mime, aliases in _FORMATS],
        retention_period=TimeLimits(default=604800),
        execution_duration=TimeLimits(default=600),
        output_limit=DataLimits(
            default=DataLimit(value=100000, unit="row"),
            hard=DataLimit(value=1000000, unit="row"),
        ),
    )


def capabilities(tap_url: str) -> str:
    """Return the VOSI capabilities document of the TAP service at ``tap_url``."""
    others = [
        Capability(standard_id=AnyUrl(standard), interface=[_interface(tap_url + path)])
        for standard, path in _ENDPOINTS
    ]
    return _document(VOSICapabilities(capability=[_table_access(tap_url), *others]))


def availability(available: bool, note: str) -> str:
    """Return the VOSI availability document."""
    checked = f"checked {datetime.now(UTC).isoformat(timespec='seconds')}"
    return _document(Availability(available=available, note=[note, checked]))


# ------------------------------------------------------------------------------ tables
class _DataType(DataType, tag="dataType"):
    """A column's VOTable type, with VODataService 1.1's ``extendedType`` (the xtype)."""

    extended_type: str | None = attr(name="extendedType", default=None)


class _Column(TableParam, tag="column"):
    """A column whose name and description are written as they are (escaped once)."""

    datatype: _DataType | None = element(tag="dataType", default=None)

    @field_validator("column_name")
    def validate_colname(cls, value: str) -> str:  # noqa: N805 - overrides vo-models' quoting
        return value

    @field_validator("description")
    def validate_description(cls, value: str) -> str:  # noqa: N805 - and its pre-escaping
        return value


# The list fields below are redeclared with the subclasses so that the XML writer writes
# them as such (it writes an element as its declared type); mypy sees a narrower list.
class _Table(Table, tag="table", ns="", nsmap={"": ""}, skip_empty=True):
    column: list[_Column] | None = element(  # type: ignore[assignment]
        tag="column", default_factory=list, ns=""
    )

    def __init__(self, **data: Any) -> None:
        BaseXmlModel.__init__(self, **data)  # not Table's: it escapes text the writer escapes


class _Schema(TableSchema, tag="schema", ns="", nsmap={"": ""}, skip_empty=True):
    table: list[_Table] | None = element(  # type: ignore[assignment]
        tag="table", default_factory=list
    )

    def __init__(self, **data: Any) -> None:
        BaseXmlModel.__init__(self, **data)  # not TableSchema's, for the same reason


class _TableSet(VOSITableSet, tag="tableset"):
    tableset_schema: list[_Schema] = element(tag="schema")  # type: ignore[assignment]


def _column(c: Column) -> _Column:
    return _Column(
        column_name=c.name,
        description=c.description,
        unit=c.unit or None,
        ucd=c.ucd or None,
        utype=c.utype or None,
        datatype=_DataType(value=c.datatype, arraysize=c.arraysize, extended_type=c.xtype or None),
        flag=["indexed"] if c.indexed else [],
    )


def _foreign_keys(table: str) -> list[ForeignKey]:
    return [
        ForeignKey(
            target_table=target,
            fk_column=[FKColumn(from_column=from_column, target_column=to_column)],
            description=text,
        )
        for _, source, target, from_column, to_column, text in FOREIGN_KEYS
        if source == table
    ]


def _table(schema: str, table: str, description: str) -> _Table:
    return _Table(
        table_type="view" if schema != "tap_schema" else "output",
        table_name=table,
        description=description,
        column=[_column(c) for c in DESCRIBED_COLUMNS[table]],
        foreign_key=_foreign_keys(table),
    )


def tableset() -> str:
    """Return the VOSI tableset of every published table."""
    schemas = [
        _Schema(
            schema_name=schema,
            description=description,
            table=[_table(*published) for published in PUBLISHED_TABLES if published[0] == schema],
        )
        for schema, description in SCHEMAS
    ]
    return _document(_TableSet(tableset_schema=schemas))


# ------------------------------------------------------------------------------ examples
#: (id, title, ADQL) of the DALI examples: the original prototype's use cases.
EXAMPLES = (
    (
        "crab-cone",
        "The CTA prototype's cone search: runs whose field of view holds the Crab",
        "SELECT * FROM cta.vo_obscore AS o WHERE 1 = INTERSECTS(o.s_region, "
        "CIRCLE('ICRS', 83.63308333, 22.0145, 0.001))",
    ),
    (
        "above-50-tev",
        "Observations containing events above 50 TeV",
        "SELECT obs_id, target_name, event_energy_max FROM ivoa.obscore "
        "WHERE event_energy_max >= 50 ORDER BY event_energy_max DESC",
    ),
    (
        "public-blazars",
        "Public data of blazars (gamma-cat classes)",
        "SELECT obs_id, target_name, target_class FROM ivoa.obscore WHERE data_rights = 'public' "
        "AND target_class IN ('hbl', 'ibl', 'lbl', 'fsrq', 'blazar')",
    ),
    (
        "derived-from-run",
        "ProvTAP: every product derived from run 23523, with its ObsCore identifier",
        "SELECT DISTINCT product.id, product.obs_publisher_did "
        "FROM provenance.entity AS run JOIN provenance.used AS us ON us.entity_id = run.id "
        "JOIN provenance.wasgeneratedby AS gen ON gen.activity_id = us.activity_id "
        "JOIN provenance.entity AS product ON product.id = gen.entity_id "
        "WHERE run.obs_id = '23523'",
    ),
    (
        "made-with-ctanb",
        "ProvTAP: every product made with a ctanb older than 1.0",
        "SELECT gen.entity_id, ag.version "
        "FROM provenance.agent AS ag JOIN provenance.wasassociatedwith AS w ON w.agent_id = ag.id "
        "JOIN provenance.wasgeneratedby AS gen ON gen.activity_id = w.activity_id "
        "WHERE ag.name = 'ctanb' AND ag.version < '1.0'",
    ),
    (
        "run-on-files",
        "ProvTAP: what was run on these files (runs 23523 and 23526)",
        "SELECT act.id, act.name, act.entry_point, act.start_time, us.role "
        "FROM provenance.used AS us JOIN provenance.entity AS ent ON ent.id = us.entity_id "
        "JOIN provenance.activity AS act ON act.id = us.activity_id "
        "WHERE ent.obs_id IN ('23523', '23526')",
    ),
)


def examples(tap_url: str) -> str:
    """Return the DALI examples document (XHTML with RDFa) of the prototype's use cases."""
    html = ET.Element("html", xmlns="http://www.w3.org/1999/xhtml")
    ET.SubElement(ET.SubElement(html, "head"), "title").text = "ctanb TAP examples"
    body = ET.SubElement(html, "body", vocab="http://www.ivoa.net/rdf/examples#")
    ET.SubElement(body, "h1").text = f"Examples for {tap_url}"
    for key, title, query in EXAMPLES:
        item = ET.SubElement(body, "div", typeof="example", id=key, resource=f"#{key}")
        ET.SubElement(item, "h2", property="name").text = title
        ET.SubElement(item, "pre", property="query").text = query
    return _DECLARATION + ET.tostring(html, encoding="unicode") + "\n"
