"""JupyterLab on loopback driven by headless Chromium (playwright), for the widget tests."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ctanb.testing import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "widgets"


@dataclass
class Lab:
    """A running JupyterLab: its URL, token and notebook root."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code cells into the root; return its path relative to it."""
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": src,
                    "outputs": [],
                    "execution_count": None,
                }
                for src in cells
            ],
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.root / name).write_text(json.dumps(nb))
        return name


@pytest.fixture(scope="session")
def aladin_assets() -> Path:
    """The Aladin Lite assets installed into this environment (as the project's set-up does)."""
    from ctanb.widgets.aladin import install_assets

    return install_assets()


@dataclass
class SampHub:
    """A SAMP hub of the test process with one receiving client that records notifications."""

    hub: object
    lockfile: Path
    received: list[tuple[str, dict]] = field(default_factory=list)

    def wait(self, count: int, timeout: float = 15.0) -> list[tuple[str, dict]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.received


@pytest.fixture(scope="session")
def samp_hub(tmp_path_factory) -> Iterator[SampHub]:
    """A SAMPHubServer and a receiver of table.load.votable / table.load.fits."""
    from pyvo.samp import SAMPHubServer, SAMPIntegratedClient

    lockfile = tmp_path_factory.mktemp("samp") / "samp-hub"
    hub = SAMPHubServer(web_profile=False, lockfile=str(lockfile), pool_size=4)
    hub.start()
    record = SampHub(hub, lockfile)
    receiver = SAMPIntegratedClient(name="test receiver")
    receiver.connect(hub_params=hub.params)

    def on_message(private_key, sender_id, msg_id, mtype, params, extra):
        record.received.append((mtype, params))

    for mtype in ("table.load.votable", "table.load.fits"):
        receiver.bind_receive_notification(mtype, on_message)
    yield record
    receiver.disconnect()
    hub.stop()


class _Consent:
    """Web Profile consent 'dialog' that accepts every registration (the user clicking yes)."""

    queue_request = None
    queue_result = None

    def __init__(self) -> None:
        import threading

        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import queue

        while not self.stopped.is_set():
            try:
                self.queue_request.get(timeout=0.1)
            except (AttributeError, queue.Empty):
                time.sleep(0.05)
                continue
            self.queue_result.put(True)


@pytest.fixture
def web_samp_hub(tmp_path) -> Iterator[tuple[SampHub, str]]:
    """A hub with the Web Profile on a free port; returns it and its Web Profile URL."""
    from pyvo.samp import SAMPHubServer, SAMPIntegratedClient

    consent = _Consent()
    hub = SAMPHubServer(
        web_profile=True,
        web_port=free_port(),
        lockfile=str(tmp_path / "hub"),
        web_profile_dialog=consent,
        pool_size=4,
    )
    hub.start()
    record = SampHub(hub, tmp_path / "hub")
    receiver = SAMPIntegratedClient(name="web test receiver")
    receiver.connect(hub_params=hub.params)

    def on_message(private_key, sender_id, msg_id, mtype, params, extra):
        record.received.append((mtype, params))

    for mtype in ("table.load.votable", "table.load.fits"):
        receiver.bind_receive_notification(mtype, on_message)
    yield record, f"http://127.0.0.1:{hub._web_port}/"
    receiver.disconnect()
    hub.stop()
    consent.stopped.set()


@pytest.fixture(scope="session")
def lab(ctanb_settings, aladin_assets, samp_hub) -> Iterator[Lab]:
    """``jupyter lab`` on 127.0.0.1 with a temporary root and the session's CTANB_* settings."""
    root = Path(tempfile.mkdtemp(prefix="ctanb-lab-"))
    token = secrets.token_hex(16)
    port = free_port()
    log = root.parent / f"{root.name}.log"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".jupyter-runtime"),
        # The kernel's SAMP client finds the test's hub as it would find a desktop one.
        "SAMP_HUB": f"std-lockurl:{samp_hub.lockfile.as_uri()}",
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        f"--ServerApp.token={token}",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.disable_check_xsrf=False",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited: {log.read_text()[-3000:]}")
        try:
            if (
                httpx.get(f"{url}/api/status", params={"token": token}, timeout=2).status_code
                == 200
            ):
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"jupyter lab did not start: {log}")
        time.sleep(0.3)
    yield Lab(url, token, root, process, log)
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class Browser:
    """A Chromium page with the console and network requests it saw."""

    page: object
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def open_notebook(self, lab: Lab, notebook: str, timeout: float = 60_000) -> None:
        """Open ``notebook`` in JupyterLab and wait for its kernel."""
        page = self.page
        page.goto(f"{lab.url}/lab/tree/{notebook}?token={lab.token}&reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout
        )
        # JupyterLab's "notified about news?" toast covers the bottom right corner.
        toast = page.get_by_role("button", name="No", exact=True)
        with contextlib.suppress(Exception):
            toast.click(timeout=3000)

    def run_cell(self, index: int) -> object:
        """Run the ``index``-th cell (click into it, Shift+Enter); return its locator."""
        cell = self.page.locator(".jp-Notebook .jp-Cell").nth(index)
        prompt = cell.locator(".jp-InputPrompt")
        # A run sent before the kernel connection is fully up is dropped silently: retry.
        for _ in range(20):
            prompt.click()
            self.page.locator(
                ".jp-NotebookPanel-toolbar [data-command='notebook:run-cell-and-select-next']"
            ).click()
            for _ in range(10):
                if prompt.inner_text().strip() not in ("[ ]:", ""):
                    return cell
                self.page.wait_for_timeout(100)
        raise AssertionError(f"cell {index} did not start running")

    def cell_output(self, index: int, contains: str, timeout: float = 60_000) -> str:
        """Wait until the cell's output contains ``contains``; return the output text."""
        output = (
            self.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea-output")
        )
        output.filter(has_text=contains).first.wait_for(timeout=timeout)
        return output.all_inner_texts()[-1]

    def outside_requests(self) -> list[str]:
        """Requests to any host but 127.0.0.1 (blob:/data: URLs excluded)."""
        return [
            u
            for u in self.requests
            if u.startswith(("http:", "https:", "ws:", "wss:"))
            and not u.split("/")[2].startswith("127.0.0.1")
        ]


@pytest.fixture
def browser(chromium, request) -> Iterator[Browser]:
    """A fresh page that records console messages and every request."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    record = Browser(page)
    page.on("console", lambda m: record.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: record.errors.append(str(e)))
    page.on("request", lambda r: record.requests.append(r.url))
    page.on("requestfailed", lambda r: record.failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and record.failed.append(f"{r.url} {r.status}"))
    yield record
    try:
        record.screenshot(f"{request.node.name}-end")
        (ARTIFACTS / f"{request.node.name}-console.txt").write_text(
            "\n".join(
                [*record.console, "--- page errors", *record.errors, "--- failed", *record.failed]
            )
        )
    finally:
        context.close()
