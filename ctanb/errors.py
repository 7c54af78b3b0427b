"""Exceptions shared by every part of ctanb."""

from __future__ import annotations

__all__ = ["ConfigurationError", "CtanbError", "DataError"]


class CtanbError(Exception):
    """Base class of ctanb errors: its message tells the user what to do next."""


class ConfigurationError(CtanbError):
    """A setting, an installed tool or a service is missing or wrong."""


class DataError(CtanbError):
    """An input file or observation cannot be used; the message names it and why."""
