"""Load: N simulated users doing the seed's workflow against one ``ctanb serve``.

Each user logs in with a token of its own and loops over the workflow of the seed: a 1-degree
cone search (TAP sync, all ObsCore columns, as ``ctanb.search.cone_search`` sends it), an
ObsCore search (collection, time and energy constraints), one download of an event list, and
one small job (a count map of one run, submitted with PHASE=RUN and followed with WAIT until
it ends). Loopback only; every level is bounded in time (``--seconds``) and users
(``--users``). Reported per level: p50/p95 per endpoint, throughput (requests and workflows
per second) and errors, for one service process and for ``--workers`` processes.

Closed-loop users without think time (``--think 0``, the default) measure capacity; users
with think time measure latency at a given offered load.

    python benchmarks/bench_load.py [--users 10 50 100] [--seconds 10] [--workers 1 2]
                                    [--think 0] [--steps cone obscore download job]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ENDPOINTS = ("cone", "obscore", "download", "job")
# Numbers are written as ctanb.search writes them (Python's repr of a float): the service caches
# translations by query shape only for numbers in that form (others go through queryparser,
# ~0.2 s each, seconds under load).
# Pointings of H.E.S.S. DL3 DR1 (Crab, PKS 2155-304, MSH 15-52, RX J1713.7-3946) and empty sky.
CENTRES = ((83.633, 22.0145), (329.717, -30.226), (228.53, -59.16), (258.39, -39.76), (10.0, 10.0))
OBSCORE = (
    "SELECT TOP 200 obs_id, obs_collection, target_name, t_min, t_max, t_exptime, em_min, "
    "em_max, access_url FROM ivoa.obscore WHERE obs_collection = 'HESS-DL3-DR1' "
    "AND t_min > {t_min!r} AND t_exptime > 600.0 ORDER BY t_min"
)


@dataclass
class Level:
    """What one load level measured."""

    users: int
    workers: int
    seconds: float
    think: float
    samples: dict[str, list[float]] = field(default_factory=lambda: {e: [] for e in ENDPOINTS})
    errors: dict[str, list[str]] = field(default_factory=lambda: {e: [] for e in ENDPOINTS})
    workflows: int = 0
    elapsed: float = 0.0
    version: str = "this"

    @property
    def requests(self) -> int:
        """Requests answered (successes and errors)."""
        return sum(len(v) for v in self.samples.values()) + self.error_count

    @property
    def error_count(self) -> int:
        """Requests that failed (HTTP status, timeout, wrong content)."""
        return sum(len(v) for v in self.errors.values())

    def percentile(self, endpoint: str, q: float) -> float:
        """Latency percentile ``q`` (0-100) of an endpoint, in ms (nan when unmeasured)."""
        values = sorted(self.samples[endpoint])
        if not values:
            return float("nan")
        if q == 50:
            return statistics.median(values) * 1e3
        return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))] * 1e3

    def rows(self) -> list[str]:
        """Markdown table rows, one per endpoint."""
        out = []
        for endpoint in ENDPOINTS:
            n = len(self.samples[endpoint])
            if n == 0 and not self.errors[endpoint]:
                continue
            out.append(
                f"| {self.version} | {self.workers} | {self.users} | {endpoint} | {n} | "
                f"{self.percentile(endpoint, 50):.0f} | {self.percentile(endpoint, 95):.0f} | "
                f"{len(self.errors[endpoint])} |"
            )
        return out

    def summary(self) -> str:
        """One line: throughput and errors."""
        return (
            f"{self.version}: workers={self.workers} users={self.users} think={self.think:g}s: "
            f"{self.requests / self.elapsed:.0f} req/s, {self.workflows / self.elapsed:.1f} "
            f"workflows/s, {self.error_count} errors in {self.elapsed:.1f} s"
        )


async def _timed(
    level: Level, endpoint: str, call: asyncio.Future | object, check: object = None
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await call  # type: ignore[misc]
    except httpx.HTTPError as exc:
        level.errors[endpoint].append(f"{type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - started
    problem = None
    if response.status_code != 200:
        problem = f"HTTP {response.status_code}: {_message(response)}"
    elif callable(check):
        problem = check(response)
    if problem:
        level.errors[endpoint].append(str(problem))
        return None
    level.samples[endpoint].append(elapsed)
    return response


def _message(response: httpx.Response) -> str:
    """The reason an error answer gives: a TAP error document's INFO, else its text."""
    found = re.search(r'<INFO name="QUERY_STATUS" value="ERROR">(.*?)</INFO>', response.text, re.S)
    return (found.group(1) if found else response.text)[:300]


def _votable(response: httpx.Response) -> str | None:
    if b"<TABLEDATA>" not in response.content and b"<BINARY" not in response.content:
        return "not a VOTable with data"
    if b'name="QUERY_STATUS" value="ERROR"' in response.content:
        return "TAP error document"
    return None


def _fits(response: httpx.Response) -> str | None:
    if response.content.startswith((b"SIMPLE", b"\x1f\x8b")):  # FITS, or gzipped FITS
        return None
    return "not a FITS file"


async def _job(
    level: Level, client: httpx.AsyncClient, base: str, headers: dict[str, str], obs_id: str
) -> None:
    """Submit a small count map, follow it with WAIT until it ends: its turnaround is timed."""
    started = time.perf_counter()
    try:
        created = await client.post(
            f"{base}/uws/countmap",
            data={"obs_ids": obs_id, "width": "1", "binsz": "0.05", "PHASE": "RUN"},
            headers=headers,
            follow_redirects=False,
        )
        if created.status_code != 303:
            level.errors["job"].append(f"create: HTTP {created.status_code} {created.text[:200]}")
            return
        url = created.headers["location"]
        phase = "QUEUED"
        for _ in range(4):  # at most 2 minutes of WAIT: a level stays bounded
            document = await client.get(
                url, params={"WAIT": "30"}, headers={**headers, "accept": "application/json"}
            )
            phase = document.json()["phase"]
            if phase in ("COMPLETED", "ERROR", "ABORTED"):
                break
        if phase != "COMPLETED":
            level.errors["job"].append(f"job ended {phase}: {document.text[:300]}")
            return
        level.samples["job"].append(time.perf_counter() - started)
        await client.delete(url, headers=headers)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        level.errors["job"].append(f"{type(exc).__name__}: {exc}")


async def _user(
    level: Level,
    client: httpx.AsyncClient,
    base: str,
    token: str,
    obs_ids: Sequence[tuple[str, str]],
    deadline: float,
    steps: frozenset[str],
    seed: int,
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(rng.random() * min(1.0, level.think or 0.2))  # users do not start in step
    submitted = False
    while time.perf_counter() < deadline:
        ra, dec = rng.choice(CENTRES)
        cone = (
            "SELECT * FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, "
            f"CIRCLE('ICRS', {round(ra + rng.uniform(-0.5, 0.5), 4)!r}, "
            f"{round(dec + rng.uniform(-0.5, 0.5), 4)!r}, 1.0))"
        )
        obscore = OBSCORE.format(t_min=round(53000 + rng.random() * 500, 3))
        queries = [
            ("cone", {"LANG": "ADQL", "QUERY": cone}),
            ("obscore", {"LANG": "ADQL", "QUERY": obscore}),
        ]
        for endpoint, params in queries:
            if endpoint in steps:
                call = client.get(f"{base}/tap/sync", params=params, headers=headers)
                await _timed(level, endpoint, call, _votable)
                await asyncio.sleep(level.think)
        collection, obs_id = rng.choice(obs_ids)
        if "download" in steps:
            call = client.get(f"{base}/data/{collection}/{obs_id}", headers=headers)
            await _timed(level, "download", call, _fits)
            await asyncio.sleep(level.think)
        # no new job once the level is over, but every user submits one
        if "job" in steps and (time.perf_counter() < deadline or not submitted):
            submitted = True
            await _job(level, client, base, headers, obs_id)
            await asyncio.sleep(level.think)
        level.workflows += 1


async def run_level(
    base: str,
    tokens: Sequence[str],
    obs_ids: Sequence[tuple[str, str]],
    *,
    users: int,
    seconds: float,
    think: float = 0.0,
    workers: int = 1,
    steps: Sequence[str] = ENDPOINTS,
) -> Level:
    """Run ``users`` simulated users for ``seconds`` against the service at ``base``.

    Parameters
    ----------
    base : str
        Base URL of the service (loopback).
    tokens : sequence of str
        API tokens, used in turn by the users.
    obs_ids : sequence of (collection, obs_id)
        Runs the users download and analyse.
    users, seconds, think : int, float, float
        Concurrent users, duration of the level, pause between steps (s).
    workers : int
        Service processes (only recorded).
    steps : sequence of str
        The workflow's steps to run (default all: cone, obscore, download, job).
    """
    level = Level(users, workers, seconds, think)
    chosen = frozenset(steps)
    unknown = chosen - set(ENDPOINTS)
    if unknown:
        raise ValueError(f"unknown steps {sorted(unknown)}: choose among {', '.join(ENDPOINTS)}")
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                _user(level, client, base, tokens[i % len(tokens)], obs_ids, deadline, chosen, i)
                for i in range(users)
            )
        )
        level.elapsed = time.perf_counter() - started
    return level


def print_levels(levels: Sequence[Level]) -> None:
    """Print the levels as one Markdown table and a throughput line each."""
    print("| version | processes | users | endpoint | requests | p50 ms | p95 ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for level in levels:
        for row in level.rows():
            print(row)
    for level in levels:
        print(level.summary())
        for endpoint, errors in level.errors.items():
            for message in errors[:3]:
                print(f"  {endpoint} error: {message}")


def main() -> None:
    from ctanb.services.auth import create_token
    from ctanb.services.ingest import ingest
    from ctanb.testing import ServiceProcess, private_store

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each level")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--think", type=float, nargs="+", default=[0.0])
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a source tree of another ctanb version (e.g. `git archive 661d142 | tar -x -C DIR`): "
        "each level also runs against a service of that version, in the same run",
    )
    parser.add_argument(
        "--steps", nargs="+", default=list(ENDPOINTS), choices=ENDPOINTS, help="workflow steps"
    )
    args = parser.parse_args()

    with private_store("ctanb-bench-load-") as (settings, store):
        ingest([settings.data_dir / "hess-dl3-dr1"], store, catalogs_dir=settings.catalogs_dir)
        tokens = [create_token(store, f"user{i:03d}", ["hess"]) for i in range(100)]
        with store.connect() as conn:
            obs_ids = [
                (str(c), str(o))
                for c, o in conn.execute(
                    "SELECT obs_collection, obs_id FROM archive.observation "
                    "WHERE target_name ILIKE '%crab%' ORDER BY obs_id LIMIT 4"
                )
            ]
        levels = []
        versions = [("this", {})]
        if args.baseline:
            versions.append(
                ("baseline", {"PYTHONPATH": str(args.baseline.resolve()), "PYTHONSAFEPATH": "1"})
            )
        for workers in args.workers:
            for version, env in versions:
                service = ServiceProcess(settings, extra_env=env, workers=workers).start()
                try:
                    # warm-up: caches, the dask cluster of each process, the connection pools
                    asyncio.run(
                        run_level(service.url, tokens, obs_ids, users=4 * workers, seconds=3)
                    )
                    for think in args.think:
                        for users in args.users:
                            level = asyncio.run(
                                run_level(
                                    service.url,
                                    tokens,
                                    obs_ids,
                                    users=users,
                                    seconds=args.seconds,
                                    think=think,
                                    workers=workers,
                                    steps=args.steps,
                                )
                            )
                            level.version = version
                            print(level.summary(), flush=True)
                            levels.append(level)
                finally:
                    service.stop()
        print()
        print_levels(levels)


if __name__ == "__main__":
    main()
