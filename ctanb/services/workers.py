"""Analysis jobs on dask workers elsewhere: no folder shared with the service.

With ``CTANB_DASK_SCHEDULER`` set, the service sends a job to workers that may run on other
hosts, with their own ``CTANB_HOME`` and cache. A worker gets the job's run list (obs_id,
collection, data URL; no server paths) and a short-lived job token
(:mod:`ctanb.services.jobtoken`); it fetches each run through the archive's ``/data`` URL
(cached, rights checked on every job), runs the analysis in a temporary folder and returns
the products' bytes, which the service writes into the job's results folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctanb.services.uws.work import Runner

__all__ = ["load_runner", "run_elsewhere", "write_results"]

Produced = tuple[str, str, str, bytes]


def load_runner(name: str) -> Runner:
    """The analysis function a job type names (``JobType.runner``, a key of ``RUNNERS``).

    Parameters
    ----------
    name : str
        A key of :data:`ctanb.services.uws.work.RUNNERS`: ``spec``, ``significance``, ``copy``.
    """
    # ctanb.services.uws.work imports gammapy's maps (~1.4 s on top of the service's imports,
    # python -X importtime): the service and each dask worker import it when a job runs
    from ctanb.services.uws import work

    try:
        return work.RUNNERS[name]
    except KeyError:
        raise ValueError(
            f"no job runner {name!r}: the runners are {', '.join(sorted(work.RUNNERS))}"
        ) from None


def run_elsewhere(
    runner: str, files: list[dict[str, Any]], params: dict[str, Any], token: str
) -> list[Produced]:
    """Run a job's analysis on this worker; return ``(id, file name, media type, bytes)``.

    Parameters
    ----------
    runner : str
        The job type's runner: a key of ``ctanb.services.uws.work.RUNNERS``.
    files : list of dict
        The job's runs: ``obs_id``, ``collection`` and ``url`` (the archive's data URL).
    params : dict
        The job's typed parameters.
    token : str
        Job token with the owner's rights, sent with every download.
    """
    # ctanb.analysis.events imports gammapy's maps (~1.2 s): only a worker running a job needs it
    from ctanb.analysis.events import fetch_run

    local = [{**f, "path": str(fetch_run(f["url"], token))} for f in files]
    function = load_runner(runner)
    with tempfile.TemporaryDirectory(prefix="ctanb-job-") as folder:
        workdir = Path(folder)
        results = function(local, params, workdir)
        return [(rid, fname, mime, (workdir / fname).read_bytes()) for rid, fname, mime in results]


def write_results(produced: list[Produced], workdir: Path) -> list[tuple[str, str, str]]:
    """Write products returned by :func:`run_elsewhere` into the job's results folder."""
    results = []
    for result_id, name, mime, content in produced:
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"a worker returned a product named {name!r}: not a file name")
        (workdir / name).write_bytes(content)
        results.append((result_id, name, mime))
    return results
