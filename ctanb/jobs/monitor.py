"""``JobMonitor`` moved to :mod:`ctanb.widgets.jobs` (the Explorer's Jobs tab): an alias."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctanb.widgets.jobs import JobMonitor

__all__ = ["JobMonitor"]


def __getattr__(name: str) -> Any:
    # A compatibility alias, looked up on first use: ctanb.jobs sits below ctanb.widgets
    # (ctanb.widgets.jobs imports ctanb.jobs), so this module does not import the widgets at
    # its top.
    if name == "JobMonitor":
        from ctanb.widgets.jobs import JobMonitor

        return JobMonitor
    raise AttributeError(f"module 'ctanb.jobs.monitor' has no attribute {name!r}")
