"""The VOTable writer's cached headers and direct rows give the documents astropy's path gave.

``render`` keeps the header astropy builds for a set of columns and writes the rows straight
from the database values (bench_load.py: the header was most of a cone search's time). The
documents must be byte-identical to those of the Table-based path, for ObsCore rows with
NULLs, empty results, duplicate names and every column type the store returns.
"""

from __future__ import annotations

import io

import pytest
from astropy.io.votable import parse_single_table

from ctanb.services import results
from ctanb.services.tap import run_query

pytestmark = pytest.mark.slow

QUERIES = [
    # the cone search of ctanb.search.cone_search: every ObsCore column, NULLs in some
    "SELECT * FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, CIRCLE('ICRS', 83.633, 22.0145, 1))",
    "SELECT * FROM ivoa.obscore WHERE obs_id = 'no such run'",
    "SELECT TOP 5 obs_id, s_ra, t_min, em_min, s_region, obs_release_date FROM ivoa.obscore "
    "ORDER BY obs_id",
    "SELECT TOP 3 a.obs_id, b.obs_id, a.s_ra FROM ivoa.obscore AS a JOIN ivoa.obscore AS b "
    "ON a.obs_id = b.obs_id ORDER BY a.obs_id",
    "SELECT TOP 4 obs_id, POINT('ICRS', s_ra, s_dec) AS p FROM ivoa.obscore ORDER BY obs_id",
]


def _reference(result: results.QueryResult, base_url: str) -> bytes:
    """The document as render wrote it before headers were cached (astropy Table path)."""
    table = result.to_table(base_url)
    header, _ = results._votable(result, table, "votable")
    return results._with_rows(header, results._tabledata(table), result.overflow)


@pytest.mark.parametrize("query", QUERIES)
def test_cached_header_and_direct_rows_equal_the_table_path(store, query):
    try:
        result = run_query(store, query, groups={"hess-collaboration"})
    except Exception as exc:  # a query this ADQL translator does not take is a test bug
        pytest.fail(f"{query}: {exc}")
    results._HEADERS.clear()
    first = results.render(result, "votable", "http://archive.example")
    second = results.render(result, "votable", "http://archive.example")  # from the cache
    assert first == second == _reference(result, "http://archive.example")
    table = parse_single_table(io.BytesIO(first)).to_table()
    assert len(table) == len(result.rows)
    assert table.colnames[: len(result.names)][0] == result.names[0]


def test_every_database_type_written_as_before(store):
    """Booleans, points, integers, NULLs of each kind and text to escape, from PostgreSQL."""
    from ctanb.services.tap import _type_names

    sql = (
        "SELECT obs_id, spoint(radians(s_ra), radians(s_dec)) AS p, s_fov > 4 AS wide, "
        "CASE WHEN obs_id::bigint % 2 = 0 THEN NULL ELSE 1 END::int AS n, "
        "CASE WHEN obs_id::bigint % 2 = 0 THEN NULL ELSE s_ra END AS x, "
        "CASE WHEN obs_id::bigint % 2 = 0 THEN NULL ELSE s_fov > 4 END AS maybe, "
        "'<a & b>' AS txt, 'NaN'::float8 AS nan, t_min::numeric AS num "
        "FROM ivoa.obscore ORDER BY obs_id LIMIT 6"
    )
    with store.reader() as cur:
        cur.execute(sql)
        names = [d.name for d in cur.description]
        types = _type_names(store, [d.type_code for d in cur.description])
        rows = cur.fetchall()
    result = results.QueryResult(names, types, rows)
    assert {"bool", "int4", "float8", "numeric", "spoint", "text"} <= set(types)
    assert any(r[3] is None for r in rows) and any(r[3] is not None for r in rows)
    results._HEADERS.clear()
    assert results.render(result, "votable") == _reference(result, "")
    assert b"&lt;a &amp; b&gt;" in results.render(result, "votable")


def test_header_cache_is_keyed_by_null_columns(store):
    """A NULL turns a column masked (astropy may write a null value): the key says so."""
    query = "SELECT TOP 2 obs_id, s_ra FROM ivoa.obscore ORDER BY obs_id"
    result = run_query(store, query)
    with_null = results.QueryResult(
        result.names, result.types, [result.rows[0], (result.rows[1][0], None)]
    )
    results._HEADERS.clear()
    results.render(result, "votable")
    assert results.render(with_null, "votable") == _reference(with_null, "")
    assert len(results._HEADERS) == 2
