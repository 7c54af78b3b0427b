"""Token checks: what a local API token costs a request, and the lookup itself.

Starts its own empty store and service, then prints in one run
- the lookup: ``find_token`` (pooled connection, select + last-use update in one round trip)
  against the former lookup (a new connection per request, a select), both warm;
- a tiny ``/tap/sync`` query anonymous and with a local token, alternated, medians.

    python benchmarks/bench_tokens.py [--repeat 300]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx

from ctanb.services.tokens import create_token, find_token, token_hash
from ctanb.testing import ServiceProcess, private_store


def median_ms(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(1e3 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with private_store("ctanb-bench-tokens-") as (settings, store):
        token = create_token(store, "bench", ["cta-consortium"])

        def former() -> object:  # the lookup before the token life cycle
            with store.connect() as conn:
                return conn.execute(
                    "SELECT name, groups FROM archive.api_token WHERE token_sha256 = %s",
                    (token_hash(token),),
                ).fetchone()

        find_token(store, token), former()  # warm
        new, old = (
            median_ms(lambda: find_token(store, token), args.repeat),
            median_ms(former, args.repeat),
        )
        print(
            f"lookup: find_token p50 {new:.2f} ms, former lookup p50 {old:.2f} ms "
            f"(ratio {old / new:.1f}x)"
        )

        service = ServiceProcess(settings).start()
        try:
            query = {"LANG": "ADQL", "QUERY": "SELECT TOP 1 obs_id FROM ivoa.obscore"}
            anonymous = httpx.Client(base_url=service.url)
            member = httpx.Client(
                base_url=service.url, headers={"Authorization": f"Bearer {token}"}
            )
            for client in (anonymous, member):  # warm
                assert client.get("/tap/sync", params=query).status_code == 200
            a_times, m_times = [], []
            for _ in range(args.repeat):  # alternated: same load on both
                for client, times in ((anonymous, a_times), (member, m_times)):
                    start = time.perf_counter()
                    client.get("/tap/sync", params=query)
                    times.append(1e3 * (time.perf_counter() - start))
            a, m = statistics.median(a_times), statistics.median(m_times)
            print(f"/tap/sync p50: anonymous {a:.2f} ms, local token {m:.2f} ms (+{m - a:.2f} ms)")
        finally:
            service.stop()


if __name__ == "__main__":
    main()
