"""Exceptions shared by every part of ctanb: one hierarchy under :class:`CtanbError`.

Each class carries the HTTP status the service answers with and the IVOA error code of
DALI 1.1 / DataLink (``UsageError``, ``NotFoundFault``, ``FatalFault`` ...), as safir's
UWS errors do, so the service maps every ctanb error to a response in one place
(:mod:`ctanb.services.app`). Errors about bad input also derive from ``ValueError`` (and
"not found" from ``LookupError``), so code that catches those keeps working.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ConfigurationError",
    "CtanbError",
    "DataError",
    "NotFoundError",
    "UsageError",
]


class CtanbError(Exception):
    """Base class of ctanb errors: its message tells the user what to do next.

    Attributes
    ----------
    status_code : int
        HTTP status of the service's answer (500: a fault of the service, whose message
        is logged, not shown).
    ivoa_code : str
        The IVOA error code (DALI 1.1 section 4.4, DataLink 1.1 section 3.4).

    Examples
    --------
    >>> from ctanb.errors import UsageError
    >>> error = UsageError("MAXREC must not be negative")
    >>> error.status_code, error.ivoa_code, isinstance(error, ValueError)
    (400, 'UsageError', True)
    """

    status_code: ClassVar[int] = 500
    ivoa_code: ClassVar[str] = "FatalFault"

    @property
    def ivoa_message(self) -> str:
        """The message prefixed with the IVOA error code, as DataLink writes errors."""
        return f"{self.ivoa_code}: {self}"


class ConfigurationError(CtanbError):
    """A setting, an installed tool or a service is missing or wrong."""


class DataError(CtanbError):
    """An input file or observation cannot be used; the message names it and why."""


class UsageError(CtanbError, ValueError):
    """A request the caller can fix (a parameter, a query): HTTP 400."""

    status_code: ClassVar[int] = 400
    ivoa_code: ClassVar[str] = "UsageError"


class NotFoundError(CtanbError, LookupError):
    """Something the caller named does not exist (or is not theirs to see): HTTP 404."""

    status_code: ClassVar[int] = 404
    ivoa_code: ClassVar[str] = "NotFoundFault"
