"""Jobs in the store and their execution: TAP queries in service threads, analyses on dask.

Jobs live in ``uws.job`` (with their owner, the owner's groups, phase, parameters, times
and results), so a restart of the service loses none: QUEUED jobs run again and jobs that
were EXECUTING go to ERROR saying that the service restarted (they are not re-run: an
analysis may have side effects on its results folder; submit again). Results live in
``<home>/jobs/<job_id>/`` and are deleted with their job, at the latest at destruction.

Who may touch a job: an authenticated caller sees, reads, aborts and deletes only the jobs
it owns. Callers without a token share no owner: each anonymous job gets an owner of its
own (``anonymous:<random>``), the anonymous job list is empty, and the job's URL, whose id
holds 144 random bits, is the capability to read, abort or delete it (as a signed link is).
A TAP job's query runs with the job's execution duration as its statement timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import secrets
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

from ctanb.config import Settings
from ctanb.services import provtap
from ctanb.services.auth import Identity
from ctanb.services.results import render
from ctanb.services.store import Store
from ctanb.services.tap import QueryError, check_query_params, run_query
from ctanb.services.uws.definitions import JOB_TYPES, ParameterError
from ctanb.uws import FINAL

__all__ = ["JOBS_SQL", "JobNotFoundError", "JobService", "job_owner", "new_job_id"]

log = logging.getLogger(__name__)

JOBS_SQL = """
CREATE SCHEMA IF NOT EXISTS uws;
CREATE TABLE IF NOT EXISTS uws.job (
    job_id text PRIMARY KEY,
    job_type text NOT NULL,
    owner text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    phase text NOT NULL,
    parameters jsonb NOT NULL,
    run_id text,
    created timestamptz NOT NULL DEFAULT now(),
    started timestamptz,
    ended timestamptz,
    destruction timestamptz NOT NULL,
    execution_duration integer NOT NULL,
    error text,
    results jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS job_owner_idx ON uws.job (owner, job_type, created);
REVOKE ALL ON SCHEMA uws FROM PUBLIC;
"""

DEFAULT_DURATION_S = 600
MAX_DURATION_S = 3600
RETENTION = timedelta(days=7)
# A process running a job holds this advisory lock (with the job id's hash) on a connection
# of its own: a job left EXECUTING whose lock nobody holds was running in a process that died.
JOB_LOCK = 724003
MAX_QUERY_S = MAX_DURATION_S  # a TAP job's statement timeout: its duration, at most this
ANONYMOUS_PREFIX = "anonymous:"


def new_job_id() -> str:
    """An unguessable job id (144 random bits, URL-safe): the capability of anonymous jobs."""
    return secrets.token_urlsafe(18)


def job_owner(identity: Identity) -> str:
    """The owner recorded for a new job: the user's name, or a fresh ``anonymous:<random>``."""
    if identity.anonymous:
        return ANONYMOUS_PREFIX + secrets.token_urlsafe(18)
    return identity.name


def may_access(job_owner_name: str, identity: Identity) -> bool:
    """Whether ``identity`` may read or change a job of ``job_owner_name``.

    Its owner may; an anonymous job (``anonymous:...``) is open to whoever holds its URL.
    """
    return job_owner_name == identity.name or job_owner_name.startswith(ANONYMOUS_PREFIX)


class JobNotFoundError(LookupError):
    """No such job for this owner."""


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
        self.results_dir = Path(settings.home) / "jobs"
        self.threads = ThreadPoolExecutor(8, thread_name_prefix="uws")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.changed = asyncio.Event()
        self._dask: Any = None
        self._dask_lock = threading.Lock()
        self._futures: dict[str, Any] = {}
        self._janitor: asyncio.Task[None] | None = None
        self._locks: Any = None  # connection holding the locks of the jobs running here
        self._lock_lock = threading.Lock()

    # -------------------------------------------------------------- life cycle
    async def start(self) -> None:
        """Create the table, settle jobs left by a previous run, start the janitor."""
        self.loop = asyncio.get_running_loop()
        self.results_dir.mkdir(parents=True, exist_ok=True)
        # Several service processes (`ctanb serve --workers N`, or several hosts) share the
        # jobs: each holds an advisory lock per job it runs, and a job left EXECUTING without
        # its lock belonged to a process that died (settled here and by the janitor).
        self._locks = self.store.connect(autocommit=True)
        with self.store.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(724001)")  # one DDL writer at a time
            conn.execute(JOBS_SQL)
            # jobs of the shared owner of earlier versions become capability-URL jobs
            conn.execute(
                "UPDATE uws.job SET owner = 'anonymous:' || job_id WHERE owner = 'anonymous'"
            )
        await self._settle_at_start()
        with self.store.connection() as conn:
            queued = conn.execute(
                "SELECT job_id FROM uws.job WHERE phase = 'QUEUED' ORDER BY created"
            ).fetchall()
        for (job_id,) in queued:
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
            self._settle_orphans()
            with self.store.connection() as conn:
                left = conn.execute(
                    "SELECT count(*) FROM uws.job WHERE phase = 'EXECUTING'"
                ).fetchone()
            if not (left and left[0]) or asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """Stop the janitor, the threads and the dask client."""
        if self._janitor:
            self._janitor.cancel()
        self.threads.shutdown(wait=False, cancel_futures=True)
        if self._dask is not None:
            with contextlib.suppress(Exception):
                self._dask.close()
        if self._locks is not None:
            with contextlib.suppress(Exception):
                self._locks.close()

    def notify(self) -> None:
        """Wake every WAIT (thread-safe)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._pulse)

    def _pulse(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def dask(self) -> Any:
        """The dask client: ``CTANB_DASK_SCHEDULER``, else a LocalCluster started on demand."""
        with self._dask_lock:
            if self._dask is None:
                from dask.distributed import Client, LocalCluster

                if self.settings.dask_scheduler:
                    self._dask = Client(self.settings.dask_scheduler)
                else:
                    cluster = LocalCluster(
                        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                    )
                    self._dask = Client(cluster)
            return self._dask

    # -------------------------------------------------------------- storage
    def job(self, job_id: str, identity: Identity, job_type: str | None = None) -> dict[str, Any]:
        """Return a job ``identity`` may access (JobNotFoundError for others' jobs)."""
        with self.store.connection() as conn:
            cur = conn.execute("SELECT * FROM uws.job WHERE job_id = %s", (job_id,))
            row = cur.fetchone()
            names = [d.name for d in cur.description or []]
        if row is None:
            raise JobNotFoundError(f"no job {job_id}")
        job = dict(zip(names, row, strict=True))
        if not may_access(job["owner"], identity) or (
            job_type is not None and job["job_type"] != job_type
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
        conditions, values = ["owner = %s", "job_type = %s"], [identity.name, job_type]
        if phases:
            conditions.append("phase = ANY(%s)")
            values.append(phases)  # type: ignore[arg-type]
        else:
            conditions.append("phase <> 'ARCHIVED'")
        if after:
            conditions.append("created > %s::timestamptz")
            values.append(after)
        order = "created DESC" if last else "created"
        limit = f" LIMIT {int(last)}" if last else ""
        with self.store.connection() as conn:
            cur = conn.execute(
                f"SELECT job_id, phase, run_id, owner, created FROM uws.job "
                f"WHERE {' AND '.join(conditions)} ORDER BY {order}{limit}",
                values,
            )
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def create(
        self, job_type: str, owner: str, groups: frozenset[str], params: dict[str, str]
    ) -> str:
        """Create a PENDING job (QUEUED with PHASE=RUN); raise ParameterError for bad ones."""
        definition = JOB_TYPES[job_type]
        run = params.pop("PHASE", "").upper() == "RUN"
        if job_type != "tap":  # a TAP job's parameters are checked when it runs, as TAP does
            definition.check(params)
        job_id = new_job_id()
        with self.store.connection() as conn:
            conn.execute(
                "INSERT INTO uws.job (job_id, job_type, owner, groups, phase, parameters, run_id,"
                " destruction, execution_duration) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    job_id,
                    job_type,
                    owner,
                    sorted(groups),
                    "QUEUED" if run else "PENDING",
                    Jsonb(params),
                    params.get("RUNID"),
                    datetime.now(UTC) + RETENTION,
                    DEFAULT_DURATION_S,
                ),
            )
        if run:
            self.submit(job_id)
        return job_id

    def update(self, job_id: str, **values: Any) -> int:
        """Set columns of a job; return the number of rows changed."""
        assignments = ", ".join(f"{name} = %({name})s" for name in values)
        values = {k: Jsonb(v) if isinstance(v, dict | list) else v for k, v in values.items()}
        with self.store.connection() as conn:
            return conn.execute(
                f"UPDATE uws.job SET {assignments} WHERE job_id = %(job_id)s",
                {**values, "job_id": job_id},
            ).rowcount

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
            future = self._futures.pop(job["job_id"], None)
            if future is not None:
                with contextlib.suppress(Exception):
                    future.cancel()
        self.notify()

    def delete(self, job: dict[str, Any]) -> None:
        """Delete a job and its results."""
        self.abort(job)
        with self.store.connection() as conn:
            conn.execute("DELETE FROM uws.job WHERE job_id = %s", (job["job_id"],))
        shutil.rmtree(self.results_dir / job["job_id"], ignore_errors=True)
        self.notify()

    # -------------------------------------------------------------- execution
    def submit(self, job_id: str) -> None:
        """Run a QUEUED job in a service thread (which hands analyses to dask)."""
        self.threads.submit(self._execute, job_id)

    def _settle_orphans(self) -> int:
        """Set to ERROR the EXECUTING jobs that no running process holds; return how many."""
        settled = 0
        with self.store.connection() as conn:
            running = conn.execute("SELECT job_id FROM uws.job WHERE phase = 'EXECUTING'")
            for (job_id,) in running.fetchall():
                with conn.transaction():
                    free = conn.execute(
                        "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", (JOB_LOCK, job_id)
                    ).fetchone()
                    if free and free[0]:
                        settled += conn.execute(
                            "UPDATE uws.job SET phase = 'ERROR', ended = now(), error = 'the "
                            "service restarted while this job ran: submit it again' WHERE "
                            "job_id = %s AND phase = 'EXECUTING'",
                            (job_id,),
                        ).rowcount
        return settled

    def _execute(self, job_id: str) -> None:
        with self._lock_lock:
            held = self._locks.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (JOB_LOCK, job_id)
            ).fetchone()
        if not (held and held[0]):  # another process is starting or running this job
            return
        try:
            self._execute_locked(job_id)
        finally:
            with self._lock_lock, contextlib.suppress(Exception):
                self._locks.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", (JOB_LOCK, job_id)
                )

    def _execute_locked(self, job_id: str) -> None:
        with self.store.connection() as conn:
            row = conn.execute(
                "UPDATE uws.job SET phase = 'EXECUTING', started = now() WHERE job_id = %s "
                "AND phase = 'QUEUED' RETURNING job_type, parameters, groups, execution_duration",
                (job_id,),
            ).fetchone()
        if row is None:  # aborted or deleted meanwhile
            return
        self.notify()
        job_type, params, groups, duration = row
        workdir = self.results_dir / job_id
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            if job_type == "tap":
                results = self._run_tap(params, frozenset(groups), duration, workdir)
            else:
                results = self._run_analysis(
                    job_id, job_type, params, frozenset(groups), duration, workdir
                )
            stored = [
                {"id": rid, "path": str(workdir / name), "mime": mime}
                for rid, name, mime in results
            ]
            done = self._finish(job_id, phase="COMPLETED", results=stored)
            if not done:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                self._record_provenance(job_id, workdir, groups)
        except TimeoutError:  # before OSError, of which it is a kind
            self._finish(
                job_id,
                phase="ERROR",
                error=f"the job ran longer than its "
                f"executionduration ({duration} s) and was stopped",
            )
        except (QueryError, ParameterError, LookupError, ValueError, OSError) as exc:
            self._finish(job_id, phase="ERROR", error=str(exc))
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self._finish(job_id, phase="ERROR", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._futures.pop(job_id, None)
        self.notify()

    def _record_provenance(self, job_id: str, workdir: Path, groups: list[str]) -> None:
        """Write a finished job's provenance into the ProvTAP tables (never fails the job)."""
        try:
            provtap.record_job(self.store, job_id, workdir, groups)
        except Exception:
            log.exception("job %s: its provenance could not be recorded in ProvTAP", job_id)

    def _finish(self, job_id: str, **values: Any) -> int:
        with self.store.connection() as conn:
            assignments = ", ".join(f"{k} = %({k})s" for k in values)
            values = {k: Jsonb(v) if isinstance(v, list) else v for k, v in values.items()}
            return conn.execute(
                f"UPDATE uws.job SET {assignments}, ended = now() "
                "WHERE job_id = %(job_id)s AND phase = 'EXECUTING'",
                {**values, "job_id": job_id},
            ).rowcount

    def _run_tap(
        self, params: dict[str, str], groups: frozenset[str], duration: int, workdir: Path
    ) -> list[tuple[str, str, str]]:
        query, maxrec, fmt, media = check_query_params(params)
        result = run_query(
            self.store, query, maxrec=maxrec, groups=groups, timeout_ms=_timeout_ms(duration)
        )
        (workdir / "result").write_bytes(render(result, fmt, params.get("_BASE_URL", "")))
        return [("result", "result", media)]

    def _files(
        self, params: dict[str, Any], groups: frozenset[str], duration: int = DEFAULT_DURATION_S
    ) -> list[dict[str, Any]]:
        """The event files of the job's observations that its owner may read."""
        obs_ids = [str(o) for o in params.get("obs_ids") or []]
        if params.get("query"):
            table = run_query(
                self.store, params["query"], groups=groups, timeout_ms=_timeout_ms(duration)
            ).to_table()
            if "obs_id" not in table.colnames:
                raise ParameterError("parameter query: the ADQL must return an obs_id column")
            obs_ids += [str(v.decode() if isinstance(v, bytes) else v) for v in table["obs_id"]]
        with self.store.reader(groups) as cur:
            visible = cur.execute(
                "SELECT obs_id, obs_collection, access_url FROM ivoa.obscore "
                "WHERE obs_id = ANY(%s)",
                (obs_ids,),
            ).fetchall()
        with self.store.connection() as conn:
            found = {obs_id: (collection, url) for obs_id, collection, url in visible}
            missing = [o for o in obs_ids if o not in found]
            if missing:
                raise LookupError(
                    f"observations {', '.join(missing)} are not in the archive or not yours to read"
                )
            files = []
            for obs_id in dict.fromkeys(obs_ids):
                collection, url = found[obs_id]
                (path,) = conn.execute(
                    "SELECT file_path FROM archive.observation WHERE obs_collection = %s AND "
                    "obs_id = %s",
                    (collection, obs_id),
                ).fetchone() or ("",)
                base = str(self.settings.service_url).rstrip("/")
                files.append(
                    {
                        "path": path,
                        "obs_id": int(obs_id),
                        "collection": collection,
                        "url": base + url if url.startswith("/") else url,
                    }
                )
        if not files:
            raise LookupError("the job selected no observation")
        return files

    def _run_analysis(
        self,
        job_id: str,
        job_type: str,
        params: dict[str, str],
        groups: frozenset[str],
        duration: int,
        workdir: Path,
    ) -> list[tuple[str, str, str]]:
        typed = JOB_TYPES[job_type].check(params)
        files = self._files(typed, groups, duration)
        if self.settings.dask_scheduler:  # workers elsewhere: runs fetched by URL, bytes back
            return self._run_elsewhere(
                job_id, JOB_TYPES[job_type].runner, files, typed, groups, duration, workdir
            )
        module, _, name = JOB_TYPES[job_type].runner.partition(":")
        function = getattr(importlib.import_module(module), name)
        future: Future[Any] | Any = self.dask().submit(
            function, files, typed, workdir, pure=False, key=f"uws-{job_id}"
        )
        self._futures[job_id] = future
        try:
            return list(future.result(timeout=duration))
        except TimeoutError:
            future.cancel()
            raise

    def _run_elsewhere(
        self,
        job_id: str,
        runner: str,
        files: list[dict[str, Any]],
        typed: dict[str, Any],
        groups: frozenset[str],
        duration: int,
        workdir: Path,
    ) -> list[tuple[str, str, str]]:
        """Run on workers that share no folder: see :mod:`ctanb.services.workers`."""
        from ctanb.services.jobtoken import mint_job_token
        from ctanb.services.workers import run_elsewhere, write_results

        token = mint_job_token(self.settings, job_id, groups, lifetime_s=duration + 60)
        runs = [{k: v for k, v in f.items() if k != "path"} for f in files]  # no server paths
        future = self.dask().submit(
            run_elsewhere, runner, runs, typed, token, pure=False, key=f"uws-{job_id}"
        )
        self._futures[job_id] = future
        try:
            return write_results(future.result(timeout=duration), workdir)
        except TimeoutError:
            future.cancel()
            raise

    async def _housekeeping(self) -> None:
        """Delete jobs past their destruction time; stop jobs past their duration."""
        while True:
            with contextlib.suppress(Exception):
                if self._settle_orphans():
                    self.notify()
            with contextlib.suppress(Exception):
                with self.store.connection() as conn:
                    expired = conn.execute(
                        "DELETE FROM uws.job WHERE destruction < now() RETURNING job_id"
                    ).fetchall()
                for (job_id,) in expired:
                    shutil.rmtree(self.results_dir / job_id, ignore_errors=True)
            await asyncio.sleep(30)


def _timeout_ms(duration_s: int) -> int:
    """A job query's statement timeout: the job's execution duration, within bounds."""
    return max(1, min(int(duration_s), MAX_QUERY_S)) * 1000
