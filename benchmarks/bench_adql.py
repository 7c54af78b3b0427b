"""ADQL translation: queryparser alone against ctanb's shape cache and translator pool.

Measured in one run on the same queries, medians of repeats:

- *queryparser alone*: ``ADQLQueryTranslator(q).to_postgresql()`` plus the published-table
  check, what every query cost without a cache (a fresh shape still costs this);
- *cache, in process*: ``ctanb.services.adql.translate`` on queries of a shape seen before
  (new literal values each time);
- *pool*: ``TranslatorPool.translate``, what ``/tap/sync`` calls: the same cache in a worker
  process, plus the round trip between processes and the size check;
- *size bounds*: the time to refuse a query over the bounds (3,000 OR terms; 153 s before
  the bounds).

    python benchmarks/bench_adql.py [--repeat 20]

Other ADQL parsers on PyPI, evaluated against the same needs (full ADQL grammar, pg_sphere
output, a table list to check): ``ADQL`` 1.0.6 (IPAC) rewrites queries with regular
expressions into HTM/HEALPix index columns for Oracle or SQLite and checks no grammar, so it
cannot tell which tables a query reads; ``pyadql`` has no installable distribution on the
registry this machine reaches. queryparser-python3 stays, behind the cache and the pool.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from queryparser.adql import ADQLQueryTranslator

from ctanb.services import adql
from ctanb.services.translator import TranslatorPool

SHAPES = [
    "SELECT * FROM cta.vo_obscore AS o WHERE 1 = INTERSECTS(o.s_region, "
    "CIRCLE('ICRS', {ra}, {dec}, {r}))",
    "SELECT TOP 100 obs_id, target_name, t_min FROM ivoa.obscore "
    "WHERE em_min < {r} AND target_name LIKE '{name}%' ORDER BY t_min",
    "SELECT obs_id, s_ra, s_dec FROM ivoa.obscore WHERE obs_id IN ('{a}', '{b}', '{c}')",
]


def values(rng: random.Random) -> dict[str, object]:
    return {
        "ra": round(rng.uniform(0, 360), 5),
        "dec": round(rng.uniform(-90, 90), 5),
        "r": round(rng.uniform(0.01, 5), 3),
        "name": rng.choice(["Crab", "PKS", "MSH", "RX J"]),
        "a": rng.randint(20000, 30000),
        "b": rng.randint(20000, 30000),
        "c": rng.randint(20000, 30000),
    }


def median_ms(function, queries) -> float:
    times = []
    for query in queries:
        start = time.perf_counter()
        function(query)
        times.append(1e3 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(1)
    pool = TranslatorPool()
    pool.warm_up()
    try:
        for shape in SHAPES:
            queries = [shape.format(**values(rng)) for _ in range(args.repeat)]
            adql.translate(queries[0])  # the shape, once, in this process
            pool.translate(queries[0])  # and in the pool's workers
            for _ in range(pool.workers):
                pool.translate(queries[0])
            alone = median_ms(lambda q: ADQLQueryTranslator(q).to_postgresql(), queries)
            cached = median_ms(adql.translate, queries)
            pooled = median_ms(pool.translate, queries)
            print(f"{shape[:60]}...")
            print(
                f"  queryparser alone {alone:8.1f} ms | cache {cached:6.3f} ms "
                f"({alone / cached:,.0f}x) | pool {pooled:6.2f} ms ({alone / pooled:,.0f}x)"
            )
        huge = "SELECT obs_id FROM ivoa.obscore WHERE " + " OR ".join(
            f"obs_id = '{i}'" for i in range(3000)
        )

        def refuse(query: str) -> None:
            try:
                pool.translate(query)
            except adql.ADQLError:
                return
            raise AssertionError("not refused")

        refused = median_ms(refuse, [huge] * 5)
        print(f"3,000 OR terms refused by the size bounds in {1e3 * refused:.0f} us")
    finally:
        pool.close()


if __name__ == "__main__":
    main()
