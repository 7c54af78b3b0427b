"""The Binder files do what repo2docker will do with them, on this machine.

A copy of the repository (the files git knows, tracked or new) gets a fresh virtual
environment with ``binder/requirements.txt``; ``binder/postBuild`` runs in it (Aladin Lite
assets, a new store with the data ingested), then ``binder/start`` starts the store and the
service on a free port and runs, in its place, a script that executes the first tutorial
with nbclient. Not covered: the Docker image itself, ``apt.txt`` (this machine already has
the Debian packages) and the data download (``CTANB_DATA`` points at the shared data).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctanb.testing import free_port, private_home

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RUN_NOTEBOOK = """
import os
import sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=180, kernel_name="python3").execute()
url = os.environ["CTANB_SERVICE_URL"]
printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
print("notebook ran:", sys.argv[1])
print("service used:", url, url in printed)
"""


def _run(command, *, env, cwd, timeout, log: Path) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        command, env=env, cwd=cwd, timeout=timeout, capture_output=True, text=True
    )
    with log.open("a") as stream:
        stream.write(f"$ {' '.join(map(str, command))}  ({time.monotonic() - started:.0f} s)\n")
        stream.write(result.stdout + result.stderr + "\n")
    assert result.returncode == 0, (
        f"{command[0]} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


def _copy_repository(target: Path) -> None:
    """What repo2docker copies into the image: the repository's files (no .venv, no caches)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # npm's packages as an npm cache would give them (15 MB). A copy, not a link: when the
    # copied lock file looks newer, install_node.sh runs `npm ci`, which empties node_modules
    # first, and must never empty the checkout's own.
    if (ROOT / "node_modules").is_dir():
        shutil.copytree(ROOT / "node_modules", target / "node_modules", symlinks=True)


def test_binder_postbuild_start_and_first_notebook(tmp_path, data_dir):
    repo = tmp_path / "repo"
    repo.mkdir()
    _copy_repository(repo)
    log = tmp_path / "binder.log"
    venv = tmp_path / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    home = private_home("ctanb-binder-")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CTANB_", "VIRTUAL_ENV"))},
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "CTANB_HOME": str(home),
        "CTANB_DATA": str(data_dir),
        "CTANB_PORT": str(port),
    }
    try:
        started = time.monotonic()
        _run(
            [venv / "bin/pip", "install", "-q", "-r", "binder/requirements.txt"],
            env=env,
            cwd=repo,
            timeout=900,
            log=log,
        )
        pip_seconds = time.monotonic() - started
        print(f"pip install -r binder/requirements.txt: {pip_seconds:.0f} s")

        _run(["binder/postBuild"], env=env, cwd=repo, timeout=600, log=log)
        assert (venv / "share/jupyter/labextensions/ctanb-aladin/static/aladin.js").is_file()

        script = tmp_path / "run_notebook.py"
        script.write_text(RUN_NOTEBOOK)
        result = _run(
            ["binder/start", "python", str(script), "notebooks/01_search.ipynb"],
            env=env,
            cwd=repo,
            timeout=600,
            log=log,
        )
        assert "notebook ran: notebooks/01_search.ipynb" in result.stdout
        # start set CTANB_SERVICE_URL to its service, and the notebook printed it
        assert f"service used: http://127.0.0.1:{port} True" in result.stdout, result.stdout
    finally:
        pid_file = home / "service.pid"
        if pid_file.is_file():
            pid = int(pid_file.read_text())
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):  # not our child: wait until it is gone
                    os.kill(pid, 0)
                    time.sleep(0.2)
            except ProcessLookupError:
                pass
        if (venv / "bin/ctanb").exists():
            subprocess.run(
                [venv / "bin/ctanb", "db", "stop"], env=env, cwd=repo, timeout=60, check=False
            )
        shutil.rmtree(home, ignore_errors=True)
