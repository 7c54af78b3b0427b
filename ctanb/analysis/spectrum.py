"""ON/OFF spectra: counts in an ON region and its reflected OFF regions, per energy bin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.table import Table
from gammapy.stats import WStatCountsStatistic

from ctanb.analysis.activity import Activity
from ctanb.analysis.handover import recorded_on_off_datasets
from ctanb.analysis.onoff import OnOffRuns, on_off_runs
from ctanb.analysis.plots import points_figure
from ctanb.analysis.product import TableProduct
from ctanb.analysis.selection import EventSelection
from ctanb.analysis.specs import SpectrumSpec

__all__ = ["OnOffSpectrum", "extract_spectrum"]

ENTRY_POINT = "ctanb.analysis.spectrum:extract_spectrum"
DEFAULT_EDGES = SpectrumSpec().energy_edges  # written once, in the spec


@dataclass
class OnOffSpectrum(TableProduct):
    """ON/OFF counts per energy bin, stacked over runs, with per-run values kept.

    Attributes
    ----------
    energy_edges : Quantity
        Bin edges.
    n_on, n_off : ndarray
        Stacked counts (runs x bins in ``per_run_on`` / ``per_run_off``).
    alpha : ndarray
        Stacked ON/OFF exposure ratio per bin (OFF-count weighted, as gammapy stacks).
    """

    energy_edges: u.Quantity = field(default_factory=lambda: u.Quantity([], u.TeV))
    per_run_on: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    per_run_off: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    per_run_alpha: np.ndarray = field(default_factory=lambda: np.zeros(0))
    on_region: Any = None
    exclusion_mask: Any = None
    kind = "spectrum"
    hdu_name = "SPECTRUM"

    def data_arrays(self) -> list[np.ndarray]:
        """Return the per-run ON and OFF counts and alphas."""
        return [self.per_run_on, self.per_run_off, self.per_run_alpha]

    @property
    def n_on(self) -> np.ndarray:
        """ON counts per bin."""
        return self.per_run_on.sum(axis=0)

    @property
    def n_off(self) -> np.ndarray:
        """OFF counts per bin."""
        return self.per_run_off.sum(axis=0)

    @property
    def background(self) -> np.ndarray:
        """Expected background in the ON region, alpha x OFF summed over runs."""
        return (self.per_run_alpha[:, None] * self.per_run_off).sum(axis=0)

    @property
    def alpha(self) -> np.ndarray:
        """Stacked alpha: background / OFF counts (1 / regions where there are none)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            stacked = self.background / self.n_off
        fallback = float(np.mean(self.per_run_alpha)) if self.per_run_alpha.size else np.nan
        return np.where(self.n_off > 0, stacked, fallback)

    @property
    def excess(self) -> np.ndarray:
        """ON counts minus expected background."""
        return self.n_on - self.background

    @property
    def significance(self) -> np.ndarray:
        """Li & Ma significance per bin (gammapy's WStat sqrt(TS), signed)."""
        return np.asarray(WStatCountsStatistic(self.n_on, self.n_off, self.alpha).sqrt_ts)

    def to_table(self) -> Table:
        """Return the spectrum as a table with units."""
        edges = self.energy_edges
        return Table(
            {
                "e_min": edges[:-1],
                "e_max": edges[1:],
                "n_on": self.n_on,
                "n_off": self.n_off,
                "alpha": self.alpha,
                "excess": self.excess,
                "sqrt_ts": self.significance,
            }
        )

    def to_gammapy(self, stack: bool = True) -> Any:
        """Hand over to gammapy: ``SpectrumDatasetOnOff`` with IRFs, made by its makers.

        Parameters
        ----------
        stack : bool
            One stacked dataset (default), or gammapy ``Datasets`` with one per run.

        Notes
        -----
        gammapy's makers count the ON and OFF events again; run by run, those counts equal
        this product's in every bin above the IRF's safe energy threshold (gammapy's
        ``SafeMaskMaker``, "aeff-default"); bins below it are masked out of fits.
        """
        datasets = recorded_on_off_datasets(
            self.record, self.on_region, self.energy_edges, self.exclusion_mask
        )
        return datasets.stack_reduce(name="stacked") if stack else datasets

    def write_ogip(self, folder: str | Path, overwrite: bool = True) -> Path:
        """Write the stacked spectrum as OGIP files (PHA, BKG, ARF, RMF), for XSPEC or Sherpa.

        Returns the PHA file's path; the others sit beside it, named in its header.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        dataset = self.to_gammapy()
        path = folder / f"pha_{self.product_id[:8]}.fits"
        dataset.write(path, overwrite=overwrite, format="ogip")
        return path

    def plot(self) -> Any:
        """Return a bokeh plot of the excess per energy bin with Poisson error bars."""
        edges = self.energy_edges.to_value(u.TeV)
        centres = np.sqrt(edges[:-1] * edges[1:])
        error = np.sqrt(self.n_on + self.alpha**2 * self.n_off)
        return points_figure(
            centres,
            self.excess,
            error,
            x_label="energy (TeV)",
            y_label="excess counts",
            title="ON/OFF spectrum",
            log_x=True,
        )


def extract_spectrum(
    inputs: Iterable[Any] | str | Path,
    *,
    on_region: Any = None,
    energy_edges: u.Quantity = DEFAULT_EDGES,
    on_error: str = "raise",
    archive: str | None = None,
    exclusion: Any = "catalogs",
    apply_gti: bool = True,
    bad_time_intervals: Any = None,
    safe_mask: Any = None,
) -> OnOffSpectrum:
    """Extract an ON/OFF spectrum with reflected OFF regions, stacked over runs.

    Parameters
    ----------
    inputs : paths, GADF folders or obs_ids
        Event lists (obs_ids are fetched from ``archive``).
    on_region : regions.CircleSkyRegion or regions.PolygonSkyRegion, optional
        The ON region; default a 0.11 deg circle on the first run's target (RA_OBJ/DEC_OBJ).
    energy_edges : Quantity
        Reconstructed-energy bin edges.
    on_error : {"raise", "skip"}
        Stop at a bad run, or leave it out (listed in ``skipped``).
    archive : str, optional
        Archive URL for obs_id inputs.
    exclusion : "catalogs", None, sky regions or WcsNDMap
        Where no OFF region may lie: the gamma-cat and HGPS sources in the field (default),
        nothing, those plus regions of yours, or a boolean mask (True = usable).
    apply_gti : bool
        Count only the events inside each run's good time intervals (default).
    bad_time_intervals : Time (n, 2) or sequence of (Time, Time), optional
        Time intervals to leave out.
    safe_mask : list of str or SafeMask, optional
        gammapy ``SafeMaskMaker`` methods: each run's bins outside its safe energy range
        (or, with ``offset-max``, an ON region too far from its pointing) count nothing.

    Returns
    -------
    OnOffSpectrum
        Counts, alpha, excess and significance per bin, with provenance.
    """
    activity = Activity("spectrum", ENTRY_POINT, on_error)
    edges = u.Quantity(energy_edges, u.TeV)
    selection = EventSelection.create(apply_gti, bad_time_intervals, safe_mask)
    selected = on_off_runs(inputs, on_region, activity, archive, selection, exclusion)
    parameters = selected.parameters(on_error, energy_edges=edges)
    on, off = _count_runs(selected, edges)
    return OnOffSpectrum(
        record=activity.record(parameters),
        skipped=activity.skipped,
        energy_edges=edges,
        per_run_on=on,
        per_run_off=off,
        per_run_alpha=np.array([masks.alpha for _, masks in selected.runs]),
        on_region=selected.on_region,
        exclusion_mask=selected.exclusion_mask,
    )


def _count_runs(selected: OnOffRuns, edges: u.Quantity) -> tuple[np.ndarray, np.ndarray]:
    """ON and OFF counts of each run (runs x bins), within its safe range if any."""
    selection = selected.selection
    on_rows, off_rows = [], []
    for (events, masks), run in zip(selected.runs, selected.files, strict=True):
        index = np.digitize(events.energy, edges.value) - 1
        valid = (index >= 0) & (index < len(edges) - 1)
        on = np.bincount(index[valid & masks.on], minlength=len(edges) - 1)
        off = np.bincount(index[valid & masks.off], minlength=len(edges) - 1)
        if selection.safe_mask is not None:
            safe = selection.safe_mask.region_mask(
                selection.observation(events, run), selected.on_region, edges
            )
            on, off = on * safe, off * safe
        on_rows.append(on)
        off_rows.append(off)
    return np.array(on_rows, dtype=float), np.array(off_rows, dtype=float)
