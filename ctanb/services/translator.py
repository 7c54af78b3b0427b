"""ADQL translation with a time budget, in worker processes of its own.

queryparser's parser is pure Python and cannot be interrupted inside a thread: a query built
to be slow to parse would hold a service thread and a core for as long as it likes. The
service therefore translates in a small pool of worker processes (one per core) and waits at
most :data:`TRANSLATION_BUDGET_S` for an answer; a translation still running then is ended
by replacing the pool, and the caller gets a clear error. Each worker keeps its own cache of
query shapes (:func:`ctanb.services.adql.translate`), so an ordinary query costs one round
trip between processes (well under a millisecond) once its shape has been seen.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from ctanb.services.adql import ADQLError, Translation, check_size, translate

__all__ = ["TRANSLATION_BUDGET_S", "TranslatorPool", "translate_within_budget"]

log = logging.getLogger(__name__)

#: Longest a translation may take before the query is refused.
TRANSLATION_BUDGET_S = 10.0


class TranslatorPool:
    """Worker processes that translate ADQL, each answer within a time budget.

    Parameters
    ----------
    workers : int
        Worker processes (default: the number of cores, at most 4).
    budget_s : float
        Longest wait for one translation, in seconds.
    """

    def __init__(self, workers: int | None = None, budget_s: float = TRANSLATION_BUDGET_S):
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        self.budget_s = budget_s
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def translate(self, adql: str) -> Translation:
        """Translate ``adql`` in a worker; see :func:`ctanb.services.adql.translate`.

        Raises
        ------
        ADQLError
            For a query the translator refuses, one over the size bounds, or one whose
            translation takes longer than the budget.
        """
        check_size(adql)  # at once, in this process: no worker for an over-large query
        for attempt in (1, 2):
            executor = self._pool()
            try:
                future: Future[Translation] = executor.submit(translate, adql)
            except (BrokenProcessPool, RuntimeError):
                self._replace(executor)
                continue
            try:
                return future.result(timeout=self.budget_s)
            except FutureTimeout:
                self._replace(executor)
                raise ADQLError(
                    f"the query took longer than {self.budget_s:g} s to translate and was "
                    "stopped: simplify it (fewer conditions or values), or split it"
                ) from None
            except BrokenProcessPool:
                # another query's timeout replaced the pool while this one waited
                self._replace(executor)
                if attempt == 2:
                    raise ADQLError(
                        "the ADQL translator restarted while translating this query: send it again"
                    ) from None
        raise ADQLError("the ADQL translator is not available: try again in a moment")

    def warm_up(self) -> None:
        """Start the workers and load the parser in each (about a second)."""
        futures = [
            self._pool().submit(translate, "SELECT TOP 1 obs_id FROM ivoa.obscore")
            for _ in range(self.workers)
        ]
        for future in futures:
            future.result(timeout=60)

    def close(self) -> None:
        """End the worker processes."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            _terminate(executor)

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # spawned, not forked: the service is threaded
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
            return self._executor

    def _replace(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        log.warning("ending the ADQL translator processes (a translation ran over budget)")
        _terminate(executor)


def _terminate(executor: ProcessPoolExecutor) -> None:
    processes = list((executor._processes or {}).values())  # no public API for this
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


_DEFAULT: TranslatorPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> TranslatorPool:
    """The process-wide translator pool (started on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = TranslatorPool()
        return _DEFAULT


def translate_within_budget(adql: str) -> Translation:
    """Translate ``adql`` in the process-wide pool, within :data:`TRANSLATION_BUDGET_S`."""
    return default_pool().translate(adql)
