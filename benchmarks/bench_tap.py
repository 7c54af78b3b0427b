"""Cone-search latency through TAP against the same SQL sent straight to PostgreSQL.

Fills a private store with N synthetic ObsCore rows spread uniformly over the sky (2.5 deg
field-of-view circles), then times a 1-degree cone search (random centres) through the TAP
sync endpoint (HTTP, ADQL translation, row-level security, VOTable) and the translated SQL
through psycopg, in the same run. Also times the ingestion of H.E.S.S. DL3 DR1.

    python benchmarks/bench_tap.py [--rows 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
import numpy as np

from ctanb.services.adql import translate
from ctanb.services.ingest import ingest
from ctanb.testing import ServiceProcess, private_store

FILL = """
INSERT INTO archive.observation (dataproduct_type, calib_level, obs_collection, obs_id,
    obs_publisher_did, access_url, target_name, s_ra, s_dec, s_fov, s_region, t_min, t_max,
    data_rights, file_path)
SELECT 'event', 2, 'SYNTH', g::text, 'ivo://ctanb/synth?' || g, '/data/SYNTH/' || g, 'synthetic',
    ra, dec, 5.0, scircle(spoint(radians(ra), radians(dec)), radians(2.5)), 60000 + g * 1e-3,
    60000 + g * 1e-3 + 0.02, 'public', '/dev/null'
FROM (SELECT g, 360 * random() AS ra, degrees(asin(2 * random() - 1)) AS dec
      FROM generate_series(%s::int, %s::int) AS g) AS s
"""


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    with private_store("ctanb-bench-") as (settings, store):
        data_dir = settings.data_dir
        start = time.perf_counter()
        report = ingest([data_dir / "hess-dl3-dr1"], store, catalogs_dir=settings.catalogs_dir)
        seconds = time.perf_counter() - start
        print(
            f"ingestion of H.E.S.S. DL3 DR1: {len(report.ingested)} observations in "
            f"{seconds:.2f} s = {len(report.ingested) / seconds:.1f} observations/s"
        )

        start = time.perf_counter()
        with store.connect() as conn:
            step = 200_000
            for first in range(1, args.rows + 1, step):
                conn.execute(FILL, (first, min(first + step - 1, args.rows)))
                conn.commit()
            conn.execute("ANALYZE archive.observation")
            conn.commit()
        print(f"filled {args.rows} synthetic rows in {time.perf_counter() - start:.1f} s")

        service = ServiceProcess(settings).start()
        rng = np.random.default_rng(1)
        centres = [
            (360 * rng.random(), float(np.degrees(np.arcsin(2 * rng.random() - 1))))
            for _ in range(args.queries)
        ]
        tap_ms, sql_ms, counts = [], [], []
        with httpx.Client(timeout=30) as client, store.connect() as conn:
            for i, (ra, dec) in enumerate(centres):
                adql = (
                    f"SELECT obs_id, s_ra, s_dec FROM ivoa.obscore WHERE 1 = INTERSECTS("
                    f"s_region, CIRCLE('ICRS', {ra:.5f}, {dec:.5f}, 1))"
                )
                sql = translate(adql).sql.encode()
                t0 = time.perf_counter()
                response = client.post(
                    service.url + "/tap/sync", data={"LANG": "ADQL", "QUERY": adql}
                )
                t1 = time.perf_counter()
                rows = conn.execute(sql).fetchall()
                t2 = time.perf_counter()
                assert response.status_code == 200
                if i >= 5:  # warm-up
                    tap_ms.append(1e3 * (t1 - t0))
                    sql_ms.append(1e3 * (t2 - t1))
                    counts.append(len(rows))
        service.stop()
        tap50, tap95 = percentiles(tap_ms)
        sql50, sql95 = percentiles(sql_ms)
        print(
            f"1-degree cone over {args.rows} rows, {len(tap_ms)} queries, "
            f"median {statistics.median(counts):.0f} rows returned"
        )
        print(f"  TAP sync (HTTP+ADQL+RLS+VOTable): p50 {tap50:.1f} ms  p95 {tap95:.1f} ms")
        print(f"  raw PostgreSQL (psycopg):         p50 {sql50:.1f} ms  p95 {sql95:.1f} ms")
        print(
            f"  ratio TAP/raw: p50 {tap50 / sql50:.2f}  p95 {tap95 / sql95:.2f}"
            f"   (goals: TAP p50 <= 30 ms, ratio <= 3)"
        )


if __name__ == "__main__":
    main()
