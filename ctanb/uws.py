"""The UWS 1.1 vocabulary shared by the job service and its clients: phases and namespaces.

The phase enum is vo-models' :class:`~vo_models.uws.types.ExecutionPhase` (a ``str``
enum, so a phase compares equal to its text as stored in the database and on the wire).

Examples
--------
>>> from ctanb.uws import FINAL, ExecutionPhase
>>> ExecutionPhase.COMPLETED in FINAL, "QUEUED" in FINAL
(True, False)
"""

from __future__ import annotations

from vo_models.uws.types import ExecutionPhase

__all__ = ["ACTIVE", "FINAL", "UWS_NS", "XLINK_NS", "ExecutionPhase"]

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"

#: Phases a job never leaves.
FINAL: tuple[ExecutionPhase, ...] = (
    ExecutionPhase.COMPLETED,
    ExecutionPhase.ERROR,
    ExecutionPhase.ABORTED,
    ExecutionPhase.ARCHIVED,
)
#: Phases of a job that waits for or holds a worker.
ACTIVE: tuple[ExecutionPhase, ...] = (ExecutionPhase.QUEUED, ExecutionPhase.EXECUTING)
