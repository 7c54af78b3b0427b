"""The UWS jobs of a service process: their life cycle and phase transitions.

Jobs live in ``uws.job`` (:mod:`ctanb.services.uws.jobs`), so a restart of the service
loses none: QUEUED jobs run again and jobs that were EXECUTING go to ERROR saying that the
service restarted (they are not re-run: an analysis may have side effects on its results
folder; submit again). Results live in ``<home>/jobs/<job_id>/`` and are deleted with
their job, at the latest at destruction. Jobs run as :mod:`ctanb.services.uws.execution`
says: TAP queries in service threads, analyses on dask.

Who may touch a job: an authenticated caller sees, reads, aborts and deletes only the jobs
it owns; each anonymous job has an owner of its own and its URL is its capability
(:func:`~ctanb.services.uws.jobs.may_access`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from datetime import UTC, datetime
from typing import Any

from dask.distributed import Client

from ctanb.config import Settings
from ctanb.services.auth import Identity
from ctanb.services.store import Store
from ctanb.services.uws.definitions import JOB_TYPES, ParameterError
from ctanb.services.uws.execution import JobExecutor
from ctanb.services.uws.jobs import (
    JOBS_SQL,
    JobNotFoundError,
    JobTable,
    job_owner,
    may_access,
    new_job_id,
)
from ctanb.uws import FINAL

# JOBS_SQL, job_owner and new_job_id live in ctanb.services.uws.jobs; kept here for callers
__all__ = ["JOBS_SQL", "JobNotFoundError", "JobService", "job_owner", "new_job_id"]

HOUSEKEEPING_S = 30


class JobService:
    """The UWS jobs of one service process.

    Parameters
    ----------
    store : Store
        Where jobs are kept.
    settings : Settings
        ``home`` holds the results; ``dask_scheduler`` names the dask cluster.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.table = JobTable(store)
        self.executor = JobExecutor(store, settings, self.table, self.notify)
        self.results_dir = self.executor.results_dir
        self.loop: asyncio.AbstractEventLoop | None = None
        self.changed = asyncio.Event()
        self._janitor: asyncio.Task[None] | None = None

    # -------------------------------------------------------------- life cycle
    async def start(self) -> None:
        """Create the table, settle jobs left by a previous run, start the janitor."""
        self.loop = asyncio.get_running_loop()
        # Several service processes (`ctanb serve --workers N`, or several hosts) share the
        # jobs: each holds an advisory lock per job it runs, and a job left EXECUTING without
        # its lock belonged to a process that died (settled here and by the janitor).
        self.executor.open()
        self.table.create()
        await self._settle_at_start()
        for job_id in self.table.queued():
            self.submit(job_id)
        self._janitor = asyncio.create_task(self._housekeeping())

    async def _settle_at_start(self, patience_s: float = 5.0) -> None:
        """Settle orphaned jobs, waiting a moment for the locks of a process just killed.

        PostgreSQL releases a killed process's locks when it notices that its client is
        gone, which takes a moment on a busy machine: while EXECUTING jobs remain, try again
        for ``patience_s`` (the janitor settles any left later, every 30 s).
        """
        deadline = asyncio.get_running_loop().time() + patience_s
        while True:
            self.table.settle_orphans()
            if not self.table.executing() or asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """Stop the janitor, the threads and the dask client."""
        if self._janitor:
            self._janitor.cancel()
        self.executor.close()

    def notify(self) -> None:
        """Wake every WAIT (thread-safe)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._pulse)

    def _pulse(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def dask(self) -> Client:
        """The dask client the analyses run on (see :meth:`JobExecutor.dask`)."""
        return self.executor.dask()

    async def _housekeeping(self) -> None:
        """Delete jobs past their destruction time; settle jobs of processes that died."""
        while True:
            with contextlib.suppress(Exception):
                if self.table.settle_orphans():
                    self.notify()
            with contextlib.suppress(Exception):
                for job_id in self.table.expire():
                    shutil.rmtree(self.results_dir / job_id, ignore_errors=True)
            await asyncio.sleep(HOUSEKEEPING_S)

    # -------------------------------------------------------------- reading
    def job(self, job_id: str, identity: Identity, job_type: str | None = None) -> dict[str, Any]:
        """Return a job ``identity`` may access (JobNotFoundError for others' jobs)."""
        job = self.table.get(job_id)
        if (
            job is None
            or not may_access(job["owner"], identity)
            or (job_type is not None and job["job_type"] != job_type)
        ):
            raise JobNotFoundError(f"no job {job_id}")
        return job

    def jobs(
        self,
        identity: Identity,
        job_type: str,
        phases: list[str],
        after: str | None,
        last: int | None,
    ) -> list[dict[str, Any]]:
        """The caller's jobs of one type, filtered as UWS 1.1 lists them.

        Anonymous callers own no list: each anonymous job is reached by its URL only.
        """
        if identity.anonymous:
            return []
        return self.table.select(identity.name, job_type, phases, after, last)

    # -------------------------------------------------------------- phase transitions
    def create(
        self, job_type: str, owner: str, groups: frozenset[str], params: dict[str, str]
    ) -> str:
        """Create a PENDING job (QUEUED with PHASE=RUN); raise ParameterError for bad ones."""
        definition = JOB_TYPES[job_type]
        run = params.pop("PHASE", "").upper() == "RUN"
        if job_type != "tap":  # a TAP job's parameters are checked when it runs, as TAP does
            definition.check(params)
        job_id = self.table.insert(job_type, owner, groups, params, "QUEUED" if run else "PENDING")
        if run:
            self.submit(job_id)
        return job_id

    def update(self, job_id: str, **values: Any) -> int:
        """Set columns of a job; return the number of rows changed."""
        return self.table.update(job_id, **values)

    def set_parameters(self, job: dict[str, Any], params: dict[str, str]) -> None:
        """Change a PENDING job's parameters (checked as at creation)."""
        if job["phase"] != "PENDING":
            raise ParameterError(f"job {job['job_id']} is {job['phase']}: only PENDING jobs change")
        given = {k: v for k, v in params.items() if not k.startswith("_")}  # service-set only
        merged = {**job["parameters"], **given}
        if job["job_type"] != "tap":
            JOB_TYPES[job["job_type"]].check(merged)
        self.update(job["job_id"], parameters=merged, run_id=merged.get("RUNID"))

    def run(self, job: dict[str, Any]) -> None:
        """PHASE=RUN: queue a PENDING job."""
        if job["phase"] in ("PENDING", "HELD"):
            self.update(job["job_id"], phase="QUEUED")
            self.submit(job["job_id"])
        self.notify()

    def abort(self, job: dict[str, Any]) -> None:
        """PHASE=ABORT: stop an unfinished job."""
        if job["phase"] not in FINAL:
            self.update(job["job_id"], phase="ABORTED", ended=datetime.now(UTC))
            self.executor.cancel(job["job_id"])
        self.notify()

    def delete(self, job: dict[str, Any]) -> None:
        """Delete a job and its results."""
        self.abort(job)
        self.table.delete(job["job_id"])
        shutil.rmtree(self.results_dir / job["job_id"], ignore_errors=True)
        self.notify()

    def submit(self, job_id: str) -> None:
        """Run a QUEUED job in a service thread (which hands analyses to dask)."""
        self.executor.submit(job_id)
