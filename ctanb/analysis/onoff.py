"""ON and reflected OFF regions of one run, and the events inside them (vectorised).

The regions and their containment are gammapy's (``ReflectedRegionsFinder``, ``RegionGeom``),
so ON/OFF counts equal those of ``SpectrumDatasetMaker`` + ``ReflectedRegionsBackgroundMaker``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.coordinates import SkyCoord
from gammapy.makers import ReflectedRegionsFinder
from gammapy.maps import RegionGeom
from regions import CircleSkyRegion

from ctanb.analysis.activity import Activity
from ctanb.analysis.events import RunEvents, RunFile, expand_inputs, read_events
from ctanb.analysis.exclusion import as_exclusion_mask, exclusion_parameter
from ctanb.analysis.selection import EventSelection
from ctanb.analysis.specs import SpectrumSpec
from ctanb.errors import DataError

__all__ = [
    "DEFAULT_ON_RADIUS",
    "OnOffMasks",
    "OnOffRuns",
    "default_on_region",
    "on_off_masks",
    "on_off_runs",
]

#: ON radius of a point-like source with the H.E.S.S. "std" cuts (theta^2 < 0.0125 deg^2).
DEFAULT_ON_RADIUS = SpectrumSpec().on_radius  # written once, in the spec


def default_on_region(events: RunEvents) -> Any:
    """Return a circle of :data:`DEFAULT_ON_RADIUS` on the run's target (RA_OBJ/DEC_OBJ).

    Raises
    ------
    DataError
        When the run does not say where its target is: pass ``on_region``.
    """
    ra, dec = events.meta.get("RA_OBJ"), events.meta.get("DEC_OBJ")
    if ra is None or dec is None or not np.isfinite([ra, dec]).all():
        raise DataError(f"{events.path}: no RA_OBJ/DEC_OBJ in the header: pass on_region")
    return CircleSkyRegion(SkyCoord(ra, dec, unit="deg"), DEFAULT_ON_RADIUS)


@dataclass
class OnOffMasks:
    """Which events of a run are ON, which OFF, and how many OFF regions there are."""

    on: np.ndarray
    off: np.ndarray
    n_off_regions: int

    @property
    def alpha(self) -> float:
        """Ratio of ON to OFF acceptance (reflected regions: 1 / number of OFF regions)."""
        return 1.0 / self.n_off_regions if self.n_off_regions else np.inf


def on_off_masks(events: RunEvents, on_region: Any, exclusion_mask: Any = None) -> OnOffMasks:
    """Select the ON events and the events of the reflected OFF regions of one run.

    ``exclusion_mask`` (a boolean gammapy ``WcsNDMap``, False where excluded) keeps the
    OFF regions off known sources, as in gammapy's ``ReflectedRegionsBackgroundMaker``.

    Raises
    ------
    DataError
        When the ON region leaves no room for an OFF region (off the field of view, or on
        the pointing position).
    """
    coords = SkyCoord(
        events.ra.astype(np.float32), events.dec.astype(np.float32), unit="deg", frame="icrs"
    )
    on = RegionGeom.create(region=on_region).contains(coords)
    regions_off, wcs = ReflectedRegionsFinder().run(
        region=on_region, center=events.pointing, exclusion_mask=exclusion_mask
    )
    if not regions_off:
        raise DataError(
            f"{events.path}: obs_id {events.obs_id}: no reflected OFF region for this ON "
            "region (it covers the pointing position, lies outside the field of view, or "
            "every reflected region touches the exclusion mask: see exclusion=)"
        )
    off = RegionGeom.from_regions(regions=regions_off, wcs=wcs).contains(coords)
    return OnOffMasks(on=np.asarray(on), off=np.asarray(off), n_off_regions=len(regions_off))


@dataclass
class OnOffRuns:
    """The runs of an ON/OFF analysis with their masks, and what it selected them with."""

    runs: list[tuple[RunEvents, OnOffMasks]]
    on_region: Any
    selection: EventSelection
    exclusion: Any = None
    files: list[RunFile] = field(default_factory=list)
    exclusion_mask: Any = None

    def parameters(self, on_error: str, **analysis: Any) -> dict[str, Any]:
        """The keywords the product's provenance records (replay passes them back).

        The ON region, ``analysis``'s own keywords, ``on_error``, the exclusion and the
        event selection, in that order.
        """
        return {
            "on_region": self.on_region,
            **analysis,
            "on_error": on_error,
            "exclusion": exclusion_parameter(self.exclusion),
            **self.selection.parameters(),
        }


def on_off_runs(
    inputs: Any,
    on_region: Any,
    activity: Activity,
    archive: str | None,
    selection: EventSelection | None = None,
    exclusion: Any = None,
) -> OnOffRuns:
    """Read every run and find its ON and OFF events (the first run's target by default).

    Each run used or skipped is noted in ``activity``. ``selection`` keeps the events in
    good time; ``exclusion`` is the analysis's keyword (see
    :func:`~ctanb.analysis.exclusion.as_exclusion_mask`), made into a mask around the ON
    region once.

    Raises
    ------
    DataError
        For a bad run with ``on_error="raise"``, or when no run could be used.
    """
    result = OnOffRuns([], on_region, selection or EventSelection(), exclusion)
    made_mask = False
    for run in expand_inputs(inputs, archive=archive):
        try:
            events = result.selection.good_events(read_events(run.path))
            if result.on_region is None:
                result.on_region = default_on_region(events)
            if not made_mask:
                result.exclusion_mask = as_exclusion_mask(exclusion, result.on_region.center)
                made_mask = True
            masks = on_off_masks(events, result.on_region, result.exclusion_mask)
        except DataError as exc:
            activity.skip(str(run.path), exc)
            continue
        result.runs.append((events, masks))
        result.files.append(run)
        activity.use(run, events)
    activity.require_inputs("gave ON/OFF counts")
    return result
