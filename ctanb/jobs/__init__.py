"""Remote analyses: the client of the archive service's UWS jobs and a job-monitor widget."""

from ctanb.jobs.client import Job, JobClient, JobError
from ctanb.jobs.monitor import JobMonitor

__all__ = ["Job", "JobClient", "JobError", "JobMonitor"]
