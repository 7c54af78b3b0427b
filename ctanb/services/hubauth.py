"""Identify callers with JupyterHub tokens when the archive runs as a hub-managed service.

JupyterHub starts a managed service with ``JUPYTERHUB_API_URL``, ``JUPYTERHUB_API_TOKEN``,
``JUPYTERHUB_SERVICE_NAME`` and ``JUPYTERHUB_OAUTH_ACCESS_SCOPES`` in its environment.
:class:`HubIdentities` asks the hub who a token belongs to through
`jupyterhub.services.auth.HubAuth` (``GET /hub/api/user`` with that token; answers are cached
for ``cache_max_age`` seconds) and gives an :class:`~ctanb.services.auth.Identity`: the user's
name and hub groups (the groups the hub took from the identity provider's claims).

A token is accepted only if it belongs to a user (not a service) and carries one of the
service's access scopes, ``access:services!service=<name>``: a user's server token does
(``hub_config/jupyterhub_config.py`` grants it), a token made for another purpose does not.
Without a hub (no ``JUPYTERHUB_API_TOKEN``) every function here gives None, and the service
falls back to its local tokens. Tokens are never logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cache
from http.cookies import CookieError, SimpleCookie

from ctanb.services.auth import Identity, is_reserved_name

__all__ = [
    "HubIdentities",
    "hub_identities",
    "identity_from_headers",
    "identity_from_headers_async",
    "identity_from_token",
    "identity_from_token_async",
    "token_from_headers",
]

log = logging.getLogger(__name__)


def token_from_headers(headers: Mapping[str, str], cookie_name: str | None = None) -> str | None:
    """Return the token of an ``Authorization: token|Bearer <t>`` header, or of a cookie.

    Parameters
    ----------
    headers : mapping
        Request headers (case-insensitive mappings such as Starlette's work as they are;
        for a plain dict, use lower-case names).
    cookie_name : str, optional
        Name of a cookie holding the token, read when there is no ``Authorization`` header.
    """
    header = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    if cookie_name:
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(headers.get("cookie") or headers.get("Cookie") or "")
        except CookieError:
            return None
        if cookie_name in cookies and cookies[cookie_name].value:
            return cookies[cookie_name].value
    return None


class HubIdentities:
    """Identities of JupyterHub tokens, for a service behind the hub.

    Parameters
    ----------
    api_url : str
        The hub's API, e.g. ``http://127.0.0.1:8081/hub/api`` (``JUPYTERHUB_API_URL``).
    api_token : str
        The service's own token (``JUPYTERHUB_API_TOKEN``).
    access_scopes : set of str, optional
        Scopes of which a token needs one to reach this service; by default those JupyterHub
        gives the service (``JUPYTERHUB_OAUTH_ACCESS_SCOPES``, else
        ``access:services!service=$JUPYTERHUB_SERVICE_NAME``). An empty set accepts any
        valid user token.
    cache_max_age : int
        Seconds an answer of the hub is reused (JupyterHub's default is 300).
    """

    def __init__(
        self,
        api_url: str,
        api_token: str,
        access_scopes: set[str] | None = None,
        cache_max_age: int = 300,
    ) -> None:
        # jupyterhub is optional (the hub extra) and takes ~1.8 s to import: only a service
        # behind a hub needs it
        from jupyterhub.services.auth import HubAuth

        kwargs: dict = {"api_url": api_url, "api_token": api_token, "cache_max_age": cache_max_age}
        if access_scopes is not None:
            kwargs["access_scopes"] = set(access_scopes)
        self.hub_auth = HubAuth(**kwargs)

    def __repr__(self) -> str:
        return f"HubIdentities({self.hub_auth.api_url!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HubIdentities | None:
        """Build from a hub-managed service's ``JUPYTERHUB_*`` variables; None without a hub."""
        environ = os.environ if environ is None else environ
        api_token = environ.get("JUPYTERHUB_API_TOKEN")
        api_url = environ.get("JUPYTERHUB_API_URL")
        if not api_token or not api_url:
            return None
        return cls(api_url, api_token)

    @property
    def access_scopes(self) -> set[str]:
        """Scopes of which a token needs one to be accepted."""
        return set(self.hub_auth.access_scopes)

    def _identity(self, model: dict | None) -> Identity | None:
        if not model or model.get("kind", "user") != "user" or not model.get("name"):
            return None
        if self.hub_auth.access_scopes and not self.hub_auth.check_scopes(
            self.hub_auth.access_scopes, model
        ):
            log.info("hub user %s has no access to this service", model["name"])
            return None
        if is_reserved_name(str(model["name"])):  # it would share the anonymous callers' jobs
            log.warning("hub user %r has a name reserved for anonymous callers", model["name"])
            return None
        return Identity(str(model["name"]), frozenset(model.get("groups") or ()))

    def identity_from_token(self, token: str) -> Identity | None:
        """Return the identity of a hub token, or None for a token the hub does not know.

        Blocks while the hub answers (once per ``cache_max_age``); from async code use
        :meth:`identity_from_token_async`.
        """
        if not token:
            return None
        return self._identity(self.hub_auth.user_for_token(token, use_cache=True))

    async def identity_from_token_async(self, token: str) -> Identity | None:
        """Return the identity of a hub token without blocking the event loop."""
        if not token:
            return None
        return self._identity(await self.hub_auth.user_for_token(token, use_cache=True, sync=False))

    def identity_from_headers(
        self, headers: Mapping[str, str], cookie_name: str | None = None
    ) -> Identity | None:
        """Return the identity of a request's ``Authorization`` header (or cookie), if any."""
        token = token_from_headers(headers, cookie_name)
        return self.identity_from_token(token) if token else None

    async def identity_from_headers_async(
        self, headers: Mapping[str, str], cookie_name: str | None = None
    ) -> Identity | None:
        """Async :meth:`identity_from_headers`."""
        token = token_from_headers(headers, cookie_name)
        return await self.identity_from_token_async(token) if token else None


@cache
def hub_identities() -> HubIdentities | None:
    """The process's :class:`HubIdentities` from its environment (None without a hub)."""
    return HubIdentities.from_env()


def identity_from_token(token: str) -> Identity | None:
    """Return the identity of a hub token (None: no hub, or a token the hub refuses)."""
    hub = hub_identities()
    return hub.identity_from_token(token) if hub else None


async def identity_from_token_async(token: str) -> Identity | None:
    """Async :func:`identity_from_token`."""
    hub = hub_identities()
    return await hub.identity_from_token_async(token) if hub else None


def identity_from_headers(
    headers: Mapping[str, str], cookie_name: str | None = None
) -> Identity | None:
    """Return the identity of a request's ``Authorization: token|Bearer`` header or cookie."""
    hub = hub_identities()
    return hub.identity_from_headers(headers, cookie_name) if hub else None


async def identity_from_headers_async(
    headers: Mapping[str, str], cookie_name: str | None = None
) -> Identity | None:
    """Async :func:`identity_from_headers`."""
    hub = hub_identities()
    return await hub.identity_from_headers_async(headers, cookie_name) if hub else None
