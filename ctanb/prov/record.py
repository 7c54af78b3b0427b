"""What a product-making activity records about itself, before it becomes PROV.

Every function that makes a product fills an :class:`ActivityRecord`; ``ctanb.prov``
turns it into a W3C PROV document, and ``ctanb.analysis.replay`` calls ``entry_point``
again with the recorded inputs and parameters. This module is the contract between
the analysis, search and job code (which fill records) and ``ctanb.prov`` (which
reads them); it imports nothing heavy.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["ActivityRecord", "ArchiveQuery", "InputFile", "current_user"]


def current_user() -> str:
    """Return the person behind an activity: the hub's user name, else the local user."""
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


@dataclass(frozen=True)
class InputFile:
    """One file an activity used.

    Parameters
    ----------
    path : str
        Local path or URL the file was read from.
    obs_id : int or None
        Observation identifier, for event lists and per-run IRFs.
    role : str
        ``"events"`` for an event list, ``"irf:<part>"`` (e.g. ``"irf:aeff"``) for an IRF part.
    checksum : str or None
        ``"sha256:<hex>"`` of the file's bytes (or ``"datasum:<value>"``).
    collection : str or None
        ObsCore ``obs_collection`` the file belongs to, when known.
    """

    path: str
    obs_id: int | None = None
    role: str = "events"
    checksum: str | None = None
    collection: str | None = None


@dataclass(frozen=True)
class ArchiveQuery:
    """The archive query that selected an activity's inputs.

    Parameters
    ----------
    adql : str
        The ADQL text sent.
    service_url : str
        The TAP service it was sent to.
    obs_ids : tuple of int
        The observations the query selected (empty when not known).
    """

    adql: str
    service_url: str
    obs_ids: tuple[int, ...] = ()


@dataclass
class ActivityRecord:
    """Everything needed to describe, and to replay, one product-making activity.

    Parameters
    ----------
    name : str
        Short activity name (``"countmap"``, ``"spectrum"``, ``"lightcurve"``, ``"search"``).
    entry_point : str
        ``"module:function"`` that made the product. Replay calls
        ``function(inputs, **parameters)`` with ``inputs`` the list of recorded event-list
        paths (role ``"events"``), so ``parameters`` must be exactly its keyword arguments.
    inputs : list of InputFile
        Every file used: event lists and IRF parts.
    parameters : dict
        Keyword arguments with their values; Quantities keep their units.
    started, ended : datetime
        Start and end of the activity (timezone-aware, UTC).
    query : ArchiveQuery or None
        The archive query that selected the inputs, when there was one.
    user : str
        The person the activity ran for.
    """

    name: str
    entry_point: str
    inputs: list[InputFile]
    parameters: dict[str, Any]
    started: datetime
    ended: datetime = field(default_factory=lambda: datetime.now(UTC))
    query: ArchiveQuery | None = None
    user: str = field(default_factory=current_user)
