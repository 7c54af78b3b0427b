"""Per-user dask clusters: dask-gateway as a hub service, used by ctanb.analysis in a notebook.

The hub of tests/hub/conftest.py runs dask-gateway (hub_config/dask_gateway_config.py, local
process backend) as its ``dask-gateway`` service. A user's server starts; a cell in its
kernel starts a gateway cluster with nothing but the hub's variables and token, and
``make_count_map(client=True)`` bins the Crab runs on it: the tasks ran on that cluster's
workers and the map equals the one binned in the kernel. Another user sees none of it.
"""

from __future__ import annotations

import json
import time

import pytest
from hub.test_config import HUB_CONFIG, assert_known_traits, load
from hub.test_login import run_cell

pytestmark = pytest.mark.hub

USER = "erin"

CELL = """
import json
import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from dask.distributed import get_task_stream
from dask_gateway import Gateway
from ctanb.analysis import make_count_map
from ctanb.analysis.parallel import gateway_cluster_name, get_client

gateway = Gateway()  # DASK_GATEWAY__* and JUPYTERHUB_API_TOKEN from the hub
cluster = gateway.new_cluster()
cluster.scale(1)
client = get_client()  # the user's running gateway cluster
client.wait_for_workers(1, timeout=180)
files = {files!r}
geometry = dict(skydir=SkyCoord(83.633, 22.014, unit="deg"), width=2 * u.deg, binsz=0.05 * u.deg)
with get_task_stream(client) as stream:
    on_gateway = make_count_map(files, client=True, **geometry)
here = make_count_map(files, **geometry)
workers = set(client.scheduler_info()["workers"])
print(json.dumps({{
    "cluster": cluster.name,
    "found": gateway_cluster_name(),
    "scheduler": client.scheduler.address,
    "tasks": len(stream.data),
    "on_gateway_workers": all(t["worker"] in workers for t in stream.data),
    "equal": bool(np.array_equal(on_gateway.map.data, here.map.data)),
    "total": float(here.map.data.sum()),
}}))
"""


def _start_server(hub, user: str) -> None:
    if hub.api("GET", f"/users/{user}").status_code == 404:
        hub.api("POST", f"/users/{user}").raise_for_status()
    started = hub.api("POST", f"/users/{user}/server")
    assert started.status_code in (201, 202, 400), started.text  # 400: already running
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        server = hub.api("GET", f"/users/{user}").json()["servers"].get("", {})
        if server.get("ready"):
            return
        time.sleep(0.5)
    pytest.fail(f"{user}'s server did not start: {hub.logs()[-3000:]}")


def test_a_notebook_makes_a_count_map_on_its_gateway_cluster(hub, crab_files):
    from dask_gateway import Gateway, JupyterHubAuth

    _start_server(hub, USER)
    printed = run_cell(hub, USER, CELL.format(files=[str(f) for f in crab_files]), timeout=400)
    result = json.loads(printed.strip().splitlines()[-1])
    assert result["found"] == result["cluster"]
    assert result["scheduler"].startswith("gateway://") and result["cluster"] in result["scheduler"]
    assert result["tasks"] > 0 and result["on_gateway_workers"]
    assert result["equal"] and result["total"] > 1000

    # clusters are per user: erin's is listed to her token, not to another user's, and a
    # token without access to the gateway service is refused (the notebook's cluster went
    # with its kernel: start one from here)
    access = ["access:services!service=dask-gateway"]
    mine = Gateway(hub.gateway_url, auth=JupyterHubAuth(hub.token_for(USER, access)))
    other = Gateway(hub.gateway_url, auth=JupyterHubAuth(hub.token_for("frank", access)))
    try:
        cluster = mine.new_cluster(shutdown_on_close=False)
        assert [c.name for c in mine.list_clusters()] == [cluster.name]
        assert other.list_clusters() == []
        with pytest.raises(Exception, match=r"403|Forbidden|not found"):
            other.connect(cluster.name)
        no_access = hub.token_for("frank", ["read:users:name!user"])
        with pytest.raises(Exception, match=r"403|401|Forbidden|Unauthorized"):
            Gateway(hub.gateway_url, auth=JupyterHubAuth(no_access)).list_clusters()
    finally:
        for report in mine.list_clusters():
            mine.stop_cluster(report.name)
        mine.close()
        other.close()
        hub.api("DELETE", f"/users/{USER}/server")


# Keys of the dask-gateway chart's values.yaml (dask/dask-gateway at commit 99f3ef0) that
# hub_config/dask-gateway-values.yaml uses: a misspelt key would be ignored by Helm.
GATEWAY_CHART_KEYS = {
    ("gateway",): {
        "replicas", "annotations", "resources", "prefix", "loglevel", "image", "env",
        "imagePullSecrets", "service", "auth", "livenessProbe", "readinessProbe",
        "nodeSelector", "affinity", "tolerations", "extraConfig", "backend",
    },
    ("gateway", "auth"): {"type", "simple", "kerberos", "jupyterhub", "custom"},
    ("gateway", "backend"): {
        "image", "imagePullSecrets", "namespace", "environment", "scheduler", "worker",
    },
    ("gateway", "backend", "image"): {"name", "tag", "pullPolicy"},
    ("gateway", "backend", "worker"): {
        "extraPodConfig", "extraContainerConfig", "cores", "memory", "threads",
    },
}  # fmt: skip


def test_gateway_config_and_helm_values(monkeypatch, tmp_path):
    """The hub registers dask-gateway, gives users' tokens access to it, and the values fit."""
    import yaml
    from traitlets.config.loader import PyFileConfigLoader

    config = load(monkeypatch, tmp_path, AUTH="dev", DASK_GATEWAY="1")
    assert_known_traits(config)
    service = next(s for s in config.JupyterHub.services if s["name"] == "dask-gateway")
    assert service["command"][-1].endswith("dask_gateway_config.py")
    access = "access:services!service=dask-gateway"
    assert access in config.Spawner.server_token_scopes
    assert access in next(r for r in config.JupyterHub.load_roles if r["name"] == "user")["scopes"]
    assert config.Spawner.environment["DASK_GATEWAY__AUTH__TYPE"] == "jupyterhub"
    without = load(monkeypatch, tmp_path, AUTH="dev")
    assert all(s["name"] != "dask-gateway" for s in without.JupyterHub.services)

    gateway = PyFileConfigLoader("dask_gateway_config.py", path=str(HUB_CONFIG)).load_config()
    from dask_gateway_server.app import DaskGateway
    from dask_gateway_server.auth import JupyterHubAuthenticator
    from dask_gateway_server.backends.base import ClusterConfig
    from dask_gateway_server.proxy import Proxy

    for section, cls in [("DaskGateway", DaskGateway), ("ClusterConfig", ClusterConfig),
                         ("Proxy", Proxy)]:  # fmt: skip
        unknown = (
            set(gateway[section])
            - set(cls.class_own_traits(config=True))
            - set(cls.class_traits(config=True))
        )
        assert not unknown, f"{section}: no such options {unknown}"
    assert gateway.DaskGateway.authenticator_class.endswith(JupyterHubAuthenticator.__name__)

    values = yaml.safe_load((HUB_CONFIG / "dask-gateway-values.yaml").read_text())
    for path, allowed in GATEWAY_CHART_KEYS.items():
        node = values
        for key in path:
            node = node.get(key, {})
        assert not set(node) - allowed, f"{'.'.join(path)}: the chart has no {set(node) - allowed}"
    assert values["gateway"]["auth"]["type"] == "jupyterhub"
