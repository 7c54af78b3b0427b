"""One IVOA UWS 1.1 machinery for async TAP and analysis jobs, persisted in the store.

Analyses run on dask.distributed (a LocalCluster, or ``CTANB_DASK_SCHEDULER``); TAP
queries run in the service's threads. See :mod:`ctanb.services.uws.definitions` for the
job types and their parameters.
"""

from __future__ import annotations

from fastapi import FastAPI

from ctanb.config import Settings
from ctanb.services.store import Store
from ctanb.services.uws.definitions import JOB_TYPES, JobType, Parameter, ParameterError
from ctanb.services.uws.router import add_routes
from ctanb.services.uws.service import JobService

__all__ = ["JOB_TYPES", "JobService", "JobType", "Parameter", "ParameterError", "install"]


def install(app: FastAPI, store: Store, settings: Settings) -> None:
    """Mount the UWS routes and run the job service while the app runs."""
    service = JobService(store, settings)
    app.state.uws = service
    add_routes(app)
    app.router.add_event_handler("startup", service.start)
    app.router.add_event_handler("shutdown", service.stop)
