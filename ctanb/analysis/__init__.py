"""The vectorised analysis core: count maps and cubes from DL3 event lists."""

from ctanb.analysis.cache import EventCache
from ctanb.analysis.countmap import CountMap, make_count_map
from ctanb.analysis.events import EventList, read_events

__all__ = ["CountMap", "EventCache", "EventList", "make_count_map", "read_events"]
