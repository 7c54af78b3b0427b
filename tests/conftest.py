"""Session fixtures: one real private store filled with ../shared/data and one real service.

Every test that needs the archive uses these; they start once per test session.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctanb.config import Settings, get_settings
from ctanb.testing import ServiceProcess, free_port, private_home

DATA = get_settings().data_dir
HESS = DATA / "hess-dl3-dr1"
CTA1DC = DATA / "cta-1dc"
CRAB_RUNS = ("23523", "23526", "23559", "23592")
CHROMIUM = "/usr/bin/chromium"  # Debian's; playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing leaves loopback
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not DATA.exists():
        raise pytest.UsageError(f"test data not found at {DATA}: set CTANB_DATA")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real data (H.E.S.S. DL3 DR1, CTA 1DC, catalogues)."""
    return DATA


@pytest.fixture(scope="session")
def ctanb_settings() -> Iterator[Settings]:
    """Settings of the test session's own store, service and cache (a fresh folder)."""
    home = private_home()
    port = free_port()
    settings = Settings(home=home, data_dir=DATA, service_url=f"http://127.0.0.1:{port}")
    saved = {k: v for k, v in os.environ.items() if k.startswith("CTANB_")}
    os.environ.update(
        {
            "CTANB_HOME": str(home),
            "CTANB_DATA": str(DATA),
            "CTANB_SERVICE_URL": settings.service_url,
        }
    )
    for name in ("CTANB_DATABASE_URL", "CTANB_TOKEN", "CTANB_CACHE", "CTANB_DASK_SCHEDULER"):
        os.environ.pop(name, None)
    yield settings
    for key in [k for k in os.environ if k.startswith("CTANB_")]:
        del os.environ[key]
    os.environ.update(saved)
    from ctanb.services.cluster import PrivateCluster

    PrivateCluster(home).stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def store(ctanb_settings: Settings):
    """The session's ObsCore store, with H.E.S.S. DL3 DR1 and CTA 1DC ingested."""
    from ctanb.services.ingest import ingest
    from ctanb.services.store import Store

    store = Store.open(ctanb_settings)
    report = ingest([HESS, CTA1DC], store, catalogs_dir=ctanb_settings.catalogs_dir)
    assert len(report.ingested) == 109, str(report)
    return store


@pytest.fixture(scope="session")
def service(store, ctanb_settings: Settings) -> Iterator[ServiceProcess]:
    """A running ``ctanb serve`` on the session's store."""
    process = ServiceProcess(ctanb_settings).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def archive_url(service: ServiceProcess) -> str:
    """Base URL of the running service (TAP at ``/tap``)."""
    return service.url


@pytest.fixture(scope="session")
def tap_url(archive_url: str) -> str:
    """URL of the TAP service."""
    return archive_url + "/tap"


@pytest.fixture(scope="session")
def tokens(store) -> dict[str, str]:
    """Local API tokens: ``alice`` in cta-consortium, ``bob`` in no group."""
    from ctanb.services.auth import create_token

    return {
        "alice": create_token(store, "alice", ["cta-consortium"]),
        "bob": create_token(store, "bob", []),
    }


# Make tests/tests_support.py importable from every test folder.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Chromium through playwright, one per session for the hub and widget tests.

    One instance only: playwright's sync API runs an event loop of its own, and a second
    ``sync_playwright()`` in the same thread refuses to start.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def crab_files() -> list[Path]:
    """The four H.E.S.S. DR1 runs of the Crab, as DL3 files."""
    return [HESS / "data" / f"hess_dl3_dr1_obs_id_{int(o):06d}.fits.gz" for o in CRAB_RUNS]
