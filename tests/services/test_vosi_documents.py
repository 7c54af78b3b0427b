"""VOSI documents written by vo-models: read back by pyvo, text escaped exactly once."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from pyvo.io import vosi as pyvo_vosi

from ctanb.obscore import COLUMNS
from ctanb.services import vosi

AVAILABILITY = "{http://www.ivoa.net/xml/VOSIAvailability/v1.0}"


def test_tableset_lists_every_obscore_column_with_its_metadata():
    parsed = pyvo_vosi.parse_tables(io.BytesIO(vosi.tableset().encode()))
    tables = {t.name: t for t in parsed.iter_tables()}
    assert {"ivoa.obscore", "provenance.entity", "tap_schema.columns"} <= set(tables)
    columns = {c.name: c for c in tables["ivoa.obscore"].columns}
    assert list(columns) == [c.name for c in COLUMNS]
    assert columns["s_ra"].unit == "deg" and columns["s_ra"].ucd == "pos.eq.ra"
    region = ET.fromstring(vosi.tableset().encode()).find(".//column[name='s_region']/dataType")
    assert region is not None and region.get("extendedType") == "adql:REGION"
    assert "indexed" in columns["obs_id"].flags
    assert [c.name for c in tables["tap_schema.columns"].columns][5] == '"size"'


def test_capabilities_name_tap_and_the_vosi_endpoints():
    url = 'https://archive.example/tap?a=1&b="2"'
    capabilities = pyvo_vosi.parse_capabilities(io.BytesIO(vosi.capabilities(url).encode()))
    standards = {c.standardid for c in capabilities}
    assert {"ivo://ivoa.net/std/TAP", "ivo://ivoa.net/std/VOSI#tables-1.1"} <= standards
    tap = next(c for c in capabilities if c.standardid == "ivo://ivoa.net/std/TAP")
    assert tap.interfaces[0].accessurls[0].content.startswith("https://archive.example/tap?a=1&b=")


def test_availability_note_is_escaped_once():
    document = vosi.availability(False, 'store unreachable: a & <b> "c"')
    root = ET.fromstring(document.encode())
    assert root.findtext(f"{AVAILABILITY}available") == "false"
    assert root.findall(f"{AVAILABILITY}note")[0].text == 'store unreachable: a & <b> "c"'


def test_examples_are_xhtml_with_each_query():
    root = ET.fromstring(vosi.examples("https://archive.example/tap?a&b").encode())
    queries = [e.text for e in root.iter("{http://www.w3.org/1999/xhtml}pre")]
    assert queries == [query for _, _, query in vosi.EXAMPLES]
