"""A real JupyterHub (hub_config/jupyterhub_config.py) and a real OpenID Connect provider.

The provider is npm oidc-provider run by tests/hub/oidc_provider.mjs; the hub logs users in
through it with GenericOAuthenticator, spawns servers with SimpleLocalProcessSpawner and runs
the archive (``ctanb serve`` on the session's store) as a managed service. Everything listens
on 127.0.0.1 on free ports and is stopped at the end of the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ctanb.config import Settings
from ctanb.testing import free_port

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HUB_CONFIG = REPO / "hub_config" / "jupyterhub_config.py"
VENV_BIN = Path(sys.executable).parent
ARCHIVE = "ctanb-archive"
ALLOWED_GROUP = "cta-consortium"  # proprietary CTA data
PUBLIC_GROUP = "hess-public"  # may log in, public data only


def _require_tools() -> None:
    missing = []
    if not shutil.which("node"):
        missing.append("node (install Node.js >= 20)")
    for package in ("oidc-provider", "configurable-http-proxy"):
        if not (REPO / "node_modules" / package).is_dir():
            missing.append(f"node_modules/{package} (run scripts/install_node.sh)")
    if not (VENV_BIN / "jupyterhub").exists():
        missing.append("jupyterhub (pip install -e '.[hub,lab]')")
    if missing:
        pytest.fail("the hub tests need: " + ", ".join(missing))


def _stop(process: subprocess.Popen | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


@dataclass
class OIDCProvider:
    """The test identity provider: its issuer URL, client and users (name -> password)."""

    url: str
    client_id: str
    client_secret: str
    users: dict[str, dict]
    log_path: Path
    process: subprocess.Popen | None = None

    def password(self, name: str) -> str:
        return self.users[name]["password"]


@pytest.fixture(scope="session")
def hub_ports() -> dict[str, int]:
    names = ("oidc", "hub", "hub_api", "proxy_api", "archive", "gateway", "gateway_api")
    return {name: free_port() for name in names}


@pytest.fixture(scope="session")
def oidc_provider(hub_ports, tmp_path_factory) -> Iterator[OIDCProvider]:
    """npm oidc-provider with alice (cta-consortium) and bob (public-users)."""
    _require_tools()
    folder = tmp_path_factory.mktemp("oidc")
    users = {
        "alice": {"password": secrets.token_urlsafe(12), "groups": [ALLOWED_GROUP]},
        "bob": {"password": secrets.token_urlsafe(12), "groups": ["public-users"]},
        "carol": {
            "password": secrets.token_urlsafe(12),
            "groups": [ALLOWED_GROUP, "hess-analysts"],
        },
        "dave": {"password": secrets.token_urlsafe(12), "groups": [PUBLIC_GROUP]},
    }
    provider = OIDCProvider(
        url=f"http://127.0.0.1:{hub_ports['oidc']}",
        client_id="ctanb-hub",
        client_secret=secrets.token_urlsafe(24),
        users=users,
        log_path=folder / "oidc.log",
    )
    config = folder / "oidc.json"
    config.write_text(
        json.dumps(
            {
                "port": hub_ports["oidc"],
                "cookie_key": secrets.token_urlsafe(24),
                "client": {
                    "client_id": provider.client_id,
                    "client_secret": provider.client_secret,
                    "redirect_uris": [f"http://127.0.0.1:{hub_ports['hub']}/hub/oauth_callback"],
                },
                "users": users,
            }
        )
    )
    config.chmod(0o600)
    log = open(provider.log_path, "wb")  # noqa: SIM115 - closed below
    provider.process = subprocess.Popen(
        ["node", str(HERE / "oidc_provider.mjs"), str(config)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while "ready " not in provider.log_path.read_text():
        if provider.process.poll() is not None or time.monotonic() > deadline:
            _stop(provider.process)
            log_text = provider.log_path.read_text()
            pytest.fail(f"the OpenID Connect provider did not start: {log_text}")
        time.sleep(0.05)
    yield provider
    _stop(provider.process)
    log.close()


@dataclass
class Hub:
    """A running JupyterHub: public URL, API, archive service and a test admin token."""

    url: str
    api_url: str
    archive_url: str
    admin_token: str
    gateway_url: str
    state_dir: Path
    log_path: Path
    process: subprocess.Popen | None = None
    secrets: list[str] = field(default_factory=list)

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        """Call the hub's REST API as the test's admin service."""
        headers = {"Authorization": f"token {self.admin_token}"}
        return httpx.request(method, self.api_url + path, headers=headers, timeout=30, **kwargs)

    def token_for(self, user: str, scopes: list[str], note: str = "ctanb test") -> str:
        """Create an API token for ``user`` (the user is created if needed)."""
        if self.api("GET", f"/users/{user}").status_code == 404:
            self.api("POST", f"/users/{user}").raise_for_status()
        body = {"scopes": scopes, "note": note, "expires_in": 900}
        response = self.api("POST", f"/users/{user}/tokens", json=body)
        response.raise_for_status()
        token = response.json()["token"]
        self.secrets.append(token)
        return token

    def http_login(self, provider: OIDCProvider, name: str, password: str) -> httpx.Response:
        """Log in through the OAuth flow without a browser; return the callback's answer.

        Stops at the hub's ``/hub/oauth_callback`` (no server is spawned): a 302 for an
        allowed user (now known to the hub with the groups of the provider's claim), 403 for
        a refused one.
        """
        callback = self.url + "/hub/oauth_callback"
        with httpx.Client(timeout=30) as client:

            def follow(response: httpx.Response) -> httpx.Response:
                while response.is_redirect:
                    location = str(response.url.join(response.headers["location"]))
                    response = client.get(location)
                    if location.startswith(callback):
                        break
                return response

            form = follow(client.get(self.url + "/hub/oauth_login"))
            assert "/interaction/" in str(form.url), form.text
            return follow(
                client.post(str(form.url) + "/login", data={"username": name, "password": password})
            )

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


EXTRA_CONFIG = """
# Test-only additions: an admin service whose token the tests use for the REST API.
import os

c = get_config()
c.JupyterHub.services.append(
    {"name": "ctanb-test-admin", "api_token": os.environ["CTANB_TEST_ADMIN_TOKEN"]}
)
c.JupyterHub.load_roles.append(
    {
        "name": "ctanb-test-admin",
        "services": ["ctanb-test-admin"],
        "scopes": ["admin:users", "admin:servers", "tokens", "read:users"],
    }
)
c.JupyterHub.log_level = "INFO"
"""


@pytest.fixture(scope="session")
def hub(
    oidc_provider: OIDCProvider, store, ctanb_settings: Settings, hub_ports, tmp_path_factory
) -> Iterator[Hub]:
    """JupyterHub with hub_config/jupyterhub_config.py in OIDC mode and the archive service."""
    state = tmp_path_factory.mktemp("hub")
    extra = state / "test_extra_config.py"
    extra.write_text(EXTRA_CONFIG)
    hub = Hub(
        url=f"http://127.0.0.1:{hub_ports['hub']}",
        api_url=f"http://127.0.0.1:{hub_ports['hub']}/hub/api",
        archive_url=f"http://127.0.0.1:{hub_ports['archive']}",
        admin_token=secrets.token_hex(32),
        gateway_url=f"http://127.0.0.1:{hub_ports['gateway']}",
        state_dir=state,
        log_path=state / "jupyterhub.log",
    )
    hub.secrets += [hub.admin_token, oidc_provider.client_secret]
    hub.secrets += [u["password"] for u in oidc_provider.users.values()]
    env = {
        **os.environ,
        "CTANB_HUB_AUTH": "oidc",
        "CTANB_HUB_OIDC_ISSUER": oidc_provider.url,
        "CTANB_HUB_CLIENT_ID": oidc_provider.client_id,
        "CTANB_HUB_CLIENT_SECRET": oidc_provider.client_secret,
        "CTANB_HUB_ALLOWED_GROUPS": f"{ALLOWED_GROUP},{PUBLIC_GROUP}",
        "CTANB_HUB_SPAWNER": "simple",
        "CTANB_HUB_BIND_URL": hub.url,
        "CTANB_HUB_API_BIND_URL": f"http://127.0.0.1:{hub_ports['hub_api']}",
        "CTANB_HUB_PROXY_API_URL": f"http://127.0.0.1:{hub_ports['proxy_api']}",
        "CTANB_HUB_STATE_DIR": str(state),
        "CTANB_HUB_ARCHIVE_PORT": str(hub_ports["archive"]),
        "CTANB_HUB_EXTRA_CONFIG": str(extra),
        "CTANB_TEST_ADMIN_TOKEN": hub.admin_token,
        # per-user dask clusters: dask-gateway as a hub service (tests/hub/test_gateway.py)
        "CTANB_HUB_DASK_GATEWAY": "1",
        "CTANB_GATEWAY_ADDRESS": f"127.0.0.1:{hub_ports['gateway']}",
        "CTANB_GATEWAY_API_ADDRESS": f"127.0.0.1:{hub_ports['gateway_api']}",
    }
    log = open(hub.log_path, "wb")  # noqa: SIM115 - closed below
    hub.process = subprocess.Popen(
        [str(VENV_BIN / "jupyterhub"), "-f", str(HUB_CONFIG)],
        cwd=state,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(hub, hub.api_url + "/", "the hub")
        _wait_for(hub, hub.archive_url + "/tap/availability", "the archive service", 60)
        _wait_for(hub, hub.gateway_url + "/api/health", "the dask-gateway service", 60)
        yield hub
    finally:
        _stop(hub.process, timeout=30)
        log.close()
        # a hub that died leaves its proxy running: stop it by its pid file
        pid_file = state / "jupyterhub-proxy.pid"
        if pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


def _wait_for(hub: Hub, url: str, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            pytest.fail(f"JupyterHub exited: {hub.logs()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} did not answer at {url} within {timeout} s: {hub.logs()[-4000:]}")
