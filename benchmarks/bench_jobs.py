"""UWS jobs: submit-to-COMPLETED latency of a trivial job, and count-map throughput on dask.

Starts its own store and service (LocalCluster of 2 workers), then prints the median
latency of trivial ``copy`` jobs and the throughput of small ``countmap`` jobs, with the
dask scheduler's count of finished tasks as a check that the work ran on dask.

    python benchmarks/bench_jobs.py [--trivial 30] [--countmaps 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

from ctanb.jobs import JobClient
from ctanb.services.auth import create_token
from ctanb.services.ingest import ingest
from ctanb.testing import ServiceProcess, private_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trivial", type=int, default=30)
    parser.add_argument("--countmaps", type=int, default=200)
    args = parser.parse_args()
    with private_store("ctanb-bench-jobs-") as (settings, store):
        ingest([settings.data_dir / "hess-dl3-dr1"], store)
        token = create_token(store, "bench", [])
        service = ServiceProcess(settings).start()
        client = JobClient(service.url, token=token)
        client.wait(client.submit("copy", obs_ids=[23523]), timeout=120)  # start dask
        latencies = []
        for _ in range(args.trivial):
            start = time.perf_counter()
            client.wait(client.submit("copy", obs_ids=[23523]))
            latencies.append(1e3 * (time.perf_counter() - start))
        print(
            f"trivial job, submit to COMPLETED: p50 {statistics.median(latencies):.0f} ms "
            f"(goal <= 150 ms), over {args.trivial} jobs"
        )
        runs = [23523, 23526, 23559, 23592]
        start = time.perf_counter()
        jobs = [
            client.submit("countmap", obs_ids=[runs[i % 4]], width=2, binsz=0.05)
            for i in range(args.countmaps)
        ]
        done = [client.wait(job, timeout=1200) for job in jobs]
        seconds = time.perf_counter() - start
        assert all(job.phase == "COMPLETED" for job in done)
        print(
            f"{args.countmaps} count-map jobs in {seconds:.1f} s = "
            f"{args.countmaps / seconds:.1f} jobs/s on a LocalCluster of 2 workers"
        )
        print(
            "dask check: each job ran as a task 'uws-<job_id>' on the service's cluster "
            "(see the service log for the scheduler)"
        )
        service.stop()


if __name__ == "__main__":
    main()
