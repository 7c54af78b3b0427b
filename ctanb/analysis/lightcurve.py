"""Light curves: ON/OFF counts, excess and significance per time bin, one pass per run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.table import Table
from astropy.time import Time
from gammapy.estimators import LightCurveEstimator
from gammapy.modeling import Fit
from gammapy.modeling.models import PowerLawSpectralModel, SkyModel
from gammapy.stats import WStatCountsStatistic

from ctanb.analysis.activity import Activity
from ctanb.analysis.events import RunEvents
from ctanb.analysis.exclusion import as_exclusion_mask
from ctanb.analysis.handover import recorded_on_off_datasets
from ctanb.analysis.onoff import OnOffRuns, on_off_runs
from ctanb.analysis.plots import points_figure
from ctanb.analysis.product import TableProduct
from ctanb.analysis.selection import EventSelection
from ctanb.analysis.specs import LightCurveSpec

__all__ = ["LightCurve", "make_light_curve"]

ENTRY_POINT = "ctanb.analysis.lightcurve:make_light_curve"
DEFAULT_RANGE = (LightCurveSpec().e_min, LightCurveSpec().e_max)  # written in the spec


@dataclass
class LightCurve(TableProduct):
    """ON/OFF counts in time bins (MJD, TT), with excess and Li & Ma significance."""

    time_min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    time_max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_on: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_off: np.ndarray = field(default_factory=lambda: np.zeros(0))
    background: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kind = "lightcurve"
    hdu_name = "LIGHTCURVE"

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

    def estimate_fluxes(
        self,
        model: Any = None,
        energy_edges: u.Quantity | None = None,
        on_region: Any = None,
    ) -> Any:
        """Fluxes per time bin from gammapy's ``LightCurveEstimator``.

        Parameters
        ----------
        model : gammapy SkyModel or SpectralModel, optional
            The spectral shape whose amplitude is fitted in each bin. Default: a power law
            fitted first to all the runs together, its index then kept fixed.
        energy_edges : Quantity, optional
            Energy range of the fluxes (default this light curve's energy range).
        on_region : regions.SkyRegion, optional
            Default: the light curve's ON region.

        Returns
        -------
        gammapy.estimators.FluxPoints
            The light curve (``to_table(sed_type="flux", format="lightcurve")``, ``plot``).
        """
        low, high = (u.Quantity(e, u.TeV) for e in self.record.parameters["energy_range"])
        edges = u.Quantity(energy_edges) if energy_edges is not None else u.Quantity([low, high])
        region = on_region if on_region is not None else self.record.parameters["on_region"]
        fine = np.geomspace(edges[0].to_value(u.TeV), edges[-1].to_value(u.TeV), 9) * u.TeV
        mask = as_exclusion_mask(self.record.parameters.get("exclusion"), region.center)
        datasets = recorded_on_off_datasets(self.record, region, fine, mask)
        model = _source_model(model, datasets)
        datasets.models = model
        intervals = [
            Time([t0, t1], format="mjd", scale="tt")
            for t0, t1 in zip(self.time_min, self.time_max, strict=True)
        ]
        estimator = LightCurveEstimator(
            energy_edges=edges, time_intervals=intervals, source=model.name, selection_optional=[]
        )
        return estimator.run(datasets)

    def plot(self) -> Any:
        """Return a bokeh plot of the excess per time bin with error bars."""
        error = np.sqrt(self.n_on + self.alpha**2 * self.n_off)
        return points_figure(
            0.5 * (self.time_min + self.time_max),
            self.excess,
            error,
            x_label="time (MJD)",
            y_label="excess counts",
            title="Light curve",
        )


def _source_model(model: Any, datasets: Any) -> Any:
    """The SkyModel whose amplitude is fitted per bin.

    ``model`` itself (a spectral model is wrapped in one), else a power law fitted to all
    the runs stacked, its index then frozen.
    """
    if model is None:
        model = SkyModel(spectral_model=PowerLawSpectralModel(index=2.5), name="source")
        stacked = datasets.stack_reduce(name="stacked")
        stacked.models = model
        Fit().run(stacked)
        model.spectral_model.index.frozen = True
    elif not isinstance(model, SkyModel):
        model = SkyModel(spectral_model=model, name="source")
    return model


def _event_mjd(events: RunEvents) -> np.ndarray:
    return events.time_reference.to_mjd(events.time)  # MJD, TT


def _run_interval(events: RunEvents) -> tuple[float, float]:
    start, stop = events.time_reference.to_mjd([events.meta["TSTART"], events.meta["TSTOP"]])
    return float(start), float(stop)


def make_light_curve(
    inputs: Iterable[Any] | str | Path,
    *,
    on_region: Any = None,
    energy_range: tuple[u.Quantity, u.Quantity] = DEFAULT_RANGE,
    time_bins: str | Time = "run",
    on_error: str = "raise",
    archive: str | None = None,
    exclusion: Any = "catalogs",
    apply_gti: bool = True,
    bad_time_intervals: Any = None,
    safe_mask: Any = None,
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
    exclusion : "catalogs", None, sky regions or WcsNDMap
        Where no OFF region may lie (default: the gamma-cat and HGPS sources in the field).
    apply_gti : bool
        Count only the events inside each run's good time intervals (default).
    bad_time_intervals : Time (n, 2) or sequence of (Time, Time), optional
        Time intervals to leave out.
    safe_mask : list of str or SafeMask, optional
        gammapy ``SafeMaskMaker`` methods: each run counts only events above its safe
        energy threshold (on a grid of 100 bins per decade), and nothing when its ON
        region lies beyond ``offset-max``.
    """
    activity = Activity("lightcurve", ENTRY_POINT, on_error)
    band = tuple(u.Quantity(e, u.TeV).value for e in energy_range)
    selection = EventSelection.create(apply_gti, bad_time_intervals, safe_mask)
    selected = on_off_runs(inputs, on_region, activity, archive, selection, exclusion)
    parameters = selected.parameters(on_error, energy_range=energy_range, time_bins=time_bins)
    t_min, t_max = _time_bins(time_bins, selected)
    n_on, n_off, background = _count_runs(selected, band, time_bins, t_min, t_max)
    return LightCurve(
        record=activity.record(parameters),
        skipped=activity.skipped,
        time_min=t_min,
        time_max=t_max,
        n_on=n_on,
        n_off=n_off,
        background=background,
    )


def _time_bins(time_bins: str | Time, selected: OnOffRuns) -> tuple[np.ndarray, np.ndarray]:
    """The bins' starts and ends (MJD, TT): given edges, one per run, or one per night."""
    intervals = np.array([_run_interval(events) for events, _ in selected.runs])
    if isinstance(time_bins, Time):
        edges = np.sort(np.asarray(time_bins.tt.mjd, dtype=float))
        return edges[:-1], edges[1:]
    if time_bins == "run":
        return intervals[:, 0], intervals[:, 1]
    if time_bins == "night":
        # a night is the 24 h from noon (MJD + 0.5) that holds the run's start
        nights = np.unique(np.floor(intervals[:, 0] - 0.5))
        return nights + 0.5, nights + 1.5
    raise ValueError(f"time_bins must be 'run', 'night' or astropy Time edges: {time_bins!r}")


def _count_runs(
    selected: OnOffRuns,
    band: tuple[float, ...],
    time_bins: str | Time,
    t_min: np.ndarray,
    t_max: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ON counts, OFF counts and expected background per bin, summed over the runs.

    ``band`` is the energy range (low, high) in TeV.
    """
    low, high = band
    selection = selected.selection
    n_on, n_off, background = (np.zeros(len(t_min)) for _ in range(3))
    for i, (events, masks) in enumerate(selected.runs):
        threshold = low
        if selection.safe_mask is not None:
            observation = selection.observation(events, selected.files[i])
            found = selection.safe_mask.energy_threshold(observation, selected.on_region)
            threshold = max(low, float(found.to_value(u.TeV)))
        in_energy = (events.energy >= threshold) & (events.energy < high)
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
    return n_on, n_off, background
