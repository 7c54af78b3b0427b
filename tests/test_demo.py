"""``ctanb demo``: the README's first command, run as a user runs it (a child process)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from ctanb.services.cluster import PrivateCluster
from ctanb.testing import free_port, private_home

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_env(data_dir):
    home = private_home("ctanb-demo-test-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTANB_", "JUPYTERHUB_"))}
    env.update({"CTANB_HOME": str(home), "CTANB_DATA": str(data_dir)})
    yield env, home
    PrivateCluster(home).stop()
    subprocess.run(["rm", "-rf", str(home)], check=False)


def _demo(env, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ctanb.cli", "demo", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 240) -> str:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    process.kill()
    pytest.fail(f"no {marker!r} in the demo's output:\n{''.join(lines)}")


def test_demo_starts_everything_and_ctrl_c_stops_it(demo_env):
    env, home = demo_env
    port, lab_port = free_port(), free_port()
    process = _demo(env, "--port", str(port), "--lab-port", str(lab_port))
    output = _read_until(process, "Press Ctrl-C")
    assert "ingested 109 observations" in output  # 105 H.E.S.S. + 4 CTA 1DC runs
    assert re.search(r"\d+/\d+ files", output)  # ingestion shows its progress
    tap = f"http://127.0.0.1:{port}/tap"
    assert httpx.get(tap + "/availability").status_code == 200
    lab_url = re.search(r"JupyterLab\s+: (\S+)", output)[1]
    assert "/lab/tree/01_search.ipynb?token=" in lab_url  # the tutorials open at the first
    assert httpx.get(lab_url, timeout=30).status_code == 200
    assert PrivateCluster(home).is_running()

    process.send_signal(signal.SIGINT)  # Ctrl-C
    rest = process.communicate(timeout=60)[0]
    assert process.returncode == 0, rest
    assert "stopped the private PostgreSQL cluster" in rest
    assert not PrivateCluster(home).is_running()
    for url in (tap + "/availability", lab_url):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)


def _demo_no_wait(env) -> subprocess.CompletedProcess[str]:
    """``ctanb demo --no-lab --no-wait``: start, print the URLs, stop."""
    port = str(free_port())
    return subprocess.run(
        [sys.executable, "-m", "ctanb.cli", "demo", "--no-lab", "--no-wait", "--port", port],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_second_run_reuses_the_store(demo_env):
    env, home = demo_env
    first = _demo_no_wait(env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "first start: initdb" in first.stdout
    again = _demo_no_wait(env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "first start" not in again.stdout  # the same cluster and database, started again
    assert "ingested 109 observations" in again.stdout  # rows updated in place, not doubled
    from ctanb.config import Settings
    from ctanb.services.store import Store

    PrivateCluster(home).start()
    store = Store.open(Settings(home=home))
    with store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM archive.observation").fetchone()[0] == 109
    store.close()
