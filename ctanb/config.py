"""Run-time configuration of ctanb, read from environment variables.

Every setting has one environment variable; nothing else is consulted, so a
notebook, a service and a test see the same values. See the configuration
reference in the README for the list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "get_settings", "repo_root"]

DEFAULT_SERVICE_PORT = 8765


def repo_root() -> Path:
    """Return the source checkout that holds this package (for the demo data path)."""
    return Path(__file__).resolve().parent.parent


def _default_home() -> Path:
    # initdb runs as the unprivileged ``postgres`` user when the caller is root, and
    # that user cannot enter /root: keep root's private cluster somewhere it can.
    if os.geteuid() == 0:
        return Path("/var/lib/ctanb")
    return Path.home() / ".ctanb"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """ctanb settings.

    Parameters
    ----------
    home : Path
        Folder owned by ctanb: the private PostgreSQL cluster, job results,
        downloads. ``CTANB_HOME``; default ``~/.ctanb`` (``/var/lib/ctanb`` for root).
    database_url : str or None
        libpq URL of an existing PostgreSQL server with pg_sphere
        (``CTANB_DATABASE_URL``). When unset, ctanb starts its own cluster in ``home``.
    reader_database_url : str or None
        libpq URL with which user queries log in as the role ``ctanb_reader``
        (``CTANB_READER_DATABASE_URL``); by default the store's own URL with that user name
        and no password, which suits the private cluster.
    data_dir : Path
        Folder of DL3 data ingested by ``ctanb demo`` (``CTANB_DATA``; default
        ``../shared/data`` next to the source checkout).
    catalogs_dir : Path
        Folder with gamma-cat and HGPS for offline name resolution (``CTANB_CATALOGS``;
        default ``<data_dir>/catalogs``).
    service_url : str
        Base URL of the ctanb archive service (TAP, data, UWS) used by clients
        (``CTANB_SERVICE_URL``; default ``http://127.0.0.1:8765``).
    dask_scheduler : str or None
        Address of a dask scheduler (``CTANB_DASK_SCHEDULER``); a LocalCluster when unset.
    cache_dir : Path
        Columnar event cache and downloads (``CTANB_CACHE``; default ``<home>/cache``).
    cache_limit_gb : float
        Size of the columnar event cache above which the least recently used runs are
        removed (``CTANB_CACHE_LIMIT_GB``; default 20). Plan 56 bytes per event.
    token : str or None
        API token sent to the service (``CTANB_TOKEN``, else ``JUPYTERHUB_API_TOKEN``).
    """

    home: Path = field(default_factory=_default_home)
    database_url: str | None = None
    reader_database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: repo_root().parent / "shared" / "data")
    catalogs_dir: Path | None = None
    service_url: str = f"http://127.0.0.1:{DEFAULT_SERVICE_PORT}"
    dask_scheduler: str | None = None
    cache_dir: Path | None = None
    cache_limit_gb: float = 20.0
    token: str | None = None

    def __post_init__(self) -> None:
        if self.catalogs_dir is None:
            object.__setattr__(self, "catalogs_dir", self.data_dir / "catalogs")
        if self.cache_dir is None:
            object.__setattr__(self, "cache_dir", self.home / "cache")

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from the ``CTANB_*`` environment variables."""
        base = cls()
        home = _env_path("CTANB_HOME", base.home)
        data_dir = _env_path("CTANB_DATA", base.data_dir)
        catalogs = os.environ.get("CTANB_CATALOGS")
        cache = os.environ.get("CTANB_CACHE")
        return cls(
            home=home,
            database_url=os.environ.get("CTANB_DATABASE_URL") or None,
            reader_database_url=os.environ.get("CTANB_READER_DATABASE_URL") or None,
            data_dir=data_dir,
            catalogs_dir=Path(catalogs).expanduser().resolve() if catalogs else None,
            service_url=os.environ.get("CTANB_SERVICE_URL", base.service_url).rstrip("/"),
            dask_scheduler=os.environ.get("CTANB_DASK_SCHEDULER") or None,
            cache_dir=Path(cache).expanduser().resolve() if cache else None,
            cache_limit_gb=float(os.environ.get("CTANB_CACHE_LIMIT_GB") or base.cache_limit_gb),
            token=os.environ.get("CTANB_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN") or None,
        )


def get_settings() -> Settings:
    """Return the current settings (read from the environment on every call)."""
    return Settings.from_env()
