"""PostgreSQL's server binaries are found for whatever version is installed (Binder: 16)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from ctanb.errors import ConfigurationError
from ctanb.services import cluster

ROOT = Path(__file__).resolve().parents[2]


def _fake_install(root: Path, version: str, complete: bool = True) -> Path:
    """A /usr/lib/postgresql/<version>/bin with executable stand-ins for the server."""
    folder = root / version / "bin"
    folder.mkdir(parents=True)
    for name in cluster.SERVER_BINARIES if complete else ("initdb",):
        path = folder / name
        path.write_text("#!/bin/sh\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.fixture
def no_pg_config(monkeypatch, tmp_path):
    """A PATH with neither pg_config nor initdb, and no CTANB_PG_BIN."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("CTANB_PG_BIN", raising=False)


def test_newest_version_under_the_root(tmp_path, no_pg_config):
    root = tmp_path / "postgresql"
    _fake_install(root, "9.6")
    _fake_install(root, "15")
    newest = _fake_install(root, "16")
    _fake_install(root, "17", complete=False)  # a client-only or half-removed version
    assert cluster.find_pg_bin(root) == newest


def test_environment_variable_wins_and_is_checked(tmp_path, monkeypatch):
    chosen = _fake_install(tmp_path / "pg", "14")
    monkeypatch.setenv("CTANB_PG_BIN", str(chosen))
    assert cluster.find_pg_bin(tmp_path / "nothing") == chosen
    monkeypatch.setenv("CTANB_PG_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigurationError, match="CTANB_PG_BIN"):
        cluster.find_pg_bin()


def test_nothing_installed_says_what_to_do(tmp_path, no_pg_config):
    with pytest.raises(ConfigurationError, match="postgresql-16-pgsphere"):
        cluster.find_pg_bin(tmp_path / "postgresql")


def test_this_machine_uses_pg_config(monkeypatch):
    """Here pg_config names the installed server: the binaries found are that version's."""
    monkeypatch.delenv("CTANB_PG_BIN", raising=False)
    found = cluster.find_pg_bin()
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout
    assert found == Path(bindir.strip())
    version = subprocess.run([found / "postgres", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "PostgreSQL" in version.stdout
    assert os.access(found / "initdb", os.X_OK)


def test_binder_apt_names_one_postgresql_with_its_pg_sphere():
    """apt.txt pairs postgresql-N with postgresql-N-pgsphere (Ubuntu 24.04 ships 16 and 1.4.2)."""
    lines = [
        line.partition("#")[0].strip()
        for line in (ROOT / "binder/apt.txt").read_text().splitlines()
    ]
    packages = [p for p in lines if p]
    servers = [p for p in packages if re.fullmatch(r"postgresql-\d+", p)]
    spheres = [p for p in packages if re.fullmatch(r"postgresql-\d+-pgsphere", p)]
    assert len(servers) == 1 and spheres == [servers[0] + "-pgsphere"]
    assert "postgresql-15" not in packages  # not in Ubuntu 24.04's archive
    # repo2docker's own check of each name
    assert all(re.match(r"^[a-z0-9.+-]+$", p) for p in packages)
