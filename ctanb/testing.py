"""Helpers to run a real ctanb stack in tests and benchmarks (a private store and a service)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ctanb.config import Settings, get_settings
from ctanb.services.cluster import PrivateCluster
from ctanb.services.store import Store

__all__ = ["ServiceProcess", "free_port", "private_home", "private_store"]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_home(prefix: str = "ctanb-test-") -> Path:
    """Make a folder for a private store that the ``postgres`` user can reach (mode 755)."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    return home


@contextmanager
def private_store(prefix: str = "ctanb-test-") -> Iterator[tuple[Settings, Store]]:
    """A private, empty store in a fresh folder, and settings for a service on a free port.

    The store is closed, its cluster stopped and its folder removed on exit.

    Parameters
    ----------
    prefix : str
        Prefix of the temporary folder's name.

    Yields
    ------
    (Settings, Store)
        Settings naming the folder, the data (``CTANB_DATA``) and the service URL; the store.
    """
    home = private_home(prefix)
    settings = Settings(
        home=home, data_dir=get_settings().data_dir, service_url=f"http://127.0.0.1:{free_port()}"
    )
    store = Store.open(settings)
    try:
        yield settings, store
    finally:
        store.close()
        PrivateCluster(home).stop()
        shutil.rmtree(home, ignore_errors=True)


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that reproduce ``settings`` in a child process."""
    env = {
        "CTANB_HOME": str(settings.home),
        "CTANB_DATA": str(settings.data_dir),
        "CTANB_SERVICE_URL": settings.service_url,
    }
    if settings.database_url:
        env["CTANB_DATABASE_URL"] = settings.database_url
    if settings.reader_database_url:
        env["CTANB_READER_DATABASE_URL"] = settings.reader_database_url
    if settings.catalogs_dir:
        env["CTANB_CATALOGS"] = str(settings.catalogs_dir)
    if settings.cache_dir:
        env["CTANB_CACHE"] = str(settings.cache_dir)
    if settings.dask_scheduler:
        env["CTANB_DASK_SCHEDULER"] = settings.dask_scheduler
    return env


@dataclass
class ServiceProcess:
    """``ctanb serve`` in a child process on 127.0.0.1.

    Parameters
    ----------
    settings : Settings
        Settings of the service (its store); ``service_url`` gives the port.
    extra_env : dict
        More environment variables for the child.
    workers : int
        Service processes (``ctanb serve --workers``).
    """

    settings: Settings
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the service."""
        return self.settings.service_url

    @property
    def port(self) -> int:
        """Port of the service."""
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        """Start the service and wait until TAP answers."""
        env = {**os.environ, **settings_env(self.settings), **self.extra_env}
        self.log_path = self.log_path or self.settings.home / f"service-{self.port}.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "ctanb.cli", "serve", "--port", str(self.port)),
                *(("--workers", str(self.workers)) if self.workers != 1 else ()),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ctanb serve exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/tap/availability", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"ctanb serve did not answer within {timeout} s: {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        """Stop the service (SIGKILL simulates a crash)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def kill(self) -> None:
        """Kill the service abruptly, as a crash would."""
        self.stop(signal.SIGKILL)
