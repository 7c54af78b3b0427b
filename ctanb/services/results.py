"""Query results as VOTable (TABLEDATA, BINARY2), CSV and TSV, and TAP error documents."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np
from astropy.io.votable.tree import Info, Resource, TableElement, VOTableFile
from astropy.table import Column, MaskedColumn, Table

from ctanb.services.obscore import COLUMN_BY_NAME as OBSCORE_COLUMNS
from ctanb.services.provtap import COLUMNS as PROVENANCE_COLUMNS

#: Metadata of result columns by name (ObsCore first; ProvTAP names mean one thing).
COLUMN_BY_NAME = {
    **{c.name: c for columns in PROVENANCE_COLUMNS.values() for c in columns},
    **OBSCORE_COLUMNS,
}

__all__ = ["FORMATS", "QueryResult", "error_document", "normalise_format", "render"]

VOTABLE = "application/x-votable+xml"
#: RESPONSEFORMAT values -> (canonical name, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "votable": ("votable", VOTABLE),
    "application/x-votable+xml": ("votable", VOTABLE),
    "text/xml": ("votable", VOTABLE),
    "votable/td": ("votable", VOTABLE),
    "application/x-votable+xml;serialization=tabledata": ("votable", VOTABLE),
    "votable/b2": ("binary2", VOTABLE),
    "binary2": ("binary2", VOTABLE),
    "application/x-votable+xml;serialization=binary2": ("binary2", VOTABLE),
    "csv": ("csv", "text/csv"),
    "text/csv": ("csv", "text/csv"),
    "text/csv;header=present": ("csv", "text/csv"),
    "tsv": ("tsv", "text/tab-separated-values"),
    "text/tab-separated-values": ("tsv", "text/tab-separated-values"),
}

_SPHERE_NUMBER = r"(-?[0-9.eE+-]+)"
_CIRCLE = re.compile(
    rf"<\(\s*{_SPHERE_NUMBER}\s*,\s*{_SPHERE_NUMBER}\s*\)\s*,\s*{_SPHERE_NUMBER}\s*>"
)
_POINT = re.compile(rf"\(\s*{_SPHERE_NUMBER}\s*,\s*{_SPHERE_NUMBER}\s*\)")


def normalise_format(value: str | None) -> tuple[str, str]:
    """Return ``(name, media type)`` for a RESPONSEFORMAT/FORMAT value.

    Raises
    ------
    ValueError
        For a format the service does not write.
    """
    key = (value or "votable").strip().lower().replace(" ", "")
    if key not in FORMATS:
        raise ValueError(
            f"unsupported RESPONSEFORMAT '{value}': use one of votable, votable/b2, csv, tsv"
        )
    return FORMATS[key]


@dataclass
class QueryResult:
    """Rows of a query with their column names and PostgreSQL type names."""

    names: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    overflow: bool = False
    infos: dict[str, str] = field(default_factory=dict)

    def to_table(self, base_url: str = "") -> Table:
        """Return the rows as an astropy Table with ObsCore metadata on known columns."""
        table = Table()
        used: dict[str, int] = {}
        for i, (name, pgtype) in enumerate(zip(self.names, self.types, strict=True)):
            values = [row[i] for row in self.rows]
            column_name = name
            if name in used:  # duplicate names (joins): keep them apart
                used[name] += 1
                column_name = f"{name}_{used[name]}"
            used.setdefault(name, 0)
            table[column_name] = _column(values, pgtype, name, base_url)
            meta = COLUMN_BY_NAME.get(name)
            if meta:
                table[column_name].unit = meta.unit or None
                table[column_name].description = meta.description
                table[column_name].meta = {
                    k: v for k, v in (("ucd", meta.ucd), ("utype", meta.utype)) if v
                }
        return table


def _column(values: list[Any], pgtype: str, name: str, base_url: str) -> Column:
    nulls = [v is None for v in values]
    if pgtype in ("float4", "float8", "numeric"):
        data: np.ndarray = np.array([np.nan if v is None else float(v) for v in values], float)
    elif pgtype in ("int2", "int4", "int8"):
        dtype = {"int2": np.int16, "int4": np.int32, "int8": np.int64}[pgtype]
        data = np.array([0 if v is None else int(v) for v in values], dtype=dtype)
    elif pgtype == "bool":
        data = np.array([bool(v) for v in values], dtype=bool)
    else:
        text = [_text(v, pgtype, name, base_url).encode("utf-8") for v in values]
        data = np.array(text, dtype=bytes) if text else np.array([], dtype="S1")
    # astropy checks the mask of every cell when writing: masked columns only when needed
    return MaskedColumn(data, mask=nulls) if any(nulls) else Column(data)


def _text(value: Any, pgtype: str, name: str, base_url: str) -> str:
    if value is None:
        return ""
    if pgtype in ("timestamp", "timestamptz"):
        return value.isoformat(timespec="seconds")
    if pgtype == "scircle":
        return sphere_to_stcs(str(value))
    if pgtype == "spoint":
        match = _POINT.fullmatch(str(value).strip())
        if match:
            lon, lat = (np.degrees(float(g)) for g in match.groups())
            return f"POSITION ICRS {lon % 360:.8f} {lat:.8f}"
    if pgtype == "spoly":
        points = _POINT.findall(str(value))
        coords = " ".join(
            f"{np.degrees(float(a)) % 360:.8f} {np.degrees(float(b)):.8f}" for a, b in points
        )
        return f"POLYGON ICRS {coords}"
    text = str(value)
    if name == "access_url" and text.startswith("/"):
        return base_url.rstrip("/") + text
    return text


def sphere_to_stcs(value: str) -> str:
    """Turn a pg_sphere ``scircle`` text (radians) into STC-S ``CIRCLE ICRS ra dec r`` (deg)."""
    match = _CIRCLE.fullmatch(value.strip())
    if not match:
        return value
    lon, lat, radius = (float(np.degrees(float(g))) for g in match.groups())
    return f"CIRCLE ICRS {lon % 360:.8f} {lat:.8f} {radius:.8f}"


# VOTable headers (RESOURCE, INFO, FIELDs) by column names, types and null columns: astropy
# builds one in ~10 ms for the 61 ObsCore columns, which was most of a cone search's time
# under load (bench_load.py). A header depends on nothing else, so it is made once.
_HEADERS: dict[tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]], str] = {}
_HEADERS_MAX = 256


def render(result: QueryResult, fmt: str, base_url: str = "") -> bytes:
    """Serialise ``result`` in the format named by :func:`normalise_format`."""
    if fmt == "votable" and result.names and not result.infos:
        nulls = tuple(any(row[i] is None for row in result.rows) for i in range(len(result.names)))
        key = (tuple(result.names), tuple(result.types), nulls)
        header = _HEADERS.get(key)
        if header is None:
            header = _votable(result, result.to_table(base_url), fmt)[0]
            if len(_HEADERS) >= _HEADERS_MAX:
                _HEADERS.clear()
            _HEADERS[key] = header
        return _with_rows(header, _tabledata_rows(result, base_url), result.overflow)
    table = result.to_table(base_url)
    if fmt in ("csv", "tsv"):
        text = io.StringIO()
        table.write(text, format="ascii.csv" if fmt == "csv" else "ascii.tab")
        return text.getvalue().encode()
    header, binary = _votable(result, table, fmt)
    if binary is not None:
        return binary
    return _with_rows(header, _tabledata(table), result.overflow)


def _votable(result: QueryResult, table: Table, fmt: str) -> tuple[str, bytes | None]:
    """Return the TABLEDATA document without its rows, or (``""``, the whole document)."""
    votable = VOTableFile()
    resource = Resource(type="results")
    votable.resources.append(resource)
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    for key, value in result.infos.items():
        resource.infos.append(Info(name=key, value=value))
    fast = fmt != "binary2"  # TABLEDATA rows are written by _tabledata
    if len(table.columns):
        element = TableElement.from_table(votable, table[:0] if fast else table)
        for field_ in element.fields:
            if field_.datatype == "char":
                field_.arraysize = "*"
            meta = COLUMN_BY_NAME.get(field_.name)
            if meta:
                field_.ucd = meta.ucd or None
                field_.utype = meta.utype or None
                if meta.xtype:
                    field_.xtype = meta.xtype
        resource.tables.append(element)
    out = io.BytesIO()
    if fmt == "binary2" or not len(table.columns):
        votable.to_xml(out, tabledata_format="binary2" if fmt == "binary2" else "tabledata")
        return "", _tap_infos(out.getvalue(), result.overflow)
    # astropy writes TABLEDATA at ~7 us a cell (a mask check per cell): 20 ms of a 30 ms
    # cone-search budget for 1000 rows. Its header is kept; the rows are written here.
    votable.to_xml(out, tabledata_format="tabledata")
    return out.getvalue().decode(), None


def _with_rows(header: str, tabledata: str, overflow: bool) -> bytes:
    # an empty table has no DATA element: the rows go before the TABLE's end
    position = header.rfind("</TABLE>")
    xml = header[:position] + "<DATA>" + tabledata + "</DATA>\n" + header[position:]
    return _tap_infos(xml.encode(), overflow)


def _cell_writer(pgtype: str, name: str, base_url: str) -> Any:
    """Return a function writing one value of a column as _cells writes it from a Column."""
    if pgtype in ("float4", "float8", "numeric"):
        return lambda v: "" if v is None or float(v) != float(v) else repr(float(v))
    if pgtype in ("int2", "int4", "int8"):
        return lambda v: "" if v is None else str(int(v))
    if pgtype == "bool":
        return lambda v: "" if v is None else ("T" if v else "F")
    return lambda v: "" if v is None else xml_escape(_text(v, pgtype, name, base_url))


def _tabledata_rows(result: QueryResult, base_url: str) -> str:
    """TABLEDATA of the rows, straight from the database values (no astropy Table)."""
    writers = [
        _cell_writer(t, n, base_url) for n, t in zip(result.names, result.types, strict=True)
    ]
    rows = "".join(
        "<TR>" + "".join(f"<TD>{w(v)}</TD>" for w, v in zip(writers, row, strict=True)) + "</TR>\n"
        for row in result.rows
    )
    return f"<TABLEDATA>\n{rows}</TABLEDATA>"


def _cells(column: Column) -> list[str]:
    """TABLEDATA cell texts of a column (empty for nulls and NaN)."""
    data = np.asarray(column)
    mask = np.ma.getmaskarray(column) if isinstance(column, MaskedColumn) else None
    if data.dtype.kind == "f":
        cells = ["" if v != v else repr(v) for v in data.tolist()]
    elif data.dtype.kind in "iu":
        cells = [str(v) for v in data.tolist()]
    elif data.dtype.kind == "b":
        cells = ["T" if v else "F" for v in data.tolist()]
    else:
        cells = [
            xml_escape(v.decode("utf-8")) if isinstance(v, bytes) else xml_escape(str(v))
            for v in data.tolist()
        ]
    if mask is not None:
        cells = ["" if m else c for c, m in zip(cells, mask.tolist(), strict=True)]
    return cells


def _tabledata(table: Table) -> str:
    columns = [_cells(table[name]) for name in table.colnames]
    rows = "".join(
        "<TR>" + "".join(f"<TD>{cell}</TD>" for cell in row) + "</TR>\n"
        for row in zip(*columns, strict=True)
    )
    return f"<TABLEDATA>\n{rows}</TABLEDATA>"


def _tap_infos(xml: bytes, overflow: bool) -> bytes:
    """Apply TAP's INFO rules astropy does not: no ID on INFOs, OVERFLOW after the TABLE."""
    xml = re.sub(rb'(<INFO) ID="[^"]*"', rb"\1", xml)
    if overflow:
        marker = b'<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n'
        position = xml.rfind(b"</RESOURCE>")
        xml = xml[:position] + marker + xml[position:]
    return xml


def error_document(message: str) -> bytes:
    """Return a TAP/DALI error VOTable: RESOURCE type=results with QUERY_STATUS=ERROR."""
    votable = VOTableFile()
    resource = Resource(type="results")
    votable.resources.append(resource)
    info = Info(name="QUERY_STATUS", value="ERROR")
    info.content = message
    resource.infos.append(info)
    out = io.BytesIO()
    votable.to_xml(out)
    return _tap_infos(out.getvalue(), overflow=False)
