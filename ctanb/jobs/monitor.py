"""``JobMonitor`` moved to :mod:`ctanb.widgets.jobs` (the Explorer's Jobs tab): an alias."""

from ctanb.widgets.jobs import JobMonitor

__all__ = ["JobMonitor"]
