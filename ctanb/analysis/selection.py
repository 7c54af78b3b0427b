"""What every analysis selects from a run before counting: good time and the safe range.

One :class:`EventSelection` crosses the code from the public functions (``apply_gti``,
``bad_time_intervals``, ``safe_mask`` keywords) to the binning, on the caller's core or on
a dask worker, and gives back the parameters its product's provenance records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.time import Time

from ctanb.analysis.events import RunEvents, RunFile
from ctanb.analysis.gti import as_time_intervals, good_time_mask
from ctanb.analysis.safe import SafeMask, as_safe_mask, load_observation

__all__ = ["EventSelection"]


@dataclass(frozen=True)
class EventSelection:
    """Good-time and safe-range selection of each run's events.

    Parameters
    ----------
    apply_gti : bool
        Keep only the events inside the run's GTIs (default).
    bad_time_intervals : Time (n, 2), optional
        Intervals to leave out of every run.
    safe_mask : SafeMask, optional
        gammapy ``SafeMaskMaker`` methods to apply per run (from its IRFs).
    """

    apply_gti: bool = True
    bad_time_intervals: Time | None = None
    safe_mask: SafeMask | None = None

    @classmethod
    def create(
        cls, apply_gti: bool = True, bad_time_intervals: Any = None, safe_mask: Any = None
    ) -> EventSelection:
        """Build from the keywords every analysis takes, checking them.

        Parameters
        ----------
        apply_gti : bool
            Count only the events inside each run's good time intervals (default).
        bad_time_intervals : Time (n, 2) or sequence of (Time, Time), optional
            Time intervals to leave out of every run, each ``[start, stop)``.
        safe_mask : list of str or SafeMask, optional
            gammapy ``SafeMaskMaker`` methods (``aeff-max``, ``edisp-bias``,
            ``offset-max``, ...) applied to each run from its IRFs: a map's bins, a
            spectrum's energy bins, or a light curve's events outside the run's safe range
            count nothing.
        """
        return cls(bool(apply_gti), as_time_intervals(bad_time_intervals), as_safe_mask(safe_mask))

    def parameters(self) -> dict[str, Any]:
        """The keywords as the product's provenance records them (replay passes them back)."""
        return {
            "apply_gti": self.apply_gti,
            "bad_time_intervals": self.bad_time_intervals,
            "safe_mask": None if self.safe_mask is None else self.safe_mask.as_parameter(),
        }

    def time_mask(self, events: RunEvents) -> np.ndarray | None:
        """Which events are in good time (None: all of them)."""
        if self.apply_gti:
            return good_time_mask(events.time, events.meta, self.bad_time_intervals)
        if self.bad_time_intervals is None:
            return None
        meta = {**events.meta, "ALL_IN_GTI": True}
        return good_time_mask(events.time, meta, self.bad_time_intervals)

    def good_events(self, events: RunEvents, mask: np.ndarray | None = None) -> RunEvents:
        """The run's events in good time (the list itself when all are).

        ``mask`` is :meth:`time_mask`'s answer when the caller has it already.
        """
        mask = self.time_mask(events) if mask is None else mask
        return events if mask is None else events.subset(mask)

    def apply(
        self, events: RunEvents, run: RunFile, geom: Any, mask: np.ndarray | None = None
    ) -> tuple[RunEvents, np.ndarray | None]:
        """The run's good events and its flat safe mask on ``geom`` (None: no safe mask)."""
        events = self.good_events(events, mask)
        if self.safe_mask is None:
            return events, None
        observation = load_observation(run.path, events.obs_id)
        return events, self.safe_mask.map_mask(observation, geom).ravel()

    def observation(self, events: RunEvents, run: RunFile) -> Any:
        """The run's gammapy observation (IRFs), when a safe mask needs it."""
        return load_observation(run.path, events.obs_id)
