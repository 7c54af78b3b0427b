"""Who is asking: identities from hub tokens or ctanb's local API tokens.

A request without credentials is anonymous (public data only). A request with an
``Authorization: Bearer <token>`` (or ``token <token>``) header must carry a valid
token: the hub's, when the service runs behind JupyterHub, or a local API token
created with ``ctanb token create``. Tokens are stored hashed and never logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ctanb.services.store import Store

log = logging.getLogger("ctanb.services")
__all__ = ["ANONYMOUS", "Identity", "create_token", "get_identity", "lookup_token"]


@dataclass(frozen=True)
class Identity:
    """A user name and the groups it belongs to."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        """Whether this is the anonymous caller (public data only)."""
        return self.name == "anonymous"


ANONYMOUS = Identity("anonymous")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, name: str, groups: Iterable[str] = ()) -> str:
    """Create a local API token for ``name`` in ``groups`` and return it (shown once)."""
    token = secrets.token_urlsafe(32)
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO archive.api_token (token_sha256, name, groups) VALUES (%s, %s, %s)",
            (_hash(token), name, sorted(set(groups))),
        )
    return token


def lookup_token(store: Store, token: str) -> Identity | None:
    """Return the identity of a local API token, or None if it is unknown."""
    with store.connection() as conn:  # pooled: a new connection per request costs a fork
        row = conn.execute(
            "SELECT name, groups FROM archive.api_token WHERE token_sha256 = %s", (_hash(token),)
        ).fetchone()
    return Identity(row[0], frozenset(row[1])) if row else None


def bearer_token(request: Request) -> str | None:
    """Return the token of an ``Authorization`` header (Bearer or token scheme), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return None


async def get_identity(request: Request) -> Identity:
    """FastAPI dependency: the caller's identity (401 for a token nobody issued)."""
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    state = request.app.state
    hub = getattr(state, "hub_auth", None)
    if hub is not None:
        try:
            identity = await hub(token)  # the hub's answer, cached for a few minutes
        except Exception as exc:  # tornado's HTTPError when the hub cannot be reached
            log.warning("JupyterHub did not answer a token check: %s", type(exc).__name__)
            raise HTTPException(
                status_code=503,
                detail="the hub that checks tokens does not answer: try again in a moment, "
                "or tell the hub's administrators",
                headers={"Retry-After": "10"},
            ) from exc
        if identity is not None:
            return identity
    identity = await run_in_threadpool(lookup_token, state.store, token)  # off the event loop
    if identity is None:
        raise HTTPException(
            status_code=401,
            detail="invalid or expired token: create one with `ctanb token create NAME "
            "--group GROUP`, or use your hub API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return identity
