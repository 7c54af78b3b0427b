"""ADQL to PostgreSQL/pg_sphere translation, restricted to the published tables."""

from __future__ import annotations

import functools
import re
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

    queryparser's ANTLR parser takes ~0.1 s per query in pure Python, so translations are
    cached by the query's *shape*: its literals are swapped for placeholders, the shape is
    translated once, and later queries of that shape only substitute their own literals
    (when each placeholder is found intact in the translation; otherwise the query is
    translated on its own).

    Raises
    ------
    ADQLError
        On a syntax error (with line and column), a function that ADQL does not define,
        or a table that the service does not publish.
    """
    text = adql.strip().rstrip(";").strip()
    shape, literals = _shape(text)
    if literals:
        template = _translate_shape(shape, len(literals))
        if template is not None:
            sql = _PLACEHOLDER.sub(lambda m: literals[int(m.group(1))], template.sql)
            return Translation(sql=sql, tables=template.tables)
    return _translate(text)


# Literals of an ADQL query: strings ('...' with '' escapes) and unsigned numbers; quoted
# identifiers and comments are matched only to be left alone.
_TOKENS = re.compile(
    r"""(?P<identifier>"(?:[^"]|"")*")|(?P<comment>--[^\n]*)|(?P<string>'(?:[^']|'')*')"""
    r"""|(?<![\w.])(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])"""
)
_PLACEHOLDER = re.compile(r"'?ctanb(\d{4})ph(?:\.0|')?")
_SHAPE_CACHE_SIZE = 512


def _shape(text: str) -> tuple[str, list[str]]:
    """Replace literals by numbered placeholders; return the shape and the literals."""
    literals: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.lastgroup in ("identifier", "comment") or match.group(0) in ("0", "1"):
            # 0 and 1 stay: they carry meaning in `1 = CONTAINS(...)` comparisons
            return match.group(0)
        literals.append(match.group(0))
        index = len(literals) - 1
        if match.lastgroup == "string":
            return f"'ctanb{index:04d}ph'"
        # a number keeps its kind (TOP takes integers): integers become 9-digit integers
        number = match.group(0)
        integer = number.isdigit()
        return f"{987600000 + index}" if integer else f"{987600000 + index}.25"

    shape = _TOKENS.sub(replace, text)
    return shape, literals


@functools.lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def _translate_shape(shape: str, count: int) -> Translation | None:
    """Translate a query shape; None when its placeholders do not survive intact."""
    try:
        translation = _translate(shape)
    except ADQLError:
        return None
    sql = translation.sql
    for index in range(count):
        number = 987600000 + index
        patterns = (f"'ctanb{index:04d}ph'", f"{number}.25", f"{number}.0", f"{number}")
        found = [p for p in patterns if re.search(rf"(?<![\w.]){re.escape(p)}(?![\w])", sql)]
        hits = sum(len(re.findall(rf"(?<![\w.]){re.escape(p)}(?![\w.])", sql)) for p in found)
        if hits == 0 and f"'ctanb{index:04d}ph'" in shape:
            continue  # a string the translation drops (the coordinate system of CIRCLE ...)
        if hits != 1:
            return None
        sql = re.sub(rf"(?<![\w.]){re.escape(found[0])}(?![\w.])", f"ctanb{index:04d}ph", sql)
    return Translation(sql=sql, tables=translation.tables)


def _translate(text: str) -> Translation:
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
