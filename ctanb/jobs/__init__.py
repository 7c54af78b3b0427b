"""Remote analyses: the client of the archive service's UWS jobs (and the monitor widget).

``JobMonitor`` lives in :mod:`ctanb.widgets.jobs`; ``from ctanb.jobs import JobMonitor`` still
works (imported on first use, so the client needs no widget library).
"""

from typing import Any

from ctanb.jobs.client import Job, JobClient, JobError

__all__ = ["Job", "JobClient", "JobError", "JobMonitor"]


def __getattr__(name: str) -> Any:
    # ``JobMonitor`` here is the compatibility alias the tutorials use
    # (``from ctanb.jobs import JobClient, JobMonitor``). It is looked up on first use, not
    # imported at the top: ctanb.jobs sits below ctanb.widgets (ctanb.widgets.jobs imports
    # this package), so a top-level import would be a cycle and would make the client need
    # ipywidgets.
    if name == "JobMonitor":
        from ctanb.widgets.jobs import JobMonitor

        return JobMonitor
    raise AttributeError(f"module 'ctanb.jobs' has no attribute {name!r}")
