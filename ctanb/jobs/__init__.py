"""Remote analyses: the client of the archive service's UWS jobs (and the monitor widget).

``JobMonitor`` lives in :mod:`ctanb.widgets.jobs`; ``from ctanb.jobs import JobMonitor`` still
works (imported on first use, so the client needs no widget library).
"""

from typing import Any

from ctanb.jobs import monitor
from ctanb.jobs.client import Job, JobClient, JobError

__all__ = ["Job", "JobClient", "JobError", "JobMonitor"]


def __getattr__(name: str) -> Any:
    # ``JobMonitor`` here is the compatibility alias the tutorials use
    # (``from ctanb.jobs import JobClient, JobMonitor``): see :mod:`ctanb.jobs.monitor`.
    if name == "JobMonitor":
        return monitor.JobMonitor
    raise AttributeError(f"module 'ctanb.jobs' has no attribute {name!r}")
