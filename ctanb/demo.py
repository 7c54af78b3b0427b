"""``ctanb demo``: the whole stack on one machine, started with one command.

Starts (or reuses) the private store, ingests the demo data, starts the archive service
and JupyterLab with the tutorials, prints the URLs, and stops what it started on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ctanb.clitools import SubParsers, add_command
from ctanb.config import Settings, get_settings, repo_root
from ctanb.services.cluster import PrivateCluster
from ctanb.services.ingest import ingest
from ctanb.services.store import Store

__all__ = ["register", "run_demo"]


def register(subparsers: SubParsers) -> None:
    """Add ``ctanb demo``."""
    what = "start the store, ingest the demo data, start the services and JupyterLab"
    demo = add_command(subparsers, "demo", run_demo, help=what)
    demo.add_argument(
        "data",
        nargs="*",
        type=Path,
        help="folders to ingest (default: the hess-dl3-dr1 and cta-1dc folders "
        "of CTANB_DATA, ../shared/data next to the checkout)",
    )
    demo.add_argument("--port", type=int, default=None, help="service port (default 8765)")
    demo.add_argument("--lab-port", type=int, default=8888, help="JupyterLab port (default 8888)")
    demo.add_argument("--no-lab", action="store_true", help="do not start JupyterLab")
    demo.add_argument(
        "--no-wait",
        action="store_true",
        help="start everything, print the URLs and stop again (a smoke test)",
    )


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo stack until Ctrl-C."""
    settings = get_settings()
    if args.port:
        settings = Settings(**{**settings.__dict__, "service_url": f"http://127.0.0.1:{args.port}"})
    port = int(settings.service_url.rsplit(":", 1)[1])
    cluster, started_store = _start_store(settings)
    store = Store.open(settings)
    _ingest(args.data, settings, store)
    children: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "CTANB_SERVICE_URL": settings.service_url,
        "CTANB_HOME": str(settings.home),
        "CTANB_DATA": str(settings.data_dir),
    }
    try:
        _start_service(settings.service_url, port, env, children)
        lab_url = None if args.no_lab else _start_lab(args.lab_port, env, children)
        print()
        print(f"  TAP service : {settings.service_url}/tap")
        print(f"  Downloads   : {settings.service_url}/data/{{collection}}/{{obs_id}}")
        if lab_url:
            print(f"  JupyterLab  : {lab_url}")
        print("\nPress Ctrl-C to stop.", flush=True)
        if not args.no_wait:
            stop = {signal.SIGINT, signal.SIGTERM}
            signal.pthread_sigmask(signal.SIG_BLOCK, stop)
            signal.sigwait(stop)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
        store.close()
        if started_store and cluster is not None:
            cluster.stop()
            _step("stopped the private PostgreSQL cluster this run started")


def _start_store(settings: Settings) -> tuple[PrivateCluster | None, bool]:
    """The private cluster (None with an external database) and whether this run starts it."""
    _step(f"store: {settings.database_url or settings.home / 'postgres'}")
    cluster = None if settings.database_url else PrivateCluster(settings.home)
    started_store = cluster is not None and not cluster.is_running()
    if started_store and cluster is not None:
        print(
            "    starting the private PostgreSQL cluster"
            + ("" if cluster.is_initialised() else " (first start: initdb takes a few seconds)")
        )
    return cluster, started_store


def _ingest(data: list[Path], settings: Settings, store: Store) -> None:
    """Ingest ``data`` (default the demo folders of the data directory), with progress."""
    folders = data or [settings.data_dir / "hess-dl3-dr1", settings.data_dir / "cta-1dc"]
    _step("ingesting " + ", ".join(str(f) for f in folders))

    def progress(done: int, total: int, path: object) -> None:
        print(f"\r    {done}/{total} files", end="", flush=True)

    report = ingest(folders, store, catalogs_dir=settings.catalogs_dir, progress=progress)
    print()
    print("    " + str(report).replace("\n", "\n    "))


def _start_service(
    url: str, port: int, env: dict[str, str], children: list[subprocess.Popen[bytes]]
) -> None:
    """Start the archive service (added to ``children``) unless one already answers at ``url``."""
    if _answers(url):
        _step(f"archive service already running at {url}")
        return
    _step(f"starting the archive service on {url}")
    children.append(
        subprocess.Popen([sys.executable, "-m", "ctanb.cli", "serve", "--port", str(port)], env=env)
    )
    _wait_for(url + "/tap/availability", children[-1])


def _start_lab(
    lab_port: int, env: dict[str, str], children: list[subprocess.Popen[bytes]]
) -> str | None:
    """Start JupyterLab on the tutorials (added to ``children``); its URL, None without it."""
    if not shutil.which("jupyter", path=str(Path(sys.executable).parent)):
        return None
    token = secrets.token_hex(16)
    notebooks = repo_root() / "notebooks"
    notebooks.mkdir(exist_ok=True)
    _step(f"starting JupyterLab on port {lab_port} in {notebooks}")
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={lab_port}",
        "--ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={notebooks}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    children.append(subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL))
    first = notebooks / "01_search.ipynb"  # the tutorials open at the first one
    page = "lab/tree/01_search.ipynb" if first.exists() else "lab"
    _wait_for(f"http://127.0.0.1:{lab_port}/api/status?token={token}", children[-1])
    return f"http://127.0.0.1:{lab_port}/{page}?token={token}"


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes this run started, the last started first."""
    for child in reversed(children):
        child.terminate()
    for child in children:
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
    if children:
        _step("stopped the services")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/tap/availability", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for(url: str, child: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"{child.args!r} exited with {child.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s")
