"""Running jobs: TAP queries in the service's threads, analyses on dask.distributed.

A QUEUED job runs in a service thread, which holds the job's advisory lock (``JOB_LOCK``)
on a connection of its own while it runs, so that a job left EXECUTING by a process that
died can be told from one still running elsewhere. A TAP job's query runs with the job's
execution duration as its statement timeout; an analysis runs on the dask cluster
(``CTANB_DASK_SCHEDULER``, else a LocalCluster started on demand), on workers sharing the
service's folders or, with a scheduler, on workers elsewhere
(:mod:`ctanb.services.workers`). Results live in ``<home>/jobs/<job_id>/``.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dask.distributed import Client, Future, LocalCluster

from ctanb.config import Settings
from ctanb.services import provtap
from ctanb.services.jobtoken import mint_job_token
from ctanb.services.results import render
from ctanb.services.store import Store
from ctanb.services.tap import QueryError, check_query_params, run_query
from ctanb.services.uws.definitions import JOB_TYPES, ParameterError
from ctanb.services.uws.jobs import DEFAULT_DURATION_S, JOB_LOCK, MAX_DURATION_S, JobTable
from ctanb.services.workers import load_runner, run_elsewhere, write_results

__all__ = ["MAX_QUERY_S", "JobExecutor", "job_runs"]

log = logging.getLogger(__name__)

MAX_QUERY_S = MAX_DURATION_S  # a TAP job's statement timeout: its duration, at most this
Results = list[tuple[str, str, str]]


def _timeout_ms(duration_s: int) -> int:
    """A job query's statement timeout: the job's execution duration, within bounds."""
    return max(1, min(int(duration_s), MAX_QUERY_S)) * 1000


class JobExecutor:
    """The threads, advisory locks and dask client that run the jobs of one process.

    Parameters
    ----------
    store : Store
        Where the jobs and the archive are.
    settings : Settings
        ``home`` holds the results; ``dask_scheduler`` names the dask cluster.
    table : JobTable
        The job table.
    notify : callable
        Called (from any thread) when a job's phase changed.
    """

    def __init__(
        self, store: Store, settings: Settings, table: JobTable, notify: Callable[[], None]
    ) -> None:
        self.store = store
        self.settings = settings
        self.table = table
        self.notify = notify
        self.results_dir = Path(settings.home) / "jobs"
        self.threads = ThreadPoolExecutor(8, thread_name_prefix="uws")
        self._dask: Client | None = None
        self._dask_lock = threading.Lock()
        self._futures: dict[str, Future] = {}
        self._locks: Any = None  # connection holding the locks of the jobs running here
        self._lock_lock = threading.Lock()

    def open(self) -> None:
        """Open the connection that holds the locks of the jobs running here."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self._locks = self.store.connect(autocommit=True)

    def close(self) -> None:
        """Stop the threads, close the dask client and the lock connection."""
        self.threads.shutdown(wait=False, cancel_futures=True)
        if self._dask is not None:
            with contextlib.suppress(Exception):
                self._dask.close()
        if self._locks is not None:
            with contextlib.suppress(Exception):
                self._locks.close()

    def dask(self) -> Client:
        """The dask client: ``CTANB_DASK_SCHEDULER``, else a LocalCluster started on demand."""
        with self._dask_lock:
            if self._dask is None:
                if self.settings.dask_scheduler:
                    self._dask = Client(self.settings.dask_scheduler)
                else:
                    cluster = LocalCluster(
                        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                    )
                    self._dask = Client(cluster)
            return self._dask

    def submit(self, job_id: str) -> None:
        """Run a QUEUED job in a service thread (which hands analyses to dask)."""
        self.threads.submit(self._execute, job_id)

    def cancel(self, job_id: str) -> None:
        """Cancel the dask task of a job running here, if any."""
        future = self._futures.pop(job_id, None)
        if future is not None:
            with contextlib.suppress(Exception):
                future.cancel()

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
        row = self.table.start(job_id)
        if row is None:  # aborted or deleted meanwhile
            return
        self.notify()
        job_type, params, groups, duration = row
        workdir = self.results_dir / job_id
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._complete(job_id, job_type, params, groups, duration, workdir)
        except TimeoutError:  # before OSError, of which it is a kind
            self.table.finish(
                job_id,
                phase="ERROR",
                error=f"the job ran longer than its "
                f"executionduration ({duration} s) and was stopped",
            )
        except (QueryError, ParameterError, LookupError, ValueError, OSError) as exc:
            self.table.finish(job_id, phase="ERROR", error=str(exc))
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self.table.finish(job_id, phase="ERROR", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._futures.pop(job_id, None)
        self.notify()

    def _complete(
        self,
        job_id: str,
        job_type: str,
        params: dict[str, Any],
        groups: list[str],
        duration: int,
        workdir: Path,
    ) -> None:
        """Run the job, then record it COMPLETED (or drop its results if it ended meanwhile)."""
        if job_type == "tap":
            results = self._run_tap(params, frozenset(groups), duration, workdir)
        else:
            results = self._run_analysis(
                job_id, job_type, params, frozenset(groups), duration, workdir
            )
        stored = [
            {"id": rid, "path": str(workdir / name), "mime": mime} for rid, name, mime in results
        ]
        if not self.table.finish(job_id, phase="COMPLETED", results=stored):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            self._record_provenance(job_id, workdir, groups)

    def _record_provenance(self, job_id: str, workdir: Path, groups: list[str]) -> None:
        """Write a finished job's provenance into the ProvTAP tables (never fails the job)."""
        try:
            provtap.record_job(self.store, job_id, workdir, groups)
        except Exception:
            log.exception("job %s: its provenance could not be recorded in ProvTAP", job_id)

    def _run_tap(
        self, params: dict[str, str], groups: frozenset[str], duration: int, workdir: Path
    ) -> Results:
        query, maxrec, fmt, media = check_query_params(params)
        result = run_query(
            self.store, query, maxrec=maxrec, groups=groups, timeout_ms=_timeout_ms(duration)
        )
        (workdir / "result").write_bytes(render(result, fmt, params.get("_BASE_URL", "")))
        return [("result", "result", media)]

    def _run_analysis(
        self,
        job_id: str,
        job_type: str,
        params: dict[str, str],
        groups: frozenset[str],
        duration: int,
        workdir: Path,
    ) -> Results:
        runner = JOB_TYPES[job_type].runner
        typed = JOB_TYPES[job_type].check(params)
        files = job_runs(self.store, self.settings, typed, groups, duration)
        if self.settings.dask_scheduler:  # workers elsewhere: runs fetched by URL, bytes back
            return self._run_elsewhere(job_id, runner, files, typed, groups, duration, workdir)
        future = self.dask().submit(
            load_runner(runner), files, typed, workdir, pure=False, key=f"uws-{job_id}"
        )
        return list(self._wait(job_id, future, duration))

    def _run_elsewhere(
        self,
        job_id: str,
        runner: str,
        files: list[dict[str, Any]],
        typed: dict[str, Any],
        groups: frozenset[str],
        duration: int,
        workdir: Path,
    ) -> Results:
        """Run on workers that share no folder: see :mod:`ctanb.services.workers`."""
        token = mint_job_token(self.settings, job_id, groups, lifetime_s=duration + 60)
        runs = [{k: v for k, v in f.items() if k != "path"} for f in files]  # no server paths
        future = self.dask().submit(
            run_elsewhere, runner, runs, typed, token, pure=False, key=f"uws-{job_id}"
        )
        return write_results(self._wait(job_id, future, duration), workdir)

    def _wait(self, job_id: str, future: Future, duration: int) -> Any:
        """The dask task's result; cancel it once it ran longer than ``duration`` seconds."""
        self._futures[job_id] = future
        try:
            return future.result(timeout=duration)
        except TimeoutError:
            future.cancel()
            raise


def job_runs(
    store: Store,
    settings: Settings,
    params: dict[str, Any],
    groups: frozenset[str],
    duration: int = DEFAULT_DURATION_S,
) -> list[dict[str, Any]]:
    """The event files of a job's observations that its owner may read.

    Parameters
    ----------
    store : Store
        The archive.
    settings : Settings
        ``service_url`` makes the runs' data URLs absolute.
    params : dict
        The job's typed parameters: ``obs_ids`` and/or ``query`` (ADQL with an obs_id column).
    groups : frozenset of str
        The owner's groups.
    duration : int
        The job's execution duration (s): the query's statement timeout.

    Returns
    -------
    list of dict
        One per observation: ``path``, ``obs_id``, ``collection`` and ``url``.
    """
    obs_ids = _selected_obs_ids(store, params, groups, duration)
    with store.reader(groups) as cur:
        visible = cur.execute(
            "SELECT obs_id, obs_collection, access_url FROM ivoa.obscore WHERE obs_id = ANY(%s)",
            (obs_ids,),
        ).fetchall()
    with store.connection() as conn:
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
            base = str(settings.service_url).rstrip("/")
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


def _selected_obs_ids(
    store: Store, params: dict[str, Any], groups: frozenset[str], duration: int
) -> list[str]:
    """The obs_ids a job names: ``obs_ids``, then those its ADQL ``query`` returns."""
    obs_ids = [str(o) for o in params.get("obs_ids") or []]
    if params.get("query"):
        table = run_query(
            store, params["query"], groups=groups, timeout_ms=_timeout_ms(duration)
        ).to_table()
        if "obs_id" not in table.colnames:
            raise ParameterError("parameter query: the ADQL must return an obs_id column")
        obs_ids += [str(v.decode() if isinstance(v, bytes) else v) for v in table["obs_id"]]
    return obs_ids
