"""``simulate_runs``: synthetic GADF DL3 runs drawn from a GADF instrument response.

Background events are drawn from the IRF's BACKGROUND table (rate per MeV s sr in FoV
coordinates, RA/Dec-aligned, axes as gammapy reads them): each FoV bin is split into 3 x 3
cells whose rate is the table interpolated at the cell centre (bilinear in log rate, as
gammapy), and the rate integrated over each (energy segment, cell) times the ONTIME is a
Poisson mean. Inside a chosen cell the position is uniform in solid angle and the energy
follows the power law that joins the rates at the IRF's bin centres (gammapy's log-log
interpolation, not a log-uniform draw). A point source adds,
per fine true-energy bin (40 per decade), Poisson counts of mean power law x effective
area (at the source's offset, linear in log E and offset) x livetime; each event's reco
energy is drawn from the ENERGY DISPERSION migration matrix itself (no Gaussian
approximation) and its position from the 3-Gauss POINT SPREAD FUNCTION (parameters
interpolated in log E and offset). The 1DC PSF has one Gaussian component only
(AMPL_2 = AMPL_3 = 0), so its Gaussian matches the PSF's 68 % containment exactly;
the PSF's variation with offset inside a run and the curvature of the sky over the
PSF width are neglected (one offset per run, a flat Gaussian in the tangent plane).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.errors import DataError
from ctanb.simulate.gadf import MJDREFF, MJDREFI, find_readme, write_indexes, write_run
from ctanb.simulate.irf import IRF_NAME, BackgroundCells, Response, default_irf_file
from ctanb.simulate.sampling import (
    Events,
    PointSource,
    sample_background,
    sample_source,
    source_rate,
)

__all__ = ["DEFAULT_ENERGY_RANGE", "DEFAULT_START", "Progress", "simulate_runs"]

DEFAULT_START = "2021-01-01T00:00:00"
DEFAULT_ENERGY_RANGE = (0.03, 150.0)  # TeV
_REFERENCE = Time(MJDREFI + MJDREFF, format="mjd", scale="tt")

Progress = Callable[[int, int], None]


def _as_source(source: PointSource | Sequence[Any] | None) -> PointSource | None:
    if source is None or isinstance(source, PointSource):
        return source
    return PointSource(*source)


def _wobble(pointing: SkyCoord, offset: u.Quantity, n_runs: int) -> SkyCoord:
    """Pointings offset from ``pointing`` by ``offset`` towards N, S, E, W in turn."""
    angles = np.array([0.0, 180.0, 90.0, 270.0])[np.arange(n_runs) % 4] * u.deg
    target = pointing.icrs
    if offset.to_value(u.deg) == 0:
        return SkyCoord(np.full(n_runs, target.ra.deg), np.full(n_runs, target.dec.deg), unit="deg")
    return target.directional_offset_by(angles, np.full(n_runs, offset.to_value(u.deg)) * u.deg)


def simulate_runs(
    out_dir: str | Path, n_runs: int, *, events_per_run: int | None = None,
    livetime: u.Quantity = 30 * u.min, pointing: SkyCoord | None = None,
    wobble: u.Quantity = 0.5 * u.deg, source: PointSource | Sequence[Any] | None = None,
    energy_range: u.Quantity | None = None, irf_file: str | Path | None = None, seed: int = 0,
    first_obs_id: int = 900001, deadc: float = 1.0, start_time: Time | str = DEFAULT_START,
    gap: u.Quantity = 5 * u.min, object_name: str | None = None, compress: bool = False,
    progress: Progress | None = None,
) -> list[Path]:  # fmt: skip
    """Simulate IACT runs from a GADF IRF (as the module's description says), into GADF DL3.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created): ``data/events_<obs_id>.fits``, ``irf/<irf file>`` with the
        data README beside it, ``hdu-index.fits.gz`` and ``obs-index.fits.gz``.
    n_runs : int
        Number of runs.
    events_per_run, livetime : int or None, Quantity
        Expected events (background + source) per run, which sets every run's livetime
        (counts stay Poisson); else the livetime of each run (default 30 min).
    pointing, wobble : SkyCoord, Quantity
        Target of the runs (default the Crab, RA 83.633°, Dec 22.014°); offset of the
        pointings from it, towards N, S, E, W in turn (default 0.5°).
    source : PointSource or (SkyCoord, Quantity, float), optional
        A power-law point source: position, flux at 1 TeV (cm-2 s-1 TeV-1) and index.
    energy_range : Quantity, optional
        (min, max): reconstructed energies of the background, true energies of the source
        (default 0.03 to 150 TeV).
    irf_file : str or Path, optional
        GADF IRF file (default: 1DC ``South_z20_50h`` under ``<CTANB_DATA>/cta-1dc``).
    seed, first_obs_id : int
        Random seed (run streams are ``(seed, obs_id)``: same arguments, same files);
        OBS_ID of the first run (default 900001), the others following.
    deadc : float
        Dead-time correction: ONTIME = livetime / deadc (default 1), the background rate
        being per ONTIME, as gammapy's ``MapDatasetMaker`` assumes.
    start_time : Time or str
        Start of the first run (default 2021-01-01T00:00:00 UTC).
    gap, object_name, compress, progress
        Time between runs (5 min); OBJECT header ("Simulated source" or "field"); write
        ``.fits.gz`` (slower); ``progress(done, total)`` called after each run.

    Returns
    -------
    list of Path
        The event files, one per run, in OBS_ID order.

    Raises
    ------
    DataError
        If the IRF file cannot be used or the arguments are inconsistent.
    """
    _check_counts(n_runs, events_per_run, deadc)
    irf_path, irf = _read_irf(irf_file)
    src, e_range = _as_source(source), _energy_range(energy_range)
    target = pointing if pointing is not None else SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    pointings = _wobble(target, u.Quantity(wobble, u.deg), n_runs)
    out, cells = Path(out_dir), irf.background_cells(e_range)
    plan = _Plan(out, irf, cells, src, e_range, deadc, compress, seed)
    irf_copy = _prepare_folder(out, irf_path)
    position = src.position if src is not None else target
    common = _common_header(plan, irf_path, position, object_name)
    t0 = float((Time(start_time, scale="utc") - _REFERENCE).to_value(u.s))
    live = None if events_per_run is not None else float(u.Quantity(livetime).to_value(u.s))
    times = _Times(t0, live, events_per_run, float(u.Quantity(gap).to_value(u.s)))
    runs = plan.write_runs(common, pointings, first_obs_id, times, progress)
    write_indexes(out, runs, f"irf/{irf_copy.name}")
    return [out / info["file"] for info in runs]


class _Times(NamedTuple):
    """When the runs are: first start and gap (s, since the reference), each run's livetime."""

    start: float
    #: Livetime of each run (s); None: set by the expected events per run.
    livetime: float | None
    events_per_run: int | None
    gap: float


@dataclass(frozen=True)
class _Plan:
    """What every run of one :func:`simulate_runs` call shares."""

    out: Path
    irf: Response
    cells: BackgroundCells
    src: PointSource | None
    e_range: tuple[float, float]
    deadc: float
    compress: bool
    seed: int

    def write_runs(
        self,
        common: dict[str, Any],
        pointings: SkyCoord,
        first_obs_id: int,
        times: _Times,
        progress: Progress | None,
    ) -> list[dict[str, Any]]:
        """Write one run per pointing; return their header values for the indexes."""
        t0, livetime, events_per_run, gap = times
        runs: list[dict[str, Any]] = []
        for k, obs_id in enumerate(range(first_obs_id, first_obs_id + len(pointings))):
            if livetime is None:
                live = float(events_per_run or 0) / self.events_per_livetime(pointings[k])
            else:
                live = livetime
            start = t0 + k * (live / self.deadc + gap)
            runs.append(self.write_run({**common, "OBS_ID": obs_id}, pointings[k], start, live))
            if progress is not None:
                progress(k + 1, len(pointings))
        return runs

    def events_per_livetime(self, pointing: SkyCoord) -> float:
        """Expected events (background and source) per second of livetime."""
        per_livetime = float(self.cells.rate.sum()) / self.deadc
        if self.src is not None:
            offset = self.src.position.icrs.separation(pointing).deg
            per_livetime += float(source_rate(self.irf, self.src, offset, self.e_range)[0].sum())
        return per_livetime

    def write_run(
        self, info: dict[str, Any], pointing: SkyCoord, tstart: float, live: float
    ) -> dict[str, Any]:
        """Draw and write the run ``info`` names; return ``info`` completed for the indexes."""
        obs_id = info["OBS_ID"]
        rng = np.random.default_rng(np.random.SeedSequence([int(self.seed), int(obs_id)]))
        galactic = pointing.galactic
        info |= {
            "file": f"data/events_{obs_id:06d}.fits" + (".gz" if self.compress else ""),
            "RA_PNT": float(pointing.ra.deg),
            "DEC_PNT": float(pointing.dec.deg),
            "GLON_PNT": float(galactic.l.deg),
            "GLAT_PNT": float(galactic.b.deg),
        }
        ontime = live / self.deadc
        events = self._sample(info["RA_PNT"], info["DEC_PNT"], live, ontime, rng)
        _set_times(info, tstart, live, ontime)
        info["EVENT_COUNT"] = write_run(self.out / info["file"], events, rng, info)
        return info

    def _sample(
        self, ra_pnt: float, dec_pnt: float, live: float, ontime: float, rng: np.random.Generator
    ) -> Events:
        events = sample_background(self.irf, self.cells, ontime, ra_pnt, dec_pnt, rng)
        if self.src is None:
            return events
        extra = sample_source(self.irf, self.src, live, ra_pnt, dec_pnt, self.e_range, rng)
        return Events(
            *(
                np.concatenate([getattr(events, f), getattr(extra, f)])
                for f in ("ra", "dec", "energy", "detx", "dety", "mc_id")
            )
        )


def _read_irf(irf_file: str | Path | None) -> tuple[Path, Response]:
    """The IRF file (default the 1DC one) and its response."""
    irf_path = Path(irf_file) if irf_file is not None else default_irf_file()
    if not irf_path.exists():
        raise DataError(f"{irf_path}: no such IRF file (set CTANB_DATA or pass irf_file)")
    return irf_path, Response.read(irf_path)


def _common_header(
    plan: _Plan, irf_path: Path, position: SkyCoord, object_name: str | None
) -> dict[str, Any]:
    """Header values every run has: the object, the IRF, the seed, dead time, altitude."""
    position = position.icrs
    default_name = "Simulated source" if plan.src is not None else "Simulated field"
    return {
        "OBJECT": object_name or default_name,
        "RA_OBJ": position.ra.deg,
        "DEC_OBJ": position.dec.deg,
        "IRF": irf_path.parent.name or IRF_NAME,
        "SEED": int(plan.seed),
        "DEADC": plan.deadc,
        "ZEN_PNT": plan.irf.zenith,
        "ALT_PNT": 90.0 - plan.irf.zenith,
        "AZ_PNT": 0.0,
    }


def _check_counts(n_runs: int, events_per_run: int | None, deadc: float) -> None:
    if n_runs < 1:
        raise DataError("n_runs must be at least 1")
    if events_per_run is not None and events_per_run <= 0:
        raise DataError("events_per_run must be positive")
    if not 0 < deadc <= 1:
        raise DataError("deadc must be in (0, 1]")


def _energy_range(energy_range: u.Quantity | None) -> tuple[float, float]:
    if energy_range is None:
        e_range = DEFAULT_ENERGY_RANGE
    else:
        lo, hi = u.Quantity(energy_range).to_value(u.TeV)
        e_range = (float(lo), float(hi))
    if not 0 < e_range[0] < e_range[1]:
        raise DataError(f"energy range {e_range} TeV is empty")
    return e_range


def _prepare_folder(out: Path, irf_path: Path) -> Path:
    """Create ``out/data`` and ``out/irf`` with one copy of the IRF (and its README)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    irf_dir = out / "irf"
    irf_dir.mkdir(exist_ok=True)
    irf_copy = irf_dir / irf_path.name
    if not irf_copy.exists() or irf_copy.stat().st_size != irf_path.stat().st_size:
        shutil.copyfile(irf_path, irf_copy)
    readme = find_readme(irf_path)
    if readme is not None:
        shutil.copyfile(readme, irf_dir / "README.md")
    return irf_copy


def _set_times(info: dict[str, Any], tstart: float, live: float, ontime: float) -> None:
    tstop = tstart + ontime
    info.update(
        {
            "ONTIME": ontime,
            "LIVETIME": live,
            "TSTART": tstart,
            "TSTOP": tstop,
            "start": (_REFERENCE + tstart * u.s).utc,
            "stop": (_REFERENCE + tstop * u.s).utc,
        }
    )
