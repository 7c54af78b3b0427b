"""TAP_SCHEMA: the service's description of its own tables, queryable in ADQL."""

from __future__ import annotations

from collections.abc import Sequence

from ctanb.obscore import PRINCIPAL_COLUMNS, Column
from ctanb.services import obscore, provtap

__all__ = [
    "DESCRIBED_COLUMNS",
    "FOREIGN_KEYS",
    "PUBLISHED_TABLES",
    "SCHEMAS",
    "TAP_SCHEMA_COLUMNS",
    "create_sql",
]

#: (schema, table, description) of every table a query may name.
PUBLISHED_TABLES: tuple[tuple[str, str, str], ...] = (
    ("ivoa", "ivoa.obscore", "ObsCore 1.1 table of DL3 event lists, with CTA extensions"),
    ("cta", "cta.vo_obscore", "The same ObsCore table, under the CTA prototype's name"),
    ("tap_schema", "tap_schema.schemas", "Schemas published by this service"),
    ("tap_schema", "tap_schema.tables", "Tables published by this service"),
    ("tap_schema", "tap_schema.columns", "Columns of the published tables"),
    ("tap_schema", "tap_schema.keys", "Foreign keys between published tables"),
    ("tap_schema", "tap_schema.key_columns", "Columns of the foreign keys"),
    *provtap.TABLES,
)

SCHEMAS = (
    ("ivoa", "IVOA standard data models (ObsCore)"),
    ("cta", "CTA data-diffusion tables"),
    ("tap_schema", "Metadata of this TAP service"),
    (provtap.SCHEMA, provtap.SCHEMA_DESCRIPTION),
)


def _column(name: str, description: str, datatype: str = "char") -> Column:
    """A column of a TAP_SCHEMA table (TAP 1.1 section 4), in the ObsCore column shape."""
    return Column(name=name, group="mandatory", datatype=datatype, description=description)


_SCHEMA_NAME = _column("schema_name", "schema name")
_TABLE_NAME = _column("table_name", "fully qualified table name")
_UTYPE = _column("utype", "utype")
_DESCRIPTION = _column("description", "description")
_KEY_ID = _column("key_id", "key identifier")

#: TAP_SCHEMA's own columns by table, in their order.
TAP_SCHEMA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "tap_schema.schemas": (
        _SCHEMA_NAME,
        _UTYPE,
        _DESCRIPTION,
        _column("schema_index", "order of display", "int"),
    ),
    "tap_schema.tables": (
        _column("schema_name", "schema the table belongs to"),
        _TABLE_NAME,
        _column("table_type", "table or view"),
        _UTYPE,
        _DESCRIPTION,
        _column("table_index", "order of display", "int"),
    ),
    "tap_schema.columns": (
        _TABLE_NAME,
        _column("column_name", "column name"),
        _column("datatype", "ADQL datatype"),
        _column("arraysize", "array size"),
        _column("xtype", "extended type"),
        _column('"size"', "deprecated size (delimited: SIZE is an ADQL reserved word)", "int"),
        _DESCRIPTION,
        _UTYPE,
        _column("unit", "unit"),
        _column("ucd", "UCD"),
        _column("indexed", "1 if indexed", "int"),
        _column("principal", "1 if principal", "int"),
        _column("std", "1 if standard", "int"),
        _column("column_index", "order of display", "int"),
    ),
    "tap_schema.keys": (
        _KEY_ID,
        _column("from_table", "table with the foreign key"),
        _column("target_table", "table with the primary key"),
        _DESCRIPTION,
        _UTYPE,
    ),
    "tap_schema.key_columns": (
        _KEY_ID,
        _column("from_column", "key column in from_table"),
        _column("target_column", "key column in target_table"),
    ),
}

#: Every published table with described columns -> its columns.
DESCRIBED_COLUMNS: dict[str, tuple[Column, ...]] = {
    obscore.TABLE: obscore.COLUMNS,
    obscore.VIEW: obscore.COLUMNS,
    **provtap.COLUMNS,
    **TAP_SCHEMA_COLUMNS,
}

#: TAP_SCHEMA's own foreign keys (TAP 1.1 section 4): id, from, target, columns, description
FOREIGN_KEYS = (
    (
        "tables_schema",
        "tap_schema.tables",
        "tap_schema.schemas",
        "schema_name",
        "schema_name",
        "the schema of a table",
    ),
    (
        "columns_table",
        "tap_schema.columns",
        "tap_schema.tables",
        "table_name",
        "table_name",
        "the table of a column",
    ),
    (
        "keys_from",
        "tap_schema.keys",
        "tap_schema.tables",
        "from_table",
        "table_name",
        "the table holding a foreign key",
    ),
    (
        "keys_target",
        "tap_schema.keys",
        "tap_schema.tables",
        "target_table",
        "table_name",
        "the table a foreign key points at",
    ),
    (
        "key_columns_key",
        "tap_schema.key_columns",
        "tap_schema.keys",
        "key_id",
        "key_id",
        "the key of a key column",
    ),
)

PRINCIPAL = frozenset(PRINCIPAL_COLUMNS)


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _insert(table: str, rows: Sequence[tuple[object, ...]]) -> str:
    values = ",\n".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)
    return f"INSERT INTO {table} VALUES\n{values}"


def _column_row(table: str, index: int, c: Column) -> tuple[object, ...]:
    """The ``tap_schema.columns`` row of a column (TAP_SCHEMA's own are all principal)."""
    principal = c.name in PRINCIPAL or table in TAP_SCHEMA_COLUMNS
    return (
        table,
        c.name,
        c.datatype,
        c.arraysize,
        c.xtype or None,
        None,
        c.description,
        c.utype or None,
        c.unit or None,
        c.ucd or None,
        int(c.indexed),
        int(principal),
        int(c.group != "cta"),
        index,
    )


def create_sql() -> str:
    """Return SQL that (re)creates and fills TAP_SCHEMA (TAP 1.1, section 4)."""
    ddl = ["CREATE SCHEMA IF NOT EXISTS tap_schema"]
    for table, declared in TAP_SCHEMA_COLUMNS.items():
        cols = ", ".join(f'"{c.name.strip(chr(34))}" {obscore.sql_type(c)}' for c in declared)
        ddl.append(f"DROP TABLE IF EXISTS {table} CASCADE")
        ddl.append(f"CREATE TABLE {table} ({cols})")
    schemas = [(name, None, text, i) for i, (name, text) in enumerate(SCHEMAS)]
    tables = [
        (schema, name, "view" if schema != "tap_schema" else "table", None, text, i)
        for i, (schema, name, text) in enumerate(PUBLISHED_TABLES)
    ]
    columns = [
        _column_row(table, i, c)
        for table, described in DESCRIBED_COLUMNS.items()
        for i, c in enumerate(described)
    ]
    keys = [(key, source, target, text, None) for key, source, target, _, _, text in FOREIGN_KEYS]
    key_columns = [(key, from_col, to_col) for key, _, _, from_col, to_col, _ in FOREIGN_KEYS]
    ddl += [
        _insert("tap_schema.keys", keys),
        _insert("tap_schema.key_columns", key_columns),
        _insert("tap_schema.schemas", schemas),
        _insert("tap_schema.tables", tables),
        _insert("tap_schema.columns", columns),
    ]
    return ";\n".join(ddl) + ";\n"
