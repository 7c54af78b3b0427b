"""The dask client analyses run on: ``CTANB_DASK_SCHEDULER``, else a LocalCluster."""

from __future__ import annotations

import functools
from typing import Any

from ctanb.config import get_settings

__all__ = ["get_client"]


@functools.cache
def get_client(n_workers: int = 2) -> Any:
    """Return a dask.distributed Client (one per session)."""
    from dask.distributed import Client, LocalCluster

    address = get_settings().dask_scheduler
    if address:
        return Client(address)
    return Client(
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    )
