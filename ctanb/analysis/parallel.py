"""The dask client analyses run on.

In order: ``CTANB_DASK_SCHEDULER`` (a site's scheduler); else the user's running dask-gateway
cluster, when a gateway is configured (``DASK_GATEWAY__ADDRESS``, set by ctanb's hub) and the
user has started one (``dask_gateway.Gateway().new_cluster()``); else a LocalCluster.
"""

from __future__ import annotations

import functools
from typing import Any

from ctanb.config import get_settings

__all__ = ["gateway_cluster_name", "get_client"]


def get_client(n_workers: int = 2) -> Any:
    """Return a dask.distributed Client (one per scheduler and session).

    Parameters
    ----------
    n_workers : int
        Workers of a LocalCluster, and of a gateway cluster found without workers.
    """
    address = get_settings().dask_scheduler
    if address:
        return _scheduler_client(address)
    name = gateway_cluster_name()
    if name is not None:
        return _gateway_client(name, n_workers)
    return _local_client(n_workers)


def gateway_cluster_name() -> str | None:
    """Name of the user's running dask-gateway cluster, or None (no gateway, no cluster)."""
    import dask  # lazy: a serial analysis never needs dask (0.3 s to import)

    if not dask.config.get("gateway.address", None):
        return None
    try:  # dask-gateway is optional (the hub extra)
        from dask_gateway import Gateway
        from dask_gateway.client import ClusterStatus  # (optional, as above)
    except ImportError:  # a gateway is configured but the client is not installed
        return None
    with Gateway() as gateway:
        running = [c for c in gateway.list_clusters() if c.status == ClusterStatus.RUNNING]
    return running[0].name if running else None


@functools.cache
def _scheduler_client(address: str) -> Any:
    from dask.distributed import Client  # lazy: only a dask run needs it

    return Client(address)


@functools.cache
def _gateway_client(name: str, n_workers: int) -> Any:
    from dask_gateway import Gateway  # optional (the hub extra)

    cluster = Gateway().connect(name)
    client = cluster.get_client()
    if not client.scheduler_info()["workers"]:
        cluster.scale(n_workers)
        client.wait_for_workers(1, timeout=180)
    return client


@functools.cache
def _local_client(n_workers: int) -> Any:
    from dask.distributed import Client, LocalCluster  # lazy: only a dask run needs it

    return Client(
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    )
