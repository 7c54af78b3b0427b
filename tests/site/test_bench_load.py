"""Smoke version of benchmarks/bench_load.py: a few users, a few seconds, no error.

The benchmark itself (``make bench``) runs 10, 50 and 100 users against one and several
service processes; here five users run the whole workflow (cone search, ObsCore search,
download, count-map job) against the session's service, and a second service with two
processes (``ctanb serve --workers 2``) answers the same requests and shares the jobs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import sys
from pathlib import Path

import pytest

from ctanb.config import Settings
from ctanb.testing import ServiceProcess, free_port

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_load.py"
RUNS = [("HESS-DL3-DR1", "23523"), ("HESS-DL3-DR1", "23526")]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _spawned_children(pid: int) -> list[int]:
    """Processes uvicorn started for its workers (multiprocessing's spawn), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            children.append(int(entry.name))
    return children


def _check(level, endpoints) -> None:
    errors = {k: v[:3] for k, v in level.errors.items() if v}
    assert not errors, errors
    for endpoint in endpoints:
        assert level.samples[endpoint], f"no {endpoint} request answered"
        assert level.percentile(endpoint, 95) >= level.percentile(endpoint, 50) > 0
    assert level.workflows >= level.users  # every user went through the workflow at least once
    assert level.requests >= level.users * len(endpoints)  # a whole workflow each, at least


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: the session's playwright (browser and hub
    tests, run earlier) keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_five_users_run_the_workflow_without_error(bench, archive_url, tokens):
    level = _run(
        bench.run_level(archive_url, [tokens["alice"], tokens["bob"]], RUNS, users=5, seconds=4)
    )
    _check(level, bench.ENDPOINTS)
    assert "| cone |" in "\n".join(level.rows())


def test_several_service_processes_share_the_jobs(bench, store, ctanb_settings, tokens):
    from ctanb.jobs import JobClient

    settings = Settings(
        home=ctanb_settings.home,
        data_dir=ctanb_settings.data_dir,
        service_url=f"http://127.0.0.1:{free_port()}",
    )
    service = ServiceProcess(settings, workers=2).start(timeout=120)
    try:
        steps = ("cone", "obscore", "download")  # jobs below: each process has its own dask
        level = _run(
            bench.run_level(
                service.url, [tokens["alice"]], RUNS, users=4, seconds=3, workers=2, steps=steps
            )
        )
        _check(level, steps)
        # a job created through one process is seen, waited for and deleted through any
        client = JobClient(service.url, token=tokens["alice"])
        jobs = [client.submit("copy", obs_ids=[23523]) for _ in range(4)]
        for job in jobs:
            assert client.wait(job, timeout=120).phase == "COMPLETED"
            client.delete(job)
        assert service.process is not None
        assert len(_spawned_children(service.process.pid)) == 2
    finally:
        service.stop()
