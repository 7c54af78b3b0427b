"""TAP sync queries through pyvo against the running service."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import httpx
import pytest
import pyvo
from astropy.io.votable import parse_single_table
from astropy.table import Table

from tests_support import CRAB_QUERY, expected_crab_runs

pytestmark = pytest.mark.slow

VOSI_AVAILABILITY = "http://www.ivoa.net/xml/VOSIAvailability/v1.0"


def test_prototype_query_sync_returns_the_four_crab_runs(tap_url, data_dir):
    result = pyvo.dal.TAPService(tap_url).run_sync(CRAB_QUERY).to_table()
    assert sorted(result["obs_id"]) == ["23523", "23526", "23559", "23592"]
    assert sorted(result["obs_id"]) == expected_crab_runs(data_dir)
    assert all(str(r).startswith("CIRCLE ICRS") for r in result["s_region"])


@pytest.mark.parametrize("fmt", ["votable", "votable/b2", "csv", "tsv"])
def test_response_formats(tap_url, fmt):
    response = httpx.post(
        tap_url + "/sync",
        data={
            "REQUEST": "doQuery",
            "LANG": "ADQL",
            "RESPONSEFORMAT": fmt,
            "QUERY": "SELECT TOP 5 obs_id, s_ra, target_name FROM ivoa.obscore ORDER BY obs_id",
        },
    )
    assert response.status_code == 200
    if fmt.startswith("votable"):
        table = parse_single_table(io.BytesIO(response.content)).to_table()
    else:
        table = Table.read(response.text, format="ascii.csv" if fmt == "csv" else "ascii.tab")
    assert len(table) == 5
    assert [str(x) for x in table["obs_id"]] == sorted(str(x) for x in table["obs_id"])


def test_maxrec_overflow_is_flagged(tap_url):
    result = pyvo.dal.TAPService(tap_url).run_sync("SELECT obs_id FROM ivoa.obscore", maxrec=7)
    assert len(result) == 7
    assert result.query_status == "OVERFLOW"


def test_geometry_functions(tap_url):
    service = pyvo.dal.TAPService(tap_url)
    rows = service.run_sync(
        "SELECT TOP 3 obs_id, DISTANCE(POINT('ICRS', s_ra, s_dec), POINT('ICRS', 83.633, 22.014)) "
        "AS dist FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), "
        "CIRCLE('ICRS', 83.633, 22.014, 1)) ORDER BY dist"
    ).to_table()
    # two Crab runs point 0.5 deg from the Crab, two 1.5 deg (obs-index RA_PNT/DEC_PNT)
    assert sorted(rows["obs_id"]) == ["23523", "23526"]
    assert all(0.49 < d < 0.51 for d in rows["dist"])
    box = service.run_sync(
        "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, "
        "BOX('ICRS', 83.633, 22.014, 1, 1))"
    ).to_table()
    polygon = service.run_sync(
        "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, "
        "POLYGON('ICRS', 83, 21.5, 84, 21.5, 84, 22.5))"
    ).to_table()
    area = service.run_sync(
        "SELECT TOP 1 AREA(s_region) AS a FROM ivoa.obscore WHERE obs_id = '23523'"
    ).to_table()
    assert box["n"][0] == 4 and polygon["n"][0] == 4
    assert area["a"][0] == pytest.approx(19.63, rel=0.01)  # pi * 2.5^2 square degrees


def test_group_by_and_join(tap_url):
    service = pyvo.dal.TAPService(tap_url)
    counts = service.run_sync(
        "SELECT obs_collection, COUNT(*) AS n FROM ivoa.obscore GROUP BY obs_collection"
    ).to_table()
    assert dict(zip(counts["obs_collection"], counts["n"], strict=True)) == {"HESS-DL3-DR1": 105}
    joined = service.run_sync(
        "SELECT TOP 5 a.obs_id, b.target_name FROM ivoa.obscore AS a JOIN cta.vo_obscore AS b "
        "ON a.obs_id = b.obs_id WHERE a.target_name = 'Crab'"
    ).to_table()
    assert len(joined) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT FROM ivoa.obscore", "syntax error at line 1, column 8"),
        ("SELECT nosuchcolumn FROM ivoa.obscore", 'column "nosuchcolumn" does not exist'),
        ("SELECT * FROM ivoa.nosuchtable", "unknown table 'ivoa.nosuchtable'"),
        ("SELECT * FROM pg_catalog.pg_stats", "unknown table"),
        ("SELECT * FROM archive.observation", "unknown table"),
        ("SELECT pg_sleep(10) FROM ivoa.obscore", "function that ADQL does not define"),
        ("SELECT obs_id FROM ivoa.obscore; DELETE FROM ivoa.obscore", None),
    ],
)
def test_bad_queries_return_error_documents(tap_url, query, message):
    response = httpx.post(
        tap_url + "/sync", data={"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query}
    )
    if message is None:  # the trailing statement is dropped: nothing can write
        assert response.status_code == 200
        count = pyvo.dal.TAPService(tap_url).run_sync("SELECT COUNT(*) AS n FROM ivoa.obscore")
        assert count.to_table()["n"][0] == 105
        return
    assert response.status_code == 400
    assert b'name="QUERY_STATUS" value="ERROR"' in response.content
    assert b"Traceback" not in response.content
    assert message in response.text
    with pytest.raises(pyvo.dal.DALQueryError, match=r"\w"):
        pyvo.dal.TAPService(tap_url).run_sync(query)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"QUERY": "SELECT * FROM ivoa.obscore"}, "missing LANG"),
        ({"LANG": "SQL", "QUERY": "SELECT 1"}, "unsupported LANG"),
        ({"LANG": "ADQL"}, "missing QUERY"),
        (
            {"LANG": "ADQL", "QUERY": "SELECT obs_id FROM ivoa.obscore", "MAXREC": "many"},
            "MAXREC must be a whole number",
        ),
        (
            {"LANG": "ADQL", "QUERY": "SELECT obs_id FROM ivoa.obscore", "RESPONSEFORMAT": "pdf"},
            "unsupported RESPONSEFORMAT",
        ),
    ],
)
def test_bad_parameters_return_error_documents(tap_url, params, message):
    response = httpx.get(tap_url + "/sync", params=params)
    assert response.status_code == 400
    assert message in response.text
    assert b'value="ERROR"' in response.content


def test_vosi_resources(tap_url):
    service = pyvo.dal.TAPService(tap_url)
    names = {table.name for table in service.tables}
    assert {"ivoa.obscore", "cta.vo_obscore", "tap_schema.columns"} <= names
    columns = {c.name: c for c in service.tables["ivoa.obscore"].columns}
    assert columns["s_ra"].unit == "deg" and columns["s_ra"].ucd == "pos.eq.ra"
    availability = ET.fromstring(httpx.get(tap_url + "/availability").content)
    assert availability.findtext(f"{{{VOSI_AVAILABILITY}}}available") == "true"
    assert any(c.standardid == "ivo://ivoa.net/std/TAP" for c in service.capabilities)


def test_tap_schema_is_queryable(tap_url):
    rows = (
        pyvo.dal.TAPService(tap_url)
        .run_sync(
            "SELECT column_name, unit, ucd FROM tap_schema.columns "
            "WHERE table_name = 'ivoa.obscore' AND column_name = 'energy_max'"
        )
        .to_table()
    )
    assert list(rows["unit"]) == ["TeV"] and list(rows["ucd"]) == ["em.energy;stat.max"]
