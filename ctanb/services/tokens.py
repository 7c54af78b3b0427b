"""Local API tokens: create (with an expiry), look up, list and revoke.

A token is 32 random bytes shown once; the store keeps only its sha256 (table
``archive.api_token``), the user name, groups, creation and expiry times, the last time it
was used (written at most once a minute per token) and when it was revoked. A token is
accepted while it is neither expired nor revoked; revocation takes effect on the next
request, since every request looks the token up. Its public id is the first 12 hex digits
of the hash: what ``ctanb token list`` shows and ``ctanb token revoke`` takes.

The names ``anonymous`` and ``anonymous:...`` are reserved for callers without a token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ctanb.errors import CtanbError
from ctanb.services.store import Store

__all__ = [
    "DEFAULT_LIFETIME",
    "LocalToken",
    "TokenError",
    "create_token",
    "find_token",
    "is_reserved_name",
    "list_tokens",
    "parse_expiry",
    "revoke_tokens",
    "token_hash",
]

DEFAULT_LIFETIME = timedelta(days=90)
ID_LENGTH = 12
_DURATION = re.compile(r"(?P<n>\d+)\s*(?P<unit>[mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TokenError(CtanbError):
    """A token request that cannot be honoured; the message says what to do instead."""


@dataclass(frozen=True)
class LocalToken:
    """What the store knows of one local token (never the token itself)."""

    token_id: str
    name: str
    groups: tuple[str, ...]
    created: datetime
    expires: datetime
    last_used: datetime | None
    revoked: datetime | None

    @property
    def state(self) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked is not None:
            return "revoked"
        return "expired" if self.expires <= datetime.now(UTC) else "active"


def token_hash(token: str) -> str:
    """Return the hex sha256 under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_reserved_name(name: str) -> bool:
    """Whether ``name`` is reserved for callers without a token (``anonymous``, ``anonymous:*``)."""
    lowered = name.strip().lower()
    return lowered == "anonymous" or lowered.startswith("anonymous:")


def parse_expiry(text: str | timedelta | datetime | date | None) -> datetime:
    """Return the expiry time of ``text``: a duration (``12h``, ``30d``, ``2w``) or an ISO date.

    None gives :data:`DEFAULT_LIFETIME` (90 days) from now.

    Raises
    ------
    TokenError
        For text that is neither, or a time already past.
    """
    now = datetime.now(UTC)
    if text is None:
        when = now + DEFAULT_LIFETIME
    elif isinstance(text, timedelta):
        when = now + text
    elif isinstance(text, datetime):
        when = text if text.tzinfo else text.replace(tzinfo=UTC)
    elif isinstance(text, date):
        when = datetime(text.year, text.month, text.day, tzinfo=UTC)
    else:
        match = _DURATION.fullmatch(text.strip().lower())
        if match:
            when = now + timedelta(**{_UNITS[match["unit"]]: int(match["n"])})
        else:
            try:
                when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
            except ValueError as exc:
                raise TokenError(
                    f"--expires {text!r}: give a duration such as 12h, 30d or 2w, or an ISO "
                    "date such as 2027-03-31"
                ) from exc
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= now:
        raise TokenError(f"the expiry {when.isoformat()} is already past: give a later one")
    return when


def create_token(
    store: Store,
    name: str,
    groups: Iterable[str] = (),
    expires: str | timedelta | datetime | date | None = None,
) -> str:
    """Create a local API token for ``name`` in ``groups`` and return it (shown once).

    Parameters
    ----------
    store : Store
        The archive's store.
    name : str
        The user's name (not ``anonymous`` nor ``anonymous:...``).
    groups : iterable of str
        Groups whose proprietary data the token reads.
    expires : str, timedelta, datetime or date, optional
        When it stops working: a duration (``30d``), an ISO date or a time; default 90 days.

    Raises
    ------
    TokenError
        For a reserved or empty name, a bad group name or a bad expiry.
    """
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        raise TokenError(f"user name {name!r}: give a non-empty name without spaces")
    if is_reserved_name(name):
        raise TokenError(
            f"user name {name!r} is reserved for callers without a token: choose another name"
        )
    group_list = sorted({g.strip() for g in groups})
    bad = [g for g in group_list if not g or "," in g or any(c.isspace() for c in g)]
    if bad:
        raise TokenError(f"group names {bad!r}: give names without commas or spaces")
    when = parse_expiry(expires)
    token = secrets.token_urlsafe(32)
    with store.connection() as conn:
        conn.execute(
            "INSERT INTO archive.api_token (token_sha256, name, groups, expires) "
            "VALUES (%s, %s, %s, %s)",
            (token_hash(token), name, group_list, when),
        )
    return token


_COLUMNS = "left(token_sha256, 12), name, groups, created, expires, last_used, revoked"


def _token(row: tuple) -> LocalToken:
    return LocalToken(row[0], row[1], tuple(row[2]), *row[3:])


def find_token(store: Store, token: str) -> LocalToken | None:
    """Look a token up (None if nobody issued it), noting its use at most once a minute.

    One round trip: the select and, for a valid token last used over a minute ago, the
    update of ``last_used``.
    """
    with store.connection() as conn:
        row = conn.execute(
            f"""
            WITH hit AS (
                SELECT token_sha256, {_COLUMNS} FROM archive.api_token WHERE token_sha256 = %s
            ), touched AS (
                UPDATE archive.api_token AS t SET last_used = now() FROM hit
                WHERE t.token_sha256 = hit.token_sha256 AND hit.revoked IS NULL
                  AND hit.expires > now()
                  AND (hit.last_used IS NULL OR hit.last_used < now() - interval '1 minute')
            )
            SELECT {_COLUMNS} FROM hit
            """,
            (token_hash(token),),
        ).fetchone()
    return _token(row) if row else None


def list_tokens(
    store: Store, name: str | None = None, everything: bool = False
) -> list[LocalToken]:
    """The tokens (of user ``name``), active ones only unless ``everything``."""
    conditions, values = [], []
    if name is not None:
        conditions.append("name = %s")
        values.append(name)
    if not everything:
        conditions.append("revoked IS NULL AND expires > now()")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    with store.connection() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM archive.api_token {where} ORDER BY name, created", values
        ).fetchall()
    return [_token(row) for row in rows]


def revoke_tokens(store: Store, token_id: str | None = None, name: str | None = None) -> int:
    """Revoke one token by its id (or a unique prefix of 6+ digits), or all of user ``name``.

    Returns
    -------
    int
        How many tokens were revoked (already revoked ones are not counted).

    Raises
    ------
    TokenError
        Without an id or a name, for a too short id, or an id prefix matching several tokens.
    """
    if (token_id is None) == (name is None):
        raise TokenError("give a token id (from `ctanb token list`) or --user NAME, not both")
    with store.connection() as conn:
        if name is not None:
            condition, value = "name = %s", name
        else:
            assert token_id is not None
            if not re.fullmatch(r"[0-9a-f]{6,64}", token_id):
                raise TokenError(
                    f"token id {token_id!r}: give the id `ctanb token list` shows "
                    "(at least 6 hex digits)"
                )
            matches = conn.execute(
                "SELECT count(*) FROM archive.api_token WHERE token_sha256 LIKE %s",
                (token_id + "%",),
            ).fetchone()
            if matches and matches[0] > 1:
                raise TokenError(f"token id {token_id!r} matches several tokens: give more digits")
            condition, value = "token_sha256 LIKE %s", token_id + "%"
        return conn.execute(
            f"UPDATE archive.api_token SET revoked = now() WHERE {condition} AND revoked IS NULL",
            (value,),
        ).rowcount
