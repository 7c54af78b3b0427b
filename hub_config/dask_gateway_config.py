"""dask-gateway behind ctanb's JupyterHub: per-user dask clusters, users known by the hub.

The hub starts this as its ``dask-gateway`` service (hub_config/jupyterhub_config.py with
``CTANB_HUB_DASK_GATEWAY=1``); a notebook's ``dask_gateway.Gateway()`` reaches it with the
user's hub token (``DASK_GATEWAY__*`` variables set by the spawner), and ``ctanb.analysis``
uses the user's running gateway cluster for ``client=True``.

Backends: here the local process backend, which runs every cluster's scheduler and workers
as the gateway's own Unix user (``UnsafeLocalBackend``: no isolation between users, like the
hub's ``simple`` spawner; ``CTANB_GATEWAY_BACKEND=local`` runs them as each user's Unix
account, which needs root and real accounts). On Kubernetes, the dask-gateway Helm chart
(see z2jh-values.yaml) replaces this file.

Settings (environment): ``CTANB_GATEWAY_ADDRESS`` (public HTTP and scheduler proxy,
default 127.0.0.1:8789), ``CTANB_GATEWAY_API_ADDRESS`` (internal API, 127.0.0.1:8788),
``CTANB_GATEWAY_WORKER_CORES`` (1), ``CTANB_GATEWAY_WORKER_MEMORY`` ("2 G"),
``CTANB_GATEWAY_MAX_WORKERS`` (per cluster, 4), ``CTANB_GATEWAY_IDLE_TIMEOUT`` (s, 1800).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by dask-gateway-server when it loads this file

VENV_BIN = Path(sys.executable).parent


def setting(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


c.DaskGateway.address = setting("CTANB_GATEWAY_API_ADDRESS", "127.0.0.1:8788")
c.Proxy.address = setting("CTANB_GATEWAY_ADDRESS", "127.0.0.1:8789")
c.DaskGateway.log_level = setting("CTANB_GATEWAY_LOG_LEVEL", "WARN")

# Users are the hub's: the JUPYTERHUB_API_* variables of a hub-managed service, and the
# hub's access scope for this service (access:services!service=dask-gateway) is required.
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"

_backend = setting("CTANB_GATEWAY_BACKEND", "unsafe-local")
c.DaskGateway.backend_class = {
    "unsafe-local": "dask_gateway_server.backends.local.UnsafeLocalBackend",
    "local": "dask_gateway_server.backends.local.LocalBackend",
}[_backend]
_dask = str(VENV_BIN / "dask")
c.ClusterConfig.scheduler_cmd = [_dask, "scheduler"]
c.ClusterConfig.worker_cmd = [_dask, "worker"]
c.ClusterConfig.worker_cores = int(setting("CTANB_GATEWAY_WORKER_CORES", "1"))
c.ClusterConfig.worker_threads = int(setting("CTANB_GATEWAY_WORKER_CORES", "1"))
c.ClusterConfig.worker_memory = setting("CTANB_GATEWAY_WORKER_MEMORY", "2 G")
c.ClusterConfig.cluster_max_workers = int(setting("CTANB_GATEWAY_MAX_WORKERS", "4"))
c.ClusterConfig.idle_timeout = float(setting("CTANB_GATEWAY_IDLE_TIMEOUT", "1800"))
# the clusters' processes get ctanb's settings (not the hub's secrets)
c.ClusterConfig.environment = {
    key: value
    for key, value in os.environ.items()
    if key in ("CTANB_DATA", "CTANB_CATALOGS", "CTANB_SERVICE_URL", "PYTHONPATH")
}
if setting("CTANB_GATEWAY_STATE_DIR", ""):
    _state = Path(setting("CTANB_GATEWAY_STATE_DIR", "")).expanduser()
    _state.mkdir(parents=True, exist_ok=True, mode=0o700)
    c.LocalBackend.clusters_directory = str(_state / "clusters")
