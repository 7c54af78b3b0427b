"""End to end in headless Chromium: OIDC login through the hub, a spawned server, a cell run.

The identity provider is real (oidc-provider, its own discovery, token and userinfo
endpoints); the hub is hub_config/jupyterhub_config.py; the cell runs in the user's kernel and
searches the archive (a UWS async TAP job) with nothing but the server's JUPYTERHUB_API_TOKEN.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from astropy.table import Table

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slow]

LOGIN_BUTTON = "a[href^='/hub/oauth_login']"
CTA_QUERY = "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'CTA-1DC'"


def login(page, hub, provider, name: str, password: str) -> None:
    """Go through the hub's login page and the provider's form."""
    page.goto(hub.url + "/hub/login")
    page.click(LOGIN_BUTTON)
    page.wait_for_url(re.compile(re.escape(provider.url) + r"/interaction/"))
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("#sign-in")


@pytest.fixture
def context(chromium):
    context = chromium.new_context()
    yield context
    context.close()


def cta_obs_ids(data_dir) -> list[str]:
    """The CTA 1DC runs (proprietary to cta-consortium), read from the data's obs-index."""
    index = Table.read(data_dir / "cta-1dc" / "index" / "gps" / "obs-index.fits.gz")
    return sorted(str(o) for o in index["OBS_ID"])


def run_cell(hub, user: str, code: str, timeout: float = 60.0) -> str:
    """Execute ``code`` in a new kernel of ``user``'s server (kernel REST API + websocket).

    Returns the text the cell printed; raises on an error output.
    """
    import httpx
    from websockets.sync.client import connect

    token = hub.token_for(user, [f"access:servers!server={user}/"])
    headers = {"Authorization": f"token {token}"}
    server = f"{hub.url}/user/{user}"
    kernel = httpx.post(f"{server}/api/kernels", headers=headers, json={}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    kernel_id = kernel.json()["id"]
    msg_id = uuid.uuid4().hex
    request = {
        "header": {
            "msg_id": msg_id,
            "username": user,
            "session": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": code, "silent": False, "store_history": False},
        "channel": "shell",
        "buffers": [],
    }
    out: list[str] = []
    ws_url = server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
    try:
        with connect(ws_url, additional_headers=headers, open_timeout=30) as ws:
            ws.send(json.dumps(request))
            while True:
                message = json.loads(ws.recv(timeout=timeout))
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = message["msg_type"], message["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    raise AssertionError("\n".join(content["traceback"]))
                elif kind == "status" and content["execution_state"] == "idle":
                    break
    finally:
        httpx.delete(f"{server}/api/kernels/{kernel_id}", headers=headers, timeout=30)
    return "".join(out)


CELL = f"""
import json, os
from ctanb.jobs import JobClient
from ctanb.search import ArchiveClient
client = ArchiveClient()  # CTANB_SERVICE_URL and JUPYTERHUB_API_TOKEN from the hub
table = client.query({CTA_QUERY!r}, mode="async")  # a UWS job on the archive
obs_ids = sorted(str(o) for o in table["obs_id"])
jobs = JobClient()  # the same token: an analysis job of the proprietary runs, run as her
job = jobs.wait(jobs.submit("countmap", obs_ids=obs_ids[:1], width=4, binsz=0.1), timeout=240)
print(json.dumps({{
    "user": os.environ["JUPYTERHUB_USER"],
    "service": client.base_url,
    "obs_ids": obs_ids,
    "job": [job.phase, job.owner, job.error or ""],
    "job_counts": jobs.product(job).total if job.phase == "COMPLETED" else None,
}}))
"""


def test_allowed_user_lands_in_a_running_server_and_searches_the_archive(
    hub, oidc_provider, context, data_dir
):
    page = context.new_page()
    login(page, hub, oidc_provider, "alice", oidc_provider.password("alice"))
    page.wait_for_url(re.compile(r"/user/alice/lab"), timeout=90_000)
    assert page.locator("#jupyter-config-data").count() == 1  # JupyterLab's page

    user = hub.api("GET", "/users/alice").json()
    assert user["servers"][""]["ready"] is True
    assert user["groups"] == ["cta-consortium"]  # from the provider's groups claim

    # the hub's session cookie: HttpOnly and SameSite=Lax (Secure needs https, see README)
    cookies = {c["name"]: c for c in context.cookies(hub.url + "/hub/")}
    assert cookies["jupyterhub-hub-login"]["httpOnly"] is True
    assert cookies["jupyterhub-hub-login"]["sameSite"] == "Lax"
    # XSRF stays on: the cookie authenticates a GET, but a POST without the token is refused
    assert context.request.get(hub.api_url + "/user").json()["name"] == "alice"
    refused = context.request.post(hub.api_url + "/users/alice/server")
    assert refused.status == 403, refused.text()

    # a cell in alice's kernel: the archive knows her through the hub, no second login
    printed = run_cell(hub, "alice", CELL, timeout=300)
    result = json.loads(printed.strip().splitlines()[-1])
    assert result["user"] == "alice"
    assert result["service"] == hub.archive_url
    assert result["obs_ids"] == cta_obs_ids(data_dir)
    assert result["job"] == ["COMPLETED", "alice", ""]
    assert result["job_counts"] > 1000  # events of the proprietary CTA runs, read for her
    # and the same query without her identity sees none of these proprietary runs
    import pyvo

    anonymous = pyvo.dal.TAPService(hub.archive_url + "/tap").run_sync(CTA_QUERY).to_table()
    assert len(anonymous) == 0


def test_user_outside_the_allowed_groups_is_refused(hub, oidc_provider, context):
    page = context.new_page()
    with page.expect_response(re.compile(r"/hub/oauth_callback")) as callback:
        login(page, hub, oidc_provider, "bob", oidc_provider.password("bob"))
    assert callback.value.status == 403
    assert "jupyterhub-hub-login" not in {c["name"] for c in context.cookies(hub.url + "/hub/")}
    assert hub.api("GET", "/users/bob").status_code == 404


def test_wrong_password_is_refused(hub, oidc_provider, context):
    page = context.new_page()
    login(page, hub, oidc_provider, "alice", "not-" + oidc_provider.password("alice"))
    page.wait_for_selector("#error")
    assert page.url.startswith(oidc_provider.url + "/interaction/")
    assert "jupyterhub-hub-login" not in {c["name"] for c in context.cookies(hub.url + "/hub/")}
    # the hub never received a code: no new login for alice was recorded
    assert "Invalid user name or password" in page.content()


def test_no_secret_appears_in_the_logs(hub, oidc_provider):
    """Run last: the logs of every test above hold no token, password or client secret."""
    logs = hub.logs() + oidc_provider.log_path.read_text(errors="replace")
    assert "login accepted" in logs and "Spawning" in logs  # the logs are the real ones
    assert len(hub.secrets) >= 5
    for value in hub.secrets:
        assert value not in logs
