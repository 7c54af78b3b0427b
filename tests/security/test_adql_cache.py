"""The ADQL shape cache never splices user text: a property-based proof (hypothesis).

For queries built from a small ADQL grammar whose literals and quoted identifiers are
drawn from adversarial text (quotes of both kinds, ``--`` and ``/* */``, semicolons,
backslashes, dollar signs, unicode, placeholder look-alikes, numbers next to names), a
query answered from the cache gives exactly the SQL that translating it on its own gives,
or is refused. Each example translates two queries of one shape with different values, so
the second one is answered from the cache.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ctanb.services import adql

# a third of the examples go through the cache (pytest --hypothesis-show-statistics)
EXAMPLES = int(os.environ.get("CTANB_HYPOTHESIS_EXAMPLES", "60"))

SPECIAL = ["--", "/*", "*/", "''", '""', "é", "☃", "\u200b", "𝔸"]
MARKERS = st.sampled_from(["ctanb0001ph", "ctanb0000ph", "987600000", "987600001.25"])
ALPHABET = st.sampled_from([*"aZ09 _.,;:'\"-/*\\$%()=<>|&\n\t", *SPECIAL])
NASTY = st.lists(ALPHABET, max_size=12).map("".join)
# printable ASCII, quotes, comment starts, semicolons, backslashes and dollars included:
# the text that reaches the cache
PLAIN = st.lists(
    st.sampled_from([*"abcXYZ019 _.-%:+'\";\\$/*", "--", "/*", "*/", "''", '""', "; RESET ROLE"]),
    max_size=10,
).map("".join)
MARKED = st.tuples(PLAIN, MARKERS, PLAIN).map("".join)
# plain text most of the time, so that many shapes are cacheable and the cache is exercised
TEXT = st.one_of(*[PLAIN] * 8, NASTY, NASTY, MARKED)
COLUMNS = ["obs_id", "target_name", "s_ra", "s_dec", "t_min", "em_min", "obs_collection"]


@st.composite
def numbers(draw):
    kind = draw(st.sampled_from(["int", "float", "float", "exp", "bare-exp", "dot", "trailing"]))
    value = draw(st.integers(min_value=2, max_value=10**9))
    return {
        "int": str(value),
        "float": f"{value}.{draw(st.integers(0, 999))}",
        "exp": f"{value}.{draw(st.integers(0, 99))}e{draw(st.integers(-5, 5))}",
        "bare-exp": f"{value}e{draw(st.integers(-5, 5))}",
        "dot": f".{value}",
        "trailing": f"{value}.",
    }[kind]


def string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@st.composite
def query_pair(draw):
    """Two queries of one shape (same structure, different values)."""
    columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3))
    aliased = draw(st.lists(st.booleans(), min_size=len(columns), max_size=len(columns)))
    conditions = draw(
        st.lists(st.sampled_from(["eq", "like", "gt", "in", "cone", "between"]), max_size=3)
    )
    joins = draw(st.lists(st.sampled_from(["AND", "OR"]), min_size=3, max_size=3))
    top = draw(st.one_of(st.just(0), st.integers(2, 10**6)))
    comment = draw(st.sampled_from(["", "comment"]))
    aliases = [draw(TEXT.filter(lambda t: t.strip('"') != "")) for _ in columns]

    def build(strings: list[str], nums: list[str]) -> str:
        def text_() -> str:
            return string(strings.pop())

        def num() -> str:
            return nums.pop()

        select = ", ".join(
            f"{c} AS {identifier(aliases[i])}" if aliased[i] else c for i, c in enumerate(columns)
        )
        where = []
        for kind in conditions:
            if kind == "eq":
                where.append(f"target_name = {text_()}")
            elif kind == "like":
                where.append(f"obs_id LIKE {text_()}")
            elif kind == "gt":
                where.append(f"t_min > {num()}")
            elif kind == "in":
                where.append(f"obs_id IN ({text_()}, {text_()})")
            elif kind == "between":
                where.append(f"s_dec BETWEEN {num()} AND {num()}")
            else:
                where.append(
                    "1 = CONTAINS(POINT('ICRS', s_ra, s_dec), "
                    f"CIRCLE('ICRS', {num()}, {num()}, {num()}))"
                )
        text = f"SELECT {'TOP ' + str(top) + ' ' if top else ''}{select} FROM ivoa.obscore"
        if where:
            text += " WHERE " + where[0]
            for join, condition in zip(joins, where[1:], strict=False):
                text += f" {join} {condition}"
        if comment:
            text += f" -- {strings.pop()}".replace("\n", " ")
        return text

    def values() -> tuple[list[str], list[str]]:
        return [draw(TEXT) for _ in range(12)], [draw(numbers()) for _ in range(12)]

    return build(*values()), build(*values())


def translated(query: str) -> str | None:
    try:
        return adql.translate(query).sql
    except adql.ADQLError:
        return None


def translated_alone(query: str) -> str | None:
    try:
        return adql._translate(query.strip().rstrip(";").strip()).sql
    except adql.ADQLError:
        return None


REPORTED = (
    'SELECT obs_id AS "ctanb0001ph", target_name FROM ivoa.obscore '
    "WHERE target_name = 'x\" FROM ivoa.obscore; RESET ROLE; SELECT 1 --'"
)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(query_pair())
@example((REPORTED, REPORTED.replace("'x\"", "'y\"")))
def test_cached_translation_equals_translation_alone(pair):
    first, second = pair
    translated(first)  # fills the cache with the shape
    info = adql._translate_shape.cache_info()
    cached = translated(second)
    alone = translated_alone(second)
    # how often each path is taken is shown by pytest --hypothesis-show-statistics
    after = adql._translate_shape.cache_info()
    looked_up = (after.hits, after.misses) != (info.hits, info.misses)
    event("a shape looked up in the cache" if looked_up else "translated alone or refused")
    if cached is not None:
        assert cached == alone, (second, cached, alone)


def test_the_reported_injection_stays_a_literal():
    """The reported query's string literal stays one literal in the SQL, from the cache too."""
    translated(REPORTED)
    sql = adql.translate(REPORTED.replace("'x\"", "'y\"")).sql
    assert sql.count("RESET ROLE") == 1
    assert "= 'y\" FROM ivoa.obscore; RESET ROLE; SELECT 1 --'" in sql
    assert 'AS "ctanb0001ph"' in sql
