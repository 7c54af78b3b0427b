"""ADQL to PostgreSQL/pg_sphere translation, restricted to the published tables."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from queryparser.adql import ADQLQueryTranslator
from queryparser.exceptions import QueryError, QuerySyntaxError
from queryparser.postgresql import PostgreSQLQueryProcessor

from ctanb.errors import UsageError
from ctanb.services.tap_schema import PUBLISHED_TABLES

__all__ = ["PUBLISHED_NAMES", "ADQLError", "Translation", "check_size", "translate"]

PUBLISHED_NAMES = frozenset(name for _, name, _ in PUBLISHED_TABLES)
_UNQUALIFIED = {name.split(".", 1)[1]: name for name in PUBLISHED_NAMES}


class ADQLError(UsageError):
    """A query that cannot be run; the message points at the problem."""


@dataclass(frozen=True)
class Translation:
    """A translated query: the PostgreSQL text and the published tables it reads."""

    sql: str
    tables: tuple[str, ...]


#: Bounds checked before parsing: queryparser's pure-Python ANTLR parser grows fast with a
#: query's size (measured on this 2-core machine: 0.2 s for one condition, 2.1 s for 25
#: OR terms, 8 s for 100, 14 s for an IN list of 500 values), so larger queries are refused
#: at once with a message saying which bound they pass.
MAX_QUERY_CHARS = 20_000
MAX_CONDITIONS = 32  # AND / OR
MAX_LITERALS = 500
MAX_NESTING = 24  # parentheses


def check_size(adql: str) -> None:
    """Refuse a query over the service's size and complexity bounds, before parsing.

    Raises
    ------
    ADQLError
        Saying which bound the query passes and how to stay within it.
    """
    if "\x00" in adql:
        raise ADQLError("the query holds a NUL character: remove it")
    for token in _TOKENS.finditer(adql):
        name = token.group("identifier")
        if name and "'" in name:
            # queryparser loses track of strings after such a name (it drops their text)
            raise ADQLError(f"the quoted name {name} holds a single quote: rename it")
    if len(adql) > MAX_QUERY_CHARS:
        raise ADQLError(
            f"the query has {len(adql)} characters; this service takes at most "
            f"{MAX_QUERY_CHARS}: split it, or select by a range instead of listing values"
        )
    code = _STRING_OR_IDENTIFIER.sub("''", adql)
    conditions = len(_CONDITION.findall(code))
    if conditions > MAX_CONDITIONS:
        raise ADQLError(
            f"the query has {conditions} AND/OR conditions; this service takes at most "
            f"{MAX_CONDITIONS}: use IN (...) or BETWEEN, or several queries"
        )
    literals = len(_TOKENS.findall(adql))
    if literals > MAX_LITERALS:
        raise ADQLError(
            f"the query has {literals} literal values; this service takes at most "
            f"{MAX_LITERALS}: split it into several queries"
        )
    depth = deepest = 0
    for char in code:
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise ADQLError(
            f"the query nests parentheses {deepest} deep; this service takes at most {MAX_NESTING}"
        )


def translate(adql: str) -> Translation:
    """Translate ADQL 2.0 to PostgreSQL with pg_sphere.

    queryparser's ANTLR parser takes 0.1-0.3 s per query in pure Python, so translations
    of queries in plain ASCII are cached by the query's *shape*: its literal values are
    swapped for placeholders, the shape is translated once, and later queries of that
    shape get the shape's SQL with each placeholder token replaced by a literal token
    written afresh from their own value. The SQL's structure is therefore always that of a
    query the translator produced itself: a value can never become SQL. A shape is cached
    only when every placeholder comes out of the translation as one whole literal token
    and nowhere else, and a query that holds placeholder-like text of its own is never
    cached (tests/security/test_adql_cache.py checks this property with hypothesis).

    Raises
    ------
    ADQLError
        On a syntax error (with line and column), a function that ADQL does not define,
        a table that the service does not publish, or a query over the size bounds.
    """
    check_size(adql)
    text = adql.strip().rstrip(";").strip()
    if _MARKER.search(text) is None and _ASCII.fullmatch(text):
        shape, literals = _shape(text)
        if literals and all(_cacheable(kind, value) for kind, value in literals):
            template = _translate_shape(shape, tuple(kind for kind, _ in literals))
            if template is not None:
                return Translation(sql=_fill(template.sql, literals), tables=template.tables)
    return _translate(text)


# ADQL tokens: quoted identifiers, comments and strings ('...' with '' escapes) are whole
# tokens; numbers are unsigned literals not touching a name or a dot.
_TOKENS = re.compile(
    r"""(?P<identifier>"(?:[^"]|"")*")|(?P<comment>--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<string>'(?:[^']|'')*')"""
    r"""|(?<![\w.])(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])""",
    re.DOTALL,
)
_STRING_OR_IDENTIFIER = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*\"""")
_CONDITION = re.compile(r"\b(?:AND|OR)\b", re.IGNORECASE)
# Placeholders: 'ctanbNNNNph' for strings, 98760NNNN (integers) and 98760NNNN.25 (others).
_MARKER = re.compile(r"ctanb\d{4}ph|98760\d{4}", re.IGNORECASE)
_PLACEHOLDER_BASE = 987600000
# Only queries in ASCII, with strings of printable characters, are cached: the ADQL lexer
# refuses control characters in strings and some other characters anywhere, and a cached
# query must be refused exactly when its translation alone would be.
_ASCII = re.compile(r"[\t\n\r -~]*")
_PRINTABLE = re.compile(r"[ -~]*")


def _cacheable(kind: str, value: str) -> bool:
    """Whether a literal value is one that queryparser's lexer reads like any other."""
    if kind == "string":
        return _PRINTABLE.fullmatch(value) is not None
    # queryparser refuses an exponent on a number without a decimal point (1e5)
    return "." in value or not re.search("[eE]", value)


# Coordinate systems stay in the shape: the translator may read them.
_KEPT_STRINGS = re.compile(r"'(?:ICRS|GALACTIC|FK4|FK5|J2000|ECLIPTIC|UNKNOWNFRAME|)'", re.I)
_SHAPE_CACHE_SIZE = 512


def _shape(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Replace literal values by numbered placeholders; return the shape and the values.

    Each value is ``(kind, text)`` with kind ``string``, ``integer`` or ``number``.
    """
    literals: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        kind = match.lastgroup
        if kind in ("identifier", "comment") or token in ("0", "1"):
            # 0 and 1 stay: they carry meaning in `1 = CONTAINS(...)` comparisons
            return token
        if kind == "string" and _KEPT_STRINGS.fullmatch(token):
            return token
        index = len(literals)
        if kind == "string":
            literals.append(("string", token[1:-1].replace("''", "'")))
            return f"'ctanb{index:04d}ph'"
        # a number keeps its kind (TOP takes integers)
        integer = token.isdigit()
        literals.append(("integer" if integer else "number", token))
        number = _PLACEHOLDER_BASE + index
        # a trailing zero shows whether the translation writes the number back as it came
        # (98760NNNN.250) or as a Python float (98760NNNN.25: inside geometries)
        return f"{number}" if integer else f"{number}.250"

    shape = _TOKENS.sub(replace, text)
    return shape, literals


# PostgreSQL tokens of a translation, scanned from left to right: quoted identifiers,
# strings, numbers, names, white space, one-character punctuation. A template with any
# other quoting (E'', U&'', $$, comments, a lone quote) is not cached.
_SQL_LEXER = re.compile(
    r"""(?P<identifier>"(?:[^"]|"")*")|(?P<string>'(?:[^']|'')*')"""
    r"""|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\w$])"""
    r"""|(?P<name>[A-Za-z_][\w$]*)|(?P<space>\s+)|(?P<punct>[-+*/%<>=!~^&|#@(),.:;\[\]{}?])"""
)
# a slot in a cached template: NUL, the literal's index, and how to write it (raw, or as a
# Python float); no literal holds NUL
_SLOT = re.compile("\x00(\\d+):(raw|float)\x00")


def _sql_tokens(sql: str) -> list[tuple[str, str]] | None:
    """Split ``sql`` into (kind, text) tokens; None when it holds a token kind not known."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(sql):
        match = _SQL_LEXER.match(sql, position)
        if match is None:
            return None
        kind, text = str(match.lastgroup), match.group(0)
        if kind == "punct" and text in "-/" and sql[position : position + 2] in ("--", "/*"):
            return None
        if kind == "string" and tokens and tokens[-1][0] in ("name", "number", "string"):
            return None  # E'...', U&'...' (via &), B'...', N'...', or 'a' 'b' continuation
        if kind == "string" and tokens and tokens[-1] == ("punct", "&"):
            return None
        tokens.append((kind, text))
        position = match.end()
    return tokens


@functools.lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def _translate_shape(shape: str, kinds: tuple[str, ...]) -> Translation | None:
    """Translate a query shape to a template with one slot per literal, or None.

    None when the shape does not translate, or when any placeholder does not come out of
    the translation as exactly one whole literal token of its own kind, and nowhere else
    (then the query is translated on its own).
    """
    try:
        translation = _translate(shape)
    except ADQLError:
        return None
    tokens = _sql_tokens(translation.sql) if "\x00" not in translation.sql else None
    if tokens is None:
        return None
    counts = [0] * len(kinds)
    parts = []
    for kind, text in tokens:
        slot = _placeholder_slot(kind, text, kinds)
        if slot is None:
            if _MARKER.search(text):
                return None  # placeholder text inside another token
            parts.append(text)
        else:
            index, style = slot
            counts[index] += 1
            parts.append(f"\x00{index}:{style}\x00")
    if any(count != 1 for count in counts):
        # a value the translation drops or repeats: the cache would be blind to it
        return None
    return Translation(sql="".join(parts), tables=translation.tables)


_STYLES = {"integer": {"": "raw", ".0": "float"}, "number": {".250": "raw", ".25": "float"}}


def _placeholder_slot(kind: str, text: str, kinds: tuple[str, ...]) -> tuple[int, str] | None:
    """``(index, style)`` of a placeholder token of the right kind, else None.

    ``style`` says how the translation wrote the value: ``raw`` (as given) or ``float``
    (as Python writes the float: queryparser does so inside geometries).
    """
    if kind == "string":
        found = re.fullmatch(r"'ctanb(\d{4})ph'", text)
        if found and int(found.group(1)) < len(kinds):
            index = int(found.group(1))
            return (index, "raw") if kinds[index] == "string" else None
    elif kind == "number":
        found = re.fullmatch(r"98760(\d{4})(\.250|\.25|\.0)?", text)
        if found and int(found.group(1)) < len(kinds):
            index, suffix = int(found.group(1)), found.group(2) or ""
            styles = {
                "integer": {"": "raw", ".0": "float"},
                "number": {".250": "raw", ".25": "float"},
            }
            style = styles.get(kinds[index], {}).get(suffix)
            return None if style is None else (index, style)
    return None


def _fill(template: str, literals: list[tuple[str, str]]) -> str:
    """Put literal tokens, written afresh from ``literals``, into a template's slots."""

    def literal(match: re.Match[str]) -> str:
        kind, value = literals[int(match.group(1))]
        if kind == "string":
            return _quote(value)
        if not _NUMBER.fullmatch(value):  # cannot happen: _shape matched it as a number
            raise ADQLError(f"not a number: {value!r}")
        return repr(float(value)) if match.group(2) == "float" else value

    return _SLOT.sub(literal, template)


_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _quote(value: str) -> str:
    """A standard SQL string literal ('' for a quote; backslashes are plain characters)."""
    return "'" + value.replace("'", "''") + "'"


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
