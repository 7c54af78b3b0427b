"""Good time: which events of a run lie in its GTIs and outside the bad time intervals.

A run's GTI table (``GTI`` extension, counted like ``TIME``: in ``TIMEUNIT`` since the
file's MJDREF, see :mod:`ctanb.gadf`) says when the instrument took good data; an analyst
may also exclude *bad time intervals* (clouds, a car's headlights, a trigger problem)
given as astropy ``Time`` pairs. An event is kept when ``START <= TIME < STOP`` for one
of the GTIs (as gammapy's ``EventList.select_time``) and it lies in no bad interval
(same convention).

Real files are not perfect: 89 of the 105 H.E.S.S. DR1 runs hold 1-5 events up to 0.25 s
after their GTI's end (the GTI is rounded to whole seconds). Applying the GTIs leaves
them out, as gammapy does when a run is restricted to its GTI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy.time import Time

from ctanb.gadf import time_reference

__all__ = ["as_time_intervals", "good_time_mask", "in_intervals"]


def as_time_intervals(intervals: Any) -> Time | None:
    """Return bad time intervals as a ``Time`` array of shape (n, 2), or None.

    Parameters
    ----------
    intervals : Time of shape (n, 2), sequence of (Time, Time), or None
        The intervals to exclude, each ``[start, stop)``.

    Raises
    ------
    ValueError
        When they are not pairs of times with the start before the stop.
    """
    if intervals is None:
        return None
    if isinstance(intervals, Time):
        times = intervals
    else:
        pairs: Sequence[Any] = list(intervals)
        if not pairs:
            return None
        try:
            times = Time([Time(t) for a, b in pairs for t in (a, b)]).reshape(-1, 2)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(
                "bad_time_intervals must be (start, stop) pairs of astropy Time, e.g. "
                "[(Time('2004-12-04T22:00'), Time('2004-12-04T22:10'))]"
            ) from exc
    if times.ndim == 1 and times.size == 2:
        times = times.reshape(1, 2)
    if times.ndim != 2 or times.shape[1] != 2:
        raise ValueError(f"bad_time_intervals must have shape (n, 2), not {times.shape}")
    if np.any(times[:, 1] <= times[:, 0]):
        raise ValueError("bad_time_intervals: each interval's start must be before its stop")
    return times


def in_intervals(values: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """True where ``start[i] <= value < stop[i]`` for some interval ``i`` (vectorised).

    Overlapping intervals are allowed: they are merged first.
    """
    order = np.argsort(start, kind="stable")
    start, stop = np.asarray(start, float)[order], np.asarray(stop, float)[order]
    if len(start) > 1:  # merge overlaps so that the intervals are disjoint and sorted
        end = np.maximum.accumulate(stop)
        new = np.concatenate([[True], start[1:] > end[:-1]])
        start, stop = start[new], np.maximum.reduceat(stop, np.flatnonzero(new))
    index = np.searchsorted(start, values, side="right") - 1
    inside = index >= 0
    inside[inside] = values[inside] < stop[index[inside]]
    return inside


def good_time_mask(
    time: np.ndarray, meta: dict[str, Any], bad_time_intervals: Time | None = None
) -> np.ndarray | None:
    """Mask of the events in the run's GTIs and outside ``bad_time_intervals``.

    Parameters
    ----------
    time : ndarray
        Event times, as the run's ``TIME`` column (in ``TIMEUNIT`` since its MJDREF).
    meta : dict
        The run's header values: ``GTI_START``, ``GTI_STOP``, the time reference
        (``MJDREFI``/``MJDREFF`` or ``MJDREF``, ``TIMESYS``, ``TIMEUNIT``) and
        ``ALL_IN_GTI`` (noted when the run was cached).
    bad_time_intervals : Time (n, 2), optional
        Intervals to leave out.

    Returns
    -------
    ndarray of bool or None
        None when every event is good (nothing to select: the caller keeps all).
    """
    mask = None
    if not meta.get("ALL_IN_GTI", False):
        mask = in_intervals(time, np.asarray(meta["GTI_START"]), np.asarray(meta["GTI_STOP"]))
    if bad_time_intervals is not None and len(bad_time_intervals):
        bad_times = time_reference(meta).from_time(bad_time_intervals)
        bad = in_intervals(time, bad_times[:, 0], bad_times[:, 1])
        if bad.any():
            mask = ~bad if mask is None else mask & ~bad
    if mask is not None and mask.all():
        return None
    return mask
