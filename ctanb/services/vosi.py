"""VOSI documents of the TAP service: capabilities, availability, tables."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from ctanb.services import obscore, provtap
from ctanb.services.tap_schema import (
    FOREIGN_KEYS,
    PUBLISHED_TABLES,
    SCHEMAS,
    TAP_SCHEMA_COLUMNS,
)

__all__ = ["EXAMPLES", "availability", "capabilities", "examples", "tableset"]

_NS = (
    'xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
    'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0" '
    'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
    'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)

_FORMATS = (
    ("application/x-votable+xml", ("votable", "votable/td")),
    ("application/x-votable+xml;serialization=binary2", ("votable/b2", "binary2")),
    ("text/csv;header=present", ("csv",)),
    ("text/tab-separated-values", ("tsv",)),
)

_GEOMETRY = ("POINT", "CIRCLE", "POLYGON", "BOX", "CONTAINS", "INTERSECTS", "DISTANCE", "AREA")


def _interface(url: str, role: str = 'role="std"') -> str:
    return (
        f'<interface xsi:type="vs:ParamHTTP" {role}>'
        f'<accessURL use="full">{escape(url)}</accessURL></interface>'
    )


def capabilities(tap_url: str) -> str:
    """Return the VOSI capabilities document of the TAP service at ``tap_url``."""
    formats = "".join(
        f"<outputFormat><mime>{escape(mime)}</mime>"
        + "".join(f"<alias>{a}</alias>" for a in aliases)
        + "</outputFormat>"
        for mime, aliases in _FORMATS
    )
    geometry = "".join(f"<feature><form>{g}</form></feature>" for g in _GEOMETRY)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<vosi:capabilities {_NS}>"
        '<capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">'
        + _interface(tap_url, 'role="std" version="1.1"')
        + '<dataModel ivo-id="ivo://ivoa.net/std/ObsCore#core-1.1">ObsCore-1.1</dataModel>'
        + '<language><name>ADQL</name><version ivo-id="ivo://ivoa.net/std/ADQL#v2.0">2.0'
        "</version><description>ADQL 2.0 translated to PostgreSQL with pg_sphere"
        "</description>"
        '<languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo">'
        + geometry
        + "</languageFeatures></language>"
        + formats
        + "<retentionPeriod><default>604800</default></retentionPeriod>"
        "<executionDuration><default>600</default></executionDuration>"
        '<outputLimit><default unit="row">100000</default><hard unit="row">1000000</hard>'
        "</outputLimit>"
        "</capability>"
        '<capability standardID="ivo://ivoa.net/std/DALI#examples">'
        + _interface(tap_url + "/examples", 'role="std"')
        + "</capability>"
        '<capability standardID="ivo://ivoa.net/std/VOSI#capabilities">'
        + _interface(tap_url + "/capabilities")
        + "</capability>"
        '<capability standardID="ivo://ivoa.net/std/VOSI#availability">'
        + _interface(tap_url + "/availability")
        + "</capability>"
        '<capability standardID="ivo://ivoa.net/std/VOSI#tables-1.1">'
        + _interface(tap_url + "/tables")
        + "</capability>"
        "</vosi:capabilities>\n"
    )


def availability(available: bool, note: str) -> str:
    """Return the VOSI availability document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">'
        f"<vosi:available>{'true' if available else 'false'}</vosi:available>"
        f"<vosi:note>{escape(note)}</vosi:note>"
        f"<vosi:note>checked {datetime.now(UTC).isoformat(timespec='seconds')}</vosi:note>"
        "</vosi:availability>\n"
    )


def _column_xml(
    name: str,
    datatype: str,
    arraysize: str | None,
    description: str,
    unit: str = "",
    ucd: str = "",
    utype: str = "",
    xtype: str = "",
    indexed: bool = False,
) -> str:
    size = f" arraysize={quoteattr(arraysize)}" if arraysize else ""
    ext = f" extendedType={quoteattr(xtype)}" if xtype else ""
    parts = [
        f"<column><name>{escape(name)}</name>",
        f"<description>{escape(description)}</description>",
    ]
    if unit:
        parts.append(f"<unit>{escape(unit)}</unit>")
    if ucd:
        parts.append(f"<ucd>{escape(ucd)}</ucd>")
    if utype:
        parts.append(f"<utype>{escape(utype)}</utype>")
    parts.append(f'<dataType xsi:type="vs:VOTableType"{size}{ext}>{datatype}</dataType>')
    if indexed:
        parts.append("<flag>indexed</flag>")
    parts.append("</column>")
    return "".join(parts)


def tableset() -> str:
    """Return the VOSI tableset of every published table."""
    body = []
    for schema, description in SCHEMAS:
        body.append(
            f"<schema><name>{schema}</name><description>{escape(description)}</description>"
        )
        for table_schema, table, text in PUBLISHED_TABLES:
            if table_schema != schema:
                continue
            body.append(
                f'<table type="{"view" if schema != "tap_schema" else "output"}">'
                f"<name>{table}</name><description>{escape(text)}</description>"
            )
            described = provtap.COLUMNS.get(table)
            if table in (obscore.TABLE, obscore.VIEW) or described:
                for c in described or obscore.COLUMNS:
                    body.append(
                        _column_xml(
                            c.name,
                            c.datatype,
                            c.arraysize,
                            c.description,
                            c.unit,
                            c.ucd,
                            c.utype,
                            c.xtype,
                            c.indexed,
                        )
                    )
            else:
                for name, datatype, arraysize, text in TAP_SCHEMA_COLUMNS[table]:
                    body.append(_column_xml(name, datatype, arraysize, text))
            for _, source, target, from_column, to_column, text in FOREIGN_KEYS:
                if source == table:
                    body.append(
                        f"<foreignKey><targetTable>{target}</targetTable><fkColumn>"
                        f"<fromColumn>{from_column}</fromColumn>"
                        f"<targetColumn>{to_column}</targetColumn></fkColumn>"
                        f"<description>{escape(text)}</description></foreignKey>"
                    )
            body.append("</table>")
        body.append("</schema>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:tableset xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" '
        'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + "".join(body)
        + "</vosi:tableset>\n"
    )


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
    items = "".join(
        f'<div typeof="example" id="{key}" resource="#{key}">'
        f'<h2 property="name">{escape(title)}</h2>'
        f'<pre property="query">{escape(query)}</pre></div>'
        for key, title, query in EXAMPLES
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>ctanb TAP examples</title>'
        '</head><body vocab="http://www.ivoa.net/rdf/examples#">'
        f"<h1>Examples for {escape(tap_url)}</h1>{items}</body></html>\n"
    )
