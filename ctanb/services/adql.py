"""ADQL to PostgreSQL/pg_sphere translation, restricted to the published tables."""

from __future__ import annotations

from dataclasses import dataclass

from queryparser.adql import ADQLQueryTranslator
from queryparser.exceptions import QueryError, QuerySyntaxError
from queryparser.postgresql import PostgreSQLQueryProcessor

from ctanb.services.tap_schema import PUBLISHED_TABLES

__all__ = ["PUBLISHED_NAMES", "ADQLError", "translate"]

PUBLISHED_NAMES = frozenset(name for _, name, _ in PUBLISHED_TABLES)
_UNQUALIFIED = {name.split(".", 1)[1]: name for name in PUBLISHED_NAMES}


class ADQLError(ValueError):
    """A query that cannot be run; the message points at the problem."""


@dataclass(frozen=True)
class Translation:
    """A translated query: the PostgreSQL text and the published tables it reads."""

    sql: str
    tables: tuple[str, ...]


def translate(adql: str) -> Translation:
    """Translate ADQL 2.0 to PostgreSQL with pg_sphere.

    Raises
    ------
    ADQLError
        On a syntax error (with line and column), a function that ADQL does not define,
        or a table that the service does not publish.
    """
    text = adql.strip().rstrip(";").strip()
    if not text:
        raise ADQLError("empty QUERY: send an ADQL SELECT statement")
    try:
        sql = ADQLQueryTranslator(text).to_postgresql()
    except QuerySyntaxError as exc:
        raise ADQLError(_syntax_message(text, exc)) from exc
    except (QueryError, ValueError, IndexError, AttributeError, KeyError) as exc:
        raise ADQLError(f"cannot translate the ADQL query: {exc}") from exc
    sql = sql.strip().rstrip(";")
    try:
        processor = PostgreSQLQueryProcessor(sql)
    except QuerySyntaxError as exc:
        raise ADQLError(_syntax_message(sql, exc, translated=True)) from exc
    except Exception as exc:
        if "schema" in str(exc).lower():
            raise ADQLError(
                "every table needs its schema: write e.g. ivoa.obscore, cta.vo_obscore or "
                "tap_schema.tables"
            ) from exc
        raise ADQLError(f"cannot analyse the translated query: {exc}") from exc
    tables = []
    for schema, table in processor.tables:
        name = f"{schema}.{table}".lower() if schema else _UNQUALIFIED.get(str(table).lower(), "")
        if name not in PUBLISHED_NAMES:
            shown = f"{schema}.{table}" if schema else str(table)
            raise ADQLError(
                f"unknown table '{shown}': published tables are "
                + ", ".join(sorted(PUBLISHED_NAMES))
            )
        tables.append(name)
    return Translation(sql=sql, tables=tuple(sorted(set(tables))))


def _syntax_message(text: str, exc: QuerySyntaxError, translated: bool = False) -> str:
    errors = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    if not errors:
        return f"ADQL syntax error: {exc}"
    line, column, token = errors[0]
    source_line = text.splitlines()[line - 1] if line - 1 < len(text.splitlines()) else ""
    pointer = " " * column + "^"
    where = "in the translated query " if translated else ""
    hint = ""
    if translated or (token == "(" and column > 0):
        hint = " (a function that ADQL does not define?)"
    return (
        f"ADQL syntax error {where}at line {line}, column {column + 1}, near '{token}'{hint}:\n"
        f"{source_line}\n{pointer}"
    )
