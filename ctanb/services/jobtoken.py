"""Short-lived job tokens: a job's rights, lent to the dask workers that fetch its runs.

A worker elsewhere shares no folder with the service: it downloads the runs of a job through
the archive's ``/data`` URLs. The service gives it a token that carries the job owner's
groups, expires with the job (its execution duration and a minute), and is accepted only by
the downloads (``GET /data/...``), nowhere else: a leaked job token reads at most what the
job's owner may read, for minutes, and can neither query, submit nor list jobs.

Tokens are signed (HMAC-SHA256) with a key kept in ``<home>/secrets/job-token.key`` (created
on first use, mode 600), so every service process on the same home accepts them, and no
database row is written per job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from ctanb.config import Settings
from ctanb.services.auth import Identity

__all__ = ["PREFIX", "job_token_identity", "mint_job_token"]

PREFIX = "ctanbjob."
KEY_FILE = Path("secrets") / "job-token.key"


def _key(settings: Settings) -> bytes:
    path = Path(settings.home) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:  # O_EXCL: of several service processes starting at once, one writes the key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as stream:
                stream.write(secrets.token_hex(32))
    for _ in range(50):  # another process may be writing it
        text = path.read_text().strip()
        if text:
            return bytes.fromhex(text)
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: remove it and restart the service")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_job_token(
    settings: Settings, job_id: str, groups: Iterable[str], lifetime_s: float
) -> str:
    """Return a token with the rights of ``groups`` for ``lifetime_s`` seconds.

    Parameters
    ----------
    settings : Settings
        The service's settings (``home`` holds the signing key).
    job_id : str
        The job the token is for (its identity is ``job-<job_id>``).
    groups : iterable of str
        The job owner's groups.
    lifetime_s : float
        Seconds until the token expires.
    """
    payload = json.dumps(
        {"job": job_id, "groups": sorted(set(groups)), "exp": time.time() + lifetime_s},
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(_key(settings), payload, hashlib.sha256).digest()
    return f"{PREFIX}{_b64(payload)}.{_b64(signature)}"


def job_token_identity(settings: Settings, token: str) -> Identity | None:
    """Return the identity of a valid, unexpired job token; None for anything else."""
    if not token.startswith(PREFIX):
        return None
    body, _, signature = token[len(PREFIX) :].partition(".")
    try:
        payload = _unb64(body)
        given = _unb64(signature)
    except (ValueError, TypeError):
        return None
    expected = hmac.new(_key(settings), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        return None
    try:
        claims = json.loads(payload)
        expires, job, groups = float(claims["exp"]), str(claims["job"]), claims["groups"]
    except (ValueError, KeyError, TypeError):
        return None
    if expires < time.time() or not isinstance(groups, list):
        return None
    return Identity(f"job-{job}", frozenset(str(g) for g in groups))
