"""TAP_SCHEMA: the service's description of its own tables, queryable in ADQL."""

from __future__ import annotations

from collections.abc import Sequence

from ctanb.obscore import PRINCIPAL_COLUMNS
from ctanb.services import obscore, provtap

__all__ = ["PUBLISHED_TABLES", "TAP_SCHEMA_COLUMNS", "create_sql"]

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

_c = ("char", "*")
#: TAP_SCHEMA's own columns: table -> [(name, datatype, arraysize, description)]
TAP_SCHEMA_COLUMNS: dict[str, list[tuple[str, str, str | None, str]]] = {
    "tap_schema.schemas": [
        ("schema_name", *_c, "schema name"),
        ("utype", *_c, "utype"),
        ("description", *_c, "description"),
        ("schema_index", "int", None, "order of display"),
    ],
    "tap_schema.tables": [
        ("schema_name", *_c, "schema the table belongs to"),
        ("table_name", *_c, "fully qualified table name"),
        ("table_type", *_c, "table or view"),
        ("utype", *_c, "utype"),
        ("description", *_c, "description"),
        ("table_index", "int", None, "order of display"),
    ],
    "tap_schema.columns": [
        ("table_name", *_c, "fully qualified table name"),
        ("column_name", *_c, "column name"),
        ("datatype", *_c, "ADQL datatype"),
        ("arraysize", *_c, "array size"),
        ("xtype", *_c, "extended type"),
        ('"size"', "int", None, "deprecated size (delimited: SIZE is an ADQL reserved word)"),
        ("description", *_c, "description"),
        ("utype", *_c, "utype"),
        ("unit", *_c, "unit"),
        ("ucd", *_c, "UCD"),
        ("indexed", "int", None, "1 if indexed"),
        ("principal", "int", None, "1 if principal"),
        ("std", "int", None, "1 if standard"),
        ("column_index", "int", None, "order of display"),
    ],
    "tap_schema.keys": [
        ("key_id", *_c, "key identifier"),
        ("from_table", *_c, "table with the foreign key"),
        ("target_table", *_c, "table with the primary key"),
        ("description", *_c, "description"),
        ("utype", *_c, "utype"),
    ],
    "tap_schema.key_columns": [
        ("key_id", *_c, "key identifier"),
        ("from_column", *_c, "key column in from_table"),
        ("target_column", *_c, "key column in target_table"),
    ],
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

_SQL_TYPES = {
    "char": "text",
    "int": "integer",
    "short": "smallint",
    "long": "bigint",
    "double": "double precision",
}
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


def create_sql() -> str:
    """Return SQL that (re)creates and fills TAP_SCHEMA (TAP 1.1, section 4)."""
    ddl = ["CREATE SCHEMA IF NOT EXISTS tap_schema"]
    for table, declared in TAP_SCHEMA_COLUMNS.items():
        cols = ", ".join(
            f'"{name.strip(chr(34))}" {_SQL_TYPES[datatype]}' for name, datatype, _, _ in declared
        )
        ddl.append(f"DROP TABLE IF EXISTS {table} CASCADE")
        ddl.append(f"CREATE TABLE {table} ({cols})")
    schemas = [(name, None, text, i) for i, (name, text) in enumerate(SCHEMAS)]
    tables = [
        (schema, name, "view" if schema != "tap_schema" else "table", None, text, i)
        for i, (schema, name, text) in enumerate(PUBLISHED_TABLES)
    ]
    columns: list[tuple[object, ...]] = []
    described = {obscore.TABLE: obscore.COLUMNS, obscore.VIEW: obscore.COLUMNS, **provtap.COLUMNS}
    for table, table_described in described.items():
        for i, c in enumerate(table_described):
            columns.append(
                (
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
                    int(c.name in PRINCIPAL),
                    int(c.group != "cta"),
                    i,
                )
            )
    for table, table_columns in TAP_SCHEMA_COLUMNS.items():
        for i, (name, datatype, arraysize, text) in enumerate(table_columns):
            columns.append(
                (table, name, datatype, arraysize, None, None, text, None, None, None, 0, 1, 1, i)
            )
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
