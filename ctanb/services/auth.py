"""Who is asking: identities from ctanb's local API tokens or hub tokens.

A request without credentials is anonymous (public data only). A request with an
``Authorization: Bearer <token>`` (or ``token <token>``) header must carry a valid
token: a local API token created with ``ctanb token create`` (checked first, so local
tokens keep working while the hub is down), or the hub's, when the service runs behind
JupyterHub. An expired or revoked local token is refused at once (401). Tokens are stored
hashed and never logged; see :mod:`ctanb.services.tokens` for their life cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ctanb.services.store import Store
from ctanb.services.tokens import create_token, find_token, is_reserved_name

log = logging.getLogger("ctanb.services")
__all__ = [
    "ANONYMOUS",
    "Identity",
    "create_token",
    "get_identity",
    "is_reserved_name",
    "lookup_token",
]


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


def lookup_token(store: Store, token: str) -> Identity | None:
    """Return the identity of a valid local API token; None if unknown, expired or revoked."""
    found = find_token(store, token)
    if found is None or found.state != "active":
        return None
    return Identity(found.name, frozenset(found.groups))


def bearer_token(request: Request) -> str | None:
    """Return the token of an ``Authorization`` header (Bearer or token scheme), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return None


def _refused(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def get_identity(request: Request) -> Identity:
    """FastAPI dependency: the caller's identity (401 for a token that is not valid)."""
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    state = request.app.state
    local = await run_in_threadpool(find_token, state.store, token)
    if local is not None:
        if local.state != "active":
            raise _refused(
                f"this token is {local.state}: ask for a new one (`ctanb token create NAME "
                "--group GROUP`), or use your hub API token"
            )
        if is_reserved_name(local.name):  # made before names were checked
            raise _refused(
                f"this token's user name {local.name!r} is reserved for callers without a "
                "token: create a token under another name"
            )
        return Identity(local.name, frozenset(local.groups))
    hub = getattr(state, "hub_auth", None)
    if hub is not None:
        try:
            identity = await hub(token)  # the hub's answer, cached for a few minutes
        except Exception as exc:  # tornado's HTTPError when the hub cannot be reached
            log.warning("JupyterHub did not answer a token check: %s", type(exc).__name__)
            raise HTTPException(
                status_code=503,
                detail="the hub that checks tokens does not answer: try again in a moment, "
                "use a local API token, or tell the hub's administrators",
                headers={"Retry-After": "10"},
            ) from exc
        if identity is not None:
            return identity
    raise _refused(
        "invalid or expired token: create one with `ctanb token create NAME "
        "--group GROUP`, or use your hub API token"
    )
