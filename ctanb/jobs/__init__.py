"""Remote analyses: the client of the archive service's UWS jobs."""

from ctanb.jobs.client import Job, JobClient, JobError

__all__ = ["Job", "JobClient", "JobError"]
