"""The vectorised analysis core: count maps, ON/OFF spectra, light curves, significance maps.

The names below are imported on first use, so that ``ctanb.analysis.specs`` (the analyses'
parameters, which the job service and the command line read) does not import gammapy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctanb.analysis.cache import EventCache
    from ctanb.analysis.countmap import CountMap, make_count_map
    from ctanb.analysis.events import EventList, RunEvents, read_events
    from ctanb.analysis.lightcurve import LightCurve, make_light_curve
    from ctanb.analysis.safe import SafeMask
    from ctanb.analysis.significance import SignificanceMap, make_significance_map
    from ctanb.analysis.spectrum import OnOffSpectrum, extract_spectrum

_WHERE = {
    "EventCache": "ctanb.analysis.cache",
    "CountMap": "ctanb.analysis.countmap",
    "make_count_map": "ctanb.analysis.countmap",
    "EventList": "ctanb.analysis.events",  # the older name of RunEvents
    "RunEvents": "ctanb.analysis.events",
    "read_events": "ctanb.analysis.events",
    "LightCurve": "ctanb.analysis.lightcurve",
    "make_light_curve": "ctanb.analysis.lightcurve",
    "SafeMask": "ctanb.analysis.safe",
    "SignificanceMap": "ctanb.analysis.significance",
    "make_significance_map": "ctanb.analysis.significance",
    "OnOffSpectrum": "ctanb.analysis.spectrum",
    "extract_spectrum": "ctanb.analysis.spectrum",
}

__all__ = [
    "CountMap",
    "EventCache",
    "EventList",
    "LightCurve",
    "OnOffSpectrum",
    "RunEvents",
    "SafeMask",
    "SignificanceMap",
    "extract_spectrum",
    "make_count_map",
    "make_light_curve",
    "make_significance_map",
    "read_events",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'ctanb.analysis' has no attribute {name!r}")
