"""Analysis jobs on a dask scheduler and worker started with the dask CLI, sharing no folder.

The worker has its own CTANB_HOME and cache and no data folder: it fetches the runs of a job
through the archive's /data URLs with the job's short-lived token. A second service on the
session's store sends its jobs there; its products must equal the session service's (local
dask cluster reading the files by path), and a non-member's job must not get a proprietary run.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from astropy.table import Table

from ctanb.config import Settings, get_settings
from ctanb.jobs import JobClient, JobError
from ctanb.testing import ServiceProcess, free_port, private_home

pytestmark = pytest.mark.slow

CRAB = [23523, 23526]
CTA_RUN = 110380  # CTA-1DC: proprietary to cta-consortium (alice yes, bob no)
DASK = Path(sys.executable).parent / "dask"


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd="/",
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="module")
def worker_home() -> Iterator[Path]:
    home = private_home("ctanb-worker-")
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def scheduler(worker_home: Path) -> Iterator[str]:
    """``dask scheduler`` and one ``dask worker``: separate processes, their own folders."""
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTANB_")}
    env |= {
        "CTANB_HOME": str(worker_home),
        "CTANB_CACHE": str(worker_home / "cache"),
        "CTANB_DATA": str(worker_home / "no-data-here"),
        # reference catalogues (gamma-cat, HGPS) for default exclusion masks: a worker image
        # ships them, as it ships ctanb; no event file or folder of the service's is shared
        "CTANB_CATALOGS": str(get_settings().catalogs_dir),
    }
    log = worker_home / "dask.log"
    port = address.rsplit(":", 1)[1]
    scheduler = _start(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        env,
        log,
    )
    worker = _start(
        [
            *(str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1"),
            *("--no-dashboard", "--local-directory", str(worker_home / "dask")),
        ],
        env,
        log,
    )
    try:
        from dask.distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=90)
        yield address
    finally:
        _stop(worker)
        _stop(scheduler)


@pytest.fixture(scope="module")
def remote_service(store, ctanb_settings: Settings, scheduler: str) -> Iterator[ServiceProcess]:
    """A second ``ctanb serve`` on the session's store whose jobs go to the scheduler."""
    home = private_home("ctanb-remote-service-")
    settings = Settings(
        home=home,
        database_url=store.conninfo,
        data_dir=ctanb_settings.data_dir,
        service_url=f"http://127.0.0.1:{free_port()}",
        dask_scheduler=scheduler,
    )
    process = ServiceProcess(settings).start()
    yield process
    process.stop()
    shutil.rmtree(home, ignore_errors=True)


def _fits_hdu(content: bytes, hdu: str) -> Table:
    return Table.read(io.BytesIO(content), hdu=hdu)


def test_countmap_and_spectrum_equal_the_local_ones(
    remote_service, archive_url, tokens, worker_home
):
    local = JobClient(archive_url, token=tokens["alice"])
    remote = JobClient(remote_service.url, token=tokens["alice"])
    params = {"obs_ids": CRAB, "ra": 83.633, "dec": 22.014, "width": 2, "binsz": 0.05}
    jobs = [client.submit("countmap", **params) for client in (local, remote)]
    done = [c.wait(j, timeout=240) for c, j in zip((local, remote), jobs, strict=True)]
    assert [j.phase for j in done] == ["COMPLETED", "COMPLETED"], [j.error for j in done]
    maps = [c.product(j) for c, j in zip((local, remote), done, strict=True)]
    assert maps[0].map.data.sum() > 1000
    np.testing.assert_array_equal(maps[1].map.data, maps[0].map.data)
    assert maps[1].map.geom == maps[0].map.geom

    spectra = [
        c.wait(c.submit("spectrum", obs_ids=CRAB, energy_edges=[0.5, 5, 100]), timeout=240)
        for c in (local, remote)
    ]
    assert [j.phase for j in spectra] == ["COMPLETED", "COMPLETED"], [j.error for j in spectra]
    tables = [
        _fits_hdu(c.fetch(j, "spectrum"), "SPECTRUM")
        for c, j in zip((local, remote), spectra, strict=True)
    ]
    for column in ("n_on", "n_off"):
        np.testing.assert_array_equal(tables[1][column], tables[0][column])

    # the worker fetched the runs into its own cache, with their ETags; the remote service's
    # own folder holds no event cache: it never read an event file
    downloads = worker_home / "cache" / "downloads"
    assert {p.name for p in downloads.glob("*.fits")} == {f"HESS-DL3-DR1_{o}.fits" for o in CRAB}
    assert all((downloads / f"HESS-DL3-DR1_{o}.fits.etag").read_text() for o in CRAB)
    assert not (remote_service.settings.home / "cache" / "events").exists()


def test_a_proprietary_run_is_refused_to_a_non_members_job(remote_service, tokens, scheduler):
    bob = JobClient(remote_service.url, token=tokens["bob"])
    with pytest.raises(JobError, match="not yours to read"):
        bob.wait(bob.submit("countmap", obs_ids=[CTA_RUN], width=1), timeout=120)
    alice = JobClient(remote_service.url, token=tokens["alice"])
    job = alice.wait(alice.submit("countmap", obs_ids=[CTA_RUN], width=1), timeout=240)
    assert job.phase == "COMPLETED", job.error


def test_the_worker_itself_is_refused_a_run_its_token_may_not_read(remote_service, scheduler):
    """Past the service's own check: the worker's download carries only the job's rights."""
    from dask.distributed import Client

    from ctanb.errors import DataError
    from ctanb.services.jobtoken import mint_job_token
    from ctanb.services.uws.definitions import JOB_TYPES
    from ctanb.services.workers import run_elsewhere

    url = f"{remote_service.url}/data/CTA-1DC/{CTA_RUN}"
    runs = [{"obs_id": CTA_RUN, "collection": "CTA-1DC", "url": url}]
    job_type = JOB_TYPES["countmap"]
    params = job_type.check({"OBS_IDS": CTA_RUN, "WIDTH": "1"})  # as the service parses it
    runner = job_type.runner
    settings = remote_service.settings
    with Client(scheduler, timeout=30) as client:
        outsider = mint_job_token(settings, "forged", [], lifetime_s=60)
        future = client.submit(run_elsewhere, runner, runs, params, outsider, pure=False)
        with pytest.raises(DataError, match="404"):
            future.result(timeout=120)
        expired = mint_job_token(settings, "late", ["cta-consortium"], lifetime_s=-1)
        future = client.submit(run_elsewhere, runner, runs, params, expired, pure=False)
        with pytest.raises(DataError, match="401"):
            future.result(timeout=120)
        member = mint_job_token(settings, "ok", ["cta-consortium"], lifetime_s=60)
        future = client.submit(run_elsewhere, runner, runs, params, member, pure=False)
        produced = future.result(timeout=240)
    assert {p[0] for p in produced} >= {"countmap", "provjson"}
    # a second fetch of a cached run is a 304 after the rights check, not a new download
    response = httpx.get(
        url,
        headers={
            "Authorization": f"Bearer {mint_job_token(settings, 'x', ['cta-consortium'], 60)}",
            "If-None-Match": httpx.get(url, headers={"Authorization": f"Bearer {member}"}).headers[
                "etag"
            ],
        },
    )
    assert response.status_code == 304 and response.content == b""
