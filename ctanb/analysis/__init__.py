"""The vectorised analysis core: count maps, ON/OFF spectra and light curves from DL3 events."""

from ctanb.analysis.cache import EventCache
from ctanb.analysis.countmap import CountMap, make_count_map
from ctanb.analysis.events import EventList, read_events
from ctanb.analysis.lightcurve import LightCurve, make_light_curve
from ctanb.analysis.spectrum import OnOffSpectrum, extract_spectrum

__all__ = [
    "CountMap",
    "EventCache",
    "EventList",
    "LightCurve",
    "OnOffSpectrum",
    "extract_spectrum",
    "make_count_map",
    "make_light_curve",
    "read_events",
]
