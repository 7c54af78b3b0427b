"""``simulate_runs``: synthetic GADF DL3 runs drawn from a GADF instrument response."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    out_dir: str | Path,
    n_runs: int,
    *,
    events_per_run: int | None = None,
    livetime: u.Quantity = 30 * u.min,
    pointing: SkyCoord | None = None,
    wobble: u.Quantity = 0.5 * u.deg,
    source: PointSource | Sequence[Any] | None = None,
    energy_range: u.Quantity | None = None,
    irf_file: str | Path | None = None,
    seed: int = 0,
    first_obs_id: int = 900001,
    deadc: float = 1.0,
    start_time: Time | str = DEFAULT_START,
    gap: u.Quantity = 5 * u.min,
    object_name: str | None = None,
    compress: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Simulate IACT runs from a GADF IRF and write them as a GADF DL3 data store.

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

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created): ``data/events_<obs_id>.fits``, ``irf/<irf file>`` with the
        data README beside it, ``hdu-index.fits.gz`` and ``obs-index.fits.gz``.
    n_runs : int
        Number of runs.
    events_per_run : int, optional
        Expected number of events (background + source) per run: the livetime of every
        run is chosen so that the expected total equals it (counts stay Poisson).
        Overrides ``livetime``.
    livetime : Quantity
        Livetime of each run (default 30 min).
    pointing : SkyCoord
        Target of the runs (default the Crab, RA 83.633°, Dec 22.014°).
    wobble : Quantity
        Offset of the actual pointing from ``pointing``, towards N, S, E, W in turn
        (default 0.5°).
    source : PointSource or (SkyCoord, Quantity, float), optional
        A power-law point source: position, differential flux at 1 TeV (cm-2 s-1 TeV-1)
        and index.
    energy_range : Quantity, optional
        (min, max) energy: reconstructed energies of the background and true energies of
        the source (default 0.03 to 150 TeV).
    irf_file : str or Path, optional
        GADF IRF file (default: 1DC ``South_z20_50h`` under ``<CTANB_DATA>/cta-1dc``).
    seed : int
        Random seed; the runs are independent streams of ``(seed, obs_id)``, so the same
        arguments give byte-identical event files.
    first_obs_id : int
        OBS_ID of the first run (default 900001); the others follow.
    deadc : float
        Dead-time correction factor: ONTIME = livetime / deadc (default 1). The background
        rate is per unit ONTIME, as gammapy's ``MapDatasetMaker`` assumes.
    start_time : Time or str
        Start of the first run (default 2021-01-01T00:00:00 UTC).
    gap : Quantity
        Time between the end of a run and the start of the next (default 5 min).
    object_name : str, optional
        OBJECT header value (default "Simulated source" or "Simulated field").
    compress : bool
        Write ``.fits.gz`` event files (slower) instead of plain ``.fits``.
    progress : callable, optional
        Called as ``progress(done, total)`` after each run.

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
    out = Path(out_dir)
    irf_path = Path(irf_file) if irf_file is not None else default_irf_file()
    if not irf_path.exists():
        raise DataError(f"{irf_path}: no such IRF file (set CTANB_DATA or pass irf_file)")
    irf = Response.read(irf_path)
    src = _as_source(source)
    e_range = _energy_range(energy_range)
    target = pointing if pointing is not None else SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    pointings = _wobble(target, u.Quantity(wobble, u.deg), n_runs)
    cells = irf.background_cells(e_range)
    irf_copy = _prepare_folder(out, irf_path)
    position = src.position.icrs if src is not None else target.icrs
    common: dict[str, Any] = {
        "OBJECT": object_name or ("Simulated source" if src is not None else "Simulated field"),
        "RA_OBJ": position.ra.deg,
        "DEC_OBJ": position.dec.deg,
        "IRF": irf_path.parent.name or IRF_NAME,
        "SEED": int(seed),
        "DEADC": deadc,
        "ZEN_PNT": irf.zenith,
        "ALT_PNT": 90.0 - irf.zenith,
        "AZ_PNT": 0.0,
    }
    t0 = float((Time(start_time, scale="utc") - _REFERENCE).to_value(u.s))
    galactic = pointings.galactic
    runs: list[dict[str, Any]] = []
    for k in range(n_runs):
        obs_id = first_obs_id + k
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(obs_id)]))
        info: dict[str, Any] = {
            **common,
            "OBS_ID": obs_id,
            "file": f"data/events_{obs_id:06d}.fits" + (".gz" if compress else ""),
            "RA_PNT": float(pointings.ra.deg[k]),
            "DEC_PNT": float(pointings.dec.deg[k]),
            "GLON_PNT": float(galactic.l.deg[k]),
            "GLAT_PNT": float(galactic.b.deg[k]),
        }
        if events_per_run is not None:
            live = events_per_run / _events_per_livetime(
                irf, cells, src, pointings[k], deadc, e_range
            )
        else:
            live = float(u.Quantity(livetime).to_value(u.s))
        ontime = live / deadc
        events = _sample_run(irf, cells, src, info, live, ontime, e_range, rng)
        _set_times(info, t0 + k * (ontime + float(u.Quantity(gap).to_value(u.s))), live, ontime)
        info["EVENT_COUNT"] = write_run(out / info["file"], events, rng, info)
        runs.append(info)
        if progress is not None:
            progress(k + 1, n_runs)
    write_indexes(out, runs, f"irf/{irf_copy.name}")
    return [out / info["file"] for info in runs]


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


def _events_per_livetime(
    irf: Response,
    cells: BackgroundCells,
    src: PointSource | None,
    pointing: SkyCoord,
    deadc: float,
    e_range: tuple[float, float],
) -> float:
    """Expected events (background and source) per second of livetime."""
    per_livetime = float(cells.rate.sum()) / deadc
    if src is not None:
        offset = src.position.icrs.separation(pointing).deg
        per_livetime += float(source_rate(irf, src, offset, e_range)[0].sum())
    return per_livetime


def _sample_run(
    irf: Response,
    cells: BackgroundCells,
    src: PointSource | None,
    info: dict[str, Any],
    live: float,
    ontime: float,
    e_range: tuple[float, float],
    rng: np.random.Generator,
) -> Events:
    ra_pnt, dec_pnt = info["RA_PNT"], info["DEC_PNT"]
    events = sample_background(irf, cells, ontime, ra_pnt, dec_pnt, rng)
    if src is None:
        return events
    extra = sample_source(irf, src, live, ra_pnt, dec_pnt, e_range, rng)
    return Events(
        *(
            np.concatenate([getattr(events, f), getattr(extra, f)])
            for f in ("ra", "dec", "energy", "detx", "dety", "mc_id")
        )
    )


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
