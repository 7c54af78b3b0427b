"""The ObsCore table in PostgreSQL: its DDL, built from the neutral model.

The columns themselves (names, units, UCDs, descriptions) are defined once in
:mod:`ctanb.obscore`, which clients import too; this module adds what only the database
needs, keyed on those columns: the SQL type of each column (:data:`SQL_TYPES`), the base
table with its private columns, the indexes and the published views. ``Column``,
``COLUMNS`` and ``COLUMN_BY_NAME`` here are the model's, re-exported.
"""

from __future__ import annotations

from ctanb.obscore import COLUMN_BY_NAME, COLUMNS, TABLE, VIEW, Column

__all__ = [
    "BASE_TABLE",
    "COLUMNS",
    "COLUMN_BY_NAME",
    "NOT_NULL",
    "SQL_TYPES",
    "TABLE",
    "VIEW",
    "Column",
    "create_table_sql",
    "sql_type",
]

_SQL_BY_DATATYPE = {
    "char": "text",
    "short": "smallint",
    "int": "integer",
    "long": "bigint",
    "double": "double precision",
}
_SQL_BY_XTYPE = {"adql:REGION": "scircle", "timestamp": "timestamp"}
#: Identifiers every row has (the primary key and ObsCore's fixed values).
NOT_NULL = frozenset(
    {"dataproduct_type", "calib_level", "obs_collection", "obs_id", "obs_publisher_did"}
)


def sql_type(column: Column) -> str:
    """The PostgreSQL type of a column, from its VOTable datatype and xtype.

    Examples
    --------
    >>> from ctanb.obscore import COLUMN_BY_NAME
    >>> sql_type(COLUMN_BY_NAME["s_region"]), sql_type(COLUMN_BY_NAME["t_min"])
    ('scircle', 'double precision')
    """
    return _SQL_BY_XTYPE.get(column.xtype) or _SQL_BY_DATATYPE[column.datatype]


#: Column name -> its SQL type in ``archive.observation`` (``NOT NULL`` for identifiers).
SQL_TYPES: dict[str, str] = {
    c.name: sql_type(c) + (" NOT NULL" if c.name in NOT_NULL else "") for c in COLUMNS
}


BASE_TABLE = "archive.observation"
PRIVATE_COLUMNS = ("file_path", "file_sha256", "ingested_at")


def create_table_sql() -> str:
    """Return the DDL of the observation table, its indexes and the published views.

    Rows live in ``archive.observation`` (with the private columns ``file_path``,
    ``file_sha256``, ``ingested_at``); ``ivoa.obscore`` and ``cta.vo_obscore`` are views
    of the published columns that run with the caller's rights (``security_invoker``), so
    the row-level security policy of the table applies to every query through them.
    """
    lines = ",\n    ".join(f"{c.name} {SQL_TYPES[c.name]}" for c in COLUMNS)
    statements = [
        "CREATE SCHEMA IF NOT EXISTS archive",
        "CREATE SCHEMA IF NOT EXISTS ivoa",
        "CREATE SCHEMA IF NOT EXISTS cta",
        f"CREATE TABLE IF NOT EXISTS {BASE_TABLE} (\n    {lines},\n"
        "    file_path text NOT NULL,\n"
        "    file_sha256 text,\n"
        "    ingested_at timestamptz NOT NULL DEFAULT now(),\n"
        "    PRIMARY KEY (obs_collection, obs_id)\n)",
    ]
    for c in COLUMNS:
        if not c.indexed:
            continue
        method = "gist" if sql_type(c) == "scircle" else "btree"
        statements.append(
            f"CREATE INDEX IF NOT EXISTS observation_{c.name}_idx "
            f"ON {BASE_TABLE} USING {method} ({c.name})"
        )
    public = ", ".join(c.name for c in COLUMNS)
    for view in (TABLE, VIEW):
        statements.append(
            f"CREATE OR REPLACE VIEW {view} WITH (security_invoker = true) AS "
            f"SELECT {public} FROM {BASE_TABLE}"
        )
    return ";\n".join(statements) + ";\n"


def markdown_table() -> str:
    """Return the Markdown table of every column: group, unit, UCD, meaning, where it comes from."""
    lines = [
        "| column | group | unit | UCD | meaning | where the value comes from |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in COLUMNS:
        lines.append(
            f"| `{c.name}` | {c.group} | {c.unit} | {c.ucd} | {c.description} | {c.source} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m ctanb.services.obscore`
    print(markdown_table(), end="")
