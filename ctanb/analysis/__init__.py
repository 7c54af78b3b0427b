"""The vectorised analysis core: count maps, ON/OFF spectra, light curves, significance maps."""

from ctanb.analysis.cache import EventCache
from ctanb.analysis.countmap import CountMap, make_count_map
from ctanb.analysis.events import EventList, read_events
from ctanb.analysis.lightcurve import LightCurve, make_light_curve
from ctanb.analysis.safe import SafeMask
from ctanb.analysis.significance import SignificanceMap, make_significance_map
from ctanb.analysis.spectrum import OnOffSpectrum, extract_spectrum

__all__ = [
    "CountMap",
    "EventCache",
    "EventList",
    "LightCurve",
    "OnOffSpectrum",
    "SafeMask",
    "SignificanceMap",
    "extract_spectrum",
    "make_count_map",
    "make_light_curve",
    "make_significance_map",
    "read_events",
]
