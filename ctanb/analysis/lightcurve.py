"""Light curves: ON/OFF counts, excess and significance per time bin, one pass per run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from gammapy.stats import WStatCountsStatistic

from ctanb.analysis.events import EventList, expand_inputs, read_events
from ctanb.analysis.onoff import default_on_region, on_off_masks
from ctanb.analysis.product import Product, SkippedRun
from ctanb.errors import DataError
from ctanb.prov.record import ActivityRecord, InputFile

__all__ = ["LightCurve", "make_light_curve"]

ENTRY_POINT = "ctanb.analysis.lightcurve:make_light_curve"
DEFAULT_RANGE = (1 * u.TeV, 100 * u.TeV)


@dataclass
class LightCurve(Product):
    """ON/OFF counts in time bins (MJD, TT), with excess and Li & Ma significance."""

    time_min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    time_max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_on: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_off: np.ndarray = field(default_factory=lambda: np.zeros(0))
    background: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kind = "lightcurve"

    def data_arrays(self) -> list[np.ndarray]:
        """Return the bins and counts."""
        return [self.time_min, self.time_max, self.n_on, self.n_off, self.background]

    @property
    def excess(self) -> np.ndarray:
        """ON counts minus the expected background, per bin."""
        return self.n_on - self.background

    @property
    def alpha(self) -> np.ndarray:
        """Background / OFF counts per bin."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n_off > 0, self.background / self.n_off, 0.0)

    @property
    def significance(self) -> np.ndarray:
        """Li & Ma significance per bin."""
        return np.asarray(WStatCountsStatistic(self.n_on, self.n_off, self.alpha).sqrt_ts)

    def to_table(self) -> Table:
        """Return the light curve as a table (times as MJD, TT)."""
        return Table(
            {
                "time_min": self.time_min * u.d,
                "time_max": self.time_max * u.d,
                "n_on": self.n_on,
                "n_off": self.n_off,
                "alpha": self.alpha,
                "excess": self.excess,
                "sqrt_ts": self.significance,
            }
        )

    def to_fits(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the light curve table with a PROVENANCE HDU."""
        from ctanb.prov.fits import add_provenance_hdu

        hdulist = fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(self.to_table())])
        hdulist[1].name = "LIGHTCURVE"
        add_provenance_hdu(hdulist, self.provenance)
        hdulist.writeto(path, overwrite=overwrite)
        return Path(path)

    def plot(self) -> Any:
        """Return a bokeh plot of the excess per time bin with error bars."""
        from ctanb.analysis.plots import points_figure

        error = np.sqrt(self.n_on + self.alpha**2 * self.n_off)
        return points_figure(
            0.5 * (self.time_min + self.time_max),
            self.excess,
            error,
            x_label="time (MJD)",
            y_label="excess counts",
            title="Light curve",
        )


def _event_mjd(events: EventList) -> np.ndarray:
    return float(events.meta["MJDREF"]) + events.time / 86400.0


def _run_interval(events: EventList) -> tuple[float, float]:
    mjdref = float(events.meta["MJDREF"])
    return mjdref + events.meta["TSTART"] / 86400.0, mjdref + events.meta["TSTOP"] / 86400.0


def make_light_curve(
    inputs: Iterable[Any] | str | Path,
    *,
    on_region: Any = None,
    energy_range: tuple[u.Quantity, u.Quantity] = DEFAULT_RANGE,
    time_bins: str | Time = "run",
    on_error: str = "raise",
    archive: str | None = None,
) -> LightCurve:
    """Make a light curve of ON/OFF counts.

    Parameters
    ----------
    inputs : paths, GADF folders or obs_ids
        Event lists.
    on_region : regions.SkyRegion, optional
        The ON region (OFF: its reflected regions in each run); default a 0.11 deg circle on
        the first run's target (RA_OBJ/DEC_OBJ).
    energy_range : (Quantity, Quantity)
        Reconstructed energies counted.
    time_bins : {"run", "night"} or Time
        One bin per run (its TSTART to TSTOP), per night (24 h from noon UTC, MJD + 0.5),
        or these bin edges (astropy Time); bins hold events from their start to before
        their end.
    on_error : {"raise", "skip"}
        Stop at a bad run, or leave it out.
    archive : str, optional
        Archive URL for obs_id inputs.
    """
    started = datetime.now(UTC)
    low, high = (u.Quantity(e, u.TeV).value for e in energy_range)
    parameters = {
        "on_region": on_region,
        "energy_range": energy_range,
        "time_bins": time_bins,
        "on_error": on_error,
    }
    runs, used, skipped = [], [], []
    for run in expand_inputs(inputs, archive=archive):
        try:
            events = read_events(run.path)
            if on_region is None:  # the first run's target, recorded for replay
                on_region = default_on_region(events)
                parameters["on_region"] = on_region
            masks = on_off_masks(events, on_region)
        except DataError as exc:
            if on_error == "raise":
                raise
            skipped.append(SkippedRun(str(run.path), str(exc)))
            continue
        runs.append((events, masks))
        used.append(
            InputFile(
                str(run.url or run.path), events.obs_id, "events", events.checksum, run.collection
            )
        )
    if not runs:
        raise DataError("no run gave ON/OFF counts: " + "; ".join(s.reason for s in skipped))
    intervals = np.array([_run_interval(events) for events, _ in runs])
    if isinstance(time_bins, Time):
        edges = np.sort(np.asarray(time_bins.tt.mjd, dtype=float))
        t_min, t_max = edges[:-1], edges[1:]
    elif time_bins == "run":
        t_min, t_max = intervals[:, 0], intervals[:, 1]
    elif time_bins == "night":
        # a night is the 24 h from noon (MJD + 0.5) that holds the run's start
        nights = np.unique(np.floor(intervals[:, 0] - 0.5))
        t_min, t_max = nights + 0.5, nights + 1.5
    else:
        raise ValueError(f"time_bins must be 'run', 'night' or astropy Time edges: {time_bins!r}")
    n_on, n_off, background = (np.zeros(len(t_min)) for _ in range(3))
    for i, (events, masks) in enumerate(runs):
        in_energy = (events.energy >= low) & (events.energy < high)
        if time_bins == "run":
            index = np.full(len(events), i)
        else:
            mjd = _event_mjd(events)  # bins are [t_min, t_max)
            index = np.searchsorted(t_max, mjd, side="right")
            index[mjd < t_min[np.clip(index, 0, len(t_min) - 1)]] = -1
        valid = in_energy & (index >= 0) & (index < len(t_min))
        n_on += np.bincount(index[valid & masks.on], minlength=len(t_min))
        off = np.bincount(index[valid & masks.off], minlength=len(t_min))
        n_off += off
        background += masks.alpha * off
    record = ActivityRecord(
        name="lightcurve",
        entry_point=ENTRY_POINT,
        inputs=used,
        parameters=parameters,
        started=started,
        ended=datetime.now(UTC),
    )
    return LightCurve(
        record=record,
        skipped=skipped,
        time_min=t_min,
        time_max=t_max,
        n_on=n_on,
        n_off=n_off,
        background=background,
    )
