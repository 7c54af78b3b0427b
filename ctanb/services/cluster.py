"""A private PostgreSQL + pg_sphere cluster in a folder that ctanb owns.

When no database is configured, ctanb runs its own cluster: ``initdb`` once, then
``pg_ctl start`` with a unix socket in the same folder and no TCP listener. Both refuse
to run as root, so a root caller (CI) runs them as the unprivileged ``postgres`` user,
which owns the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ctanb.errors import ConfigurationError

__all__ = ["PrivateCluster", "find_pg_bin"]

DEFAULT_PORT = 5439
SERVICE_USER = "postgres"
PG_ROOT = Path("/usr/lib/postgresql")  # Debian's and Ubuntu's layout: one folder per version
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def _has_server(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SERVER_BINARIES)


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    return Path(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else None


def _version_key(folder: Path) -> tuple[int, ...]:
    parts = folder.parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def find_pg_bin(pg_root: Path = PG_ROOT) -> Path:
    """Return the folder of PostgreSQL's server binaries (``initdb``, ``pg_ctl``, ``postgres``).

    Looked up in this order: ``CTANB_PG_BIN``; ``pg_config --bindir``; the newest version
    under ``/usr/lib/postgresql`` (Debian and Ubuntu install one folder per major version,
    e.g. 15 on Debian bookworm, 16 on Ubuntu 24.04); ``initdb`` on the ``PATH``. Any version
    with the pg_sphere extension installed for it will do.

    Parameters
    ----------
    pg_root : Path
        Folder of per-version installations (default ``/usr/lib/postgresql``).

    Raises
    ------
    ConfigurationError
        When no server binaries are found, saying what to install or set.
    """
    configured = os.environ.get("CTANB_PG_BIN")
    if configured:
        if not _has_server(Path(configured)):
            raise ConfigurationError(
                f"CTANB_PG_BIN={configured} does not hold PostgreSQL's server binaries "
                f"({', '.join(SERVER_BINARIES)}): point it at e.g. /usr/lib/postgresql/16/bin"
            )
        return Path(configured)
    bindir = _pg_config_bindir()
    if bindir is not None and _has_server(bindir):
        return bindir
    installed = sorted(
        (p for p in pg_root.glob("*/bin") if _has_server(p)), key=_version_key, reverse=True
    )
    if installed:
        return installed[0]
    initdb = shutil.which("initdb")
    if initdb and _has_server(Path(initdb).parent):
        return Path(initdb).parent
    raise ConfigurationError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install PostgreSQL "
        "and pg_sphere (`make setup` installs postgresql-15 and postgresql-15-pgsphere on "
        "Debian; postgresql-16 and postgresql-16-pgsphere on Ubuntu 24.04), set CTANB_PG_BIN, "
        "or point CTANB_DATABASE_URL at a server."
    )


@dataclass(frozen=True)
class PrivateCluster:
    """A PostgreSQL cluster in ``<home>/postgres`` reached through a unix socket.

    Parameters
    ----------
    home : Path
        ctanb's folder (``Settings.home``); the cluster lives in ``home/postgres``.
    port : int
        Port number; with no TCP listener it only names the socket file.
    """

    home: Path
    port: int = DEFAULT_PORT

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        return self.home / "postgres" / "data"

    @property
    def socket_dir(self) -> Path:
        """Folder of the unix socket."""
        return self.home / "postgres" / "run"

    @property
    def log_file(self) -> Path:
        """The server's log file."""
        return self.home / "postgres" / "server.log"

    @property
    def superuser(self) -> str:
        """Role that owns the cluster (the OS user running it)."""
        return SERVICE_USER if _is_root() else pwd.getpwuid(os.geteuid()).pw_name

    def conninfo(self, dbname: str = "postgres", user: str | None = None) -> str:
        """Return a libpq connection string for this cluster."""
        return (
            f"host={self.socket_dir} port={self.port} dbname={dbname} user={user or self.superuser}"
        )

    # -- life cycle -------------------------------------------------------------------
    def is_initialised(self) -> bool:
        """Whether initdb has run."""
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        """Whether the server is up."""
        if not self.is_initialised():
            return False
        result = self._run(["pg_ctl", "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    def start(self) -> bool:
        """Initialise (first time) and start the cluster; return True if it was started now."""
        if self.is_running():
            return False
        if not self.is_initialised():
            self._initdb()
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._own(self.socket_dir)
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' "
            "-c max_connections=200 -c shared_buffers=256MB -c fsync=on"
        )
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        return True

    def stop(self) -> bool:
        """Stop the cluster (fast shutdown); return True if it was running."""
        if not self.is_running():
            return False
        self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        return True

    def status(self) -> str:
        """One line saying where the cluster is and whether it runs."""
        if not self.is_initialised():
            return f"no cluster in {self.data_dir}"
        state = "running" if self.is_running() else "stopped"
        return f"{state}: {self.data_dir} (socket {self.socket_dir}, port {self.port})"

    # -- helpers ------------------------------------------------------------------------
    def _initdb(self) -> None:
        root = self.home / "postgres"
        root.mkdir(parents=True, exist_ok=True)
        self._own(self.home, recursive=False)
        self._own(root)
        self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                self.superuser,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )

    def _own(self, path: Path, recursive: bool = True) -> None:
        if not _is_root():
            return
        entry = pwd.getpwnam(SERVICE_USER)
        paths = [path, *(path.rglob("*") if recursive else [])]
        for p in paths:
            os.chown(p, entry.pw_uid, entry.pw_gid)
        # the postgres user must be able to reach the folder through its parents
        for parent in path.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                raise ConfigurationError(
                    f"{parent} is not traversable by the '{SERVICE_USER}' user, which runs the "
                    "private PostgreSQL cluster when ctanb runs as root; set CTANB_HOME to a "
                    "folder outside it (e.g. /var/lib/ctanb)."
                )

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(find_pg_bin() / argv[0]), *argv[1:]]
        if _is_root():
            argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise ConfigurationError(
                f"{' '.join(argv)} failed:\n{result.stderr.strip()}\n{log}".strip()
            )
        return result


def _is_root() -> bool:
    return os.geteuid() == 0
