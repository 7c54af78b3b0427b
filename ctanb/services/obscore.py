"""The ObsCore table in PostgreSQL: its DDL, built from the neutral model.

The columns themselves (names, units, UCDs, descriptions) are defined once in
:mod:`ctanb.obscore`, which clients import too; this module adds what only the database
needs: the SQL type of each column, the base table with its private columns, the indexes
and the published views. ``COLUMNS`` and ``COLUMN_BY_NAME`` here are those columns with
their SQL types.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ctanb import obscore as model
from ctanb.obscore import TABLE, VIEW

__all__ = [
    "BASE_TABLE",
    "COLUMNS",
    "COLUMN_BY_NAME",
    "TABLE",
    "VIEW",
    "Column",
    "create_table_sql",
]


@dataclass(frozen=True)
class Column:
    """A column of a published SQL table: ObsCore-style metadata plus its PostgreSQL type.

    Parameters
    ----------
    name : str
        Column name.
    sql : str
        PostgreSQL type.
    datatype : str
        VOTable/TAP datatype (``char``, ``int``, ``long``, ``double``, ``timestamp`` ...).
    unit, ucd, utype, description : str
        Metadata published in TAP_SCHEMA and in result VOTables.
    source : str
        Where ingestion takes the value from (documentation).
    group : str
        ``mandatory``, ``optional`` (ObsCore 1.1 optional) or ``cta`` (CTA extension).
    indexed : bool
        Whether a B-tree index is built (GiST for ``s_region``).
    """

    name: str
    sql: str
    datatype: str
    unit: str = ""
    ucd: str = ""
    utype: str = ""
    description: str = ""
    source: str = ""
    group: str = "mandatory"
    indexed: bool = False
    xtype: str = ""

    @property
    def arraysize(self) -> str | None:
        """VOTable arraysize: ``*`` for strings."""
        return "*" if self.datatype == "char" else None

    @classmethod
    def from_model(cls, column: model.Column) -> Column:
        """The SQL column of an ObsCore model column (its type from datatype and xtype)."""
        sql = _SQL_BY_XTYPE.get(column.xtype) or _SQL_BY_DATATYPE[column.datatype]
        if column.name in NOT_NULL:
            sql += " NOT NULL"
        return cls(sql=sql, **dataclasses.asdict(column))


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

COLUMNS: tuple[Column, ...] = tuple(Column.from_model(c) for c in model.COLUMNS)
COLUMN_BY_NAME = {column.name: column for column in COLUMNS}


BASE_TABLE = "archive.observation"
PRIVATE_COLUMNS = ("file_path", "file_sha256", "ingested_at")


def create_table_sql() -> str:
    """Return the DDL of the observation table, its indexes and the published views.

    Rows live in ``archive.observation`` (with the private columns ``file_path``,
    ``file_sha256``, ``ingested_at``); ``ivoa.obscore`` and ``cta.vo_obscore`` are views
    of the published columns that run with the caller's rights (``security_invoker``), so
    the row-level security policy of the table applies to every query through them.
    """
    lines = ",\n    ".join(f"{c.name} {c.sql}" for c in COLUMNS)
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
        method = "gist" if c.sql.startswith("scircle") else "btree"
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
