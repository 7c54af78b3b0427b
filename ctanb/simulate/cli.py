"""``ctanb simulate`` from a shell: arguments and the command."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from astropy import units as u
from astropy.coordinates import SkyCoord

from ctanb.clitools import SubParsers, add_command, add_pair_option
from ctanb.errors import DataError
from ctanb.simulate.runs import simulate_runs
from ctanb.simulate.sampling import PointSource

__all__ = ["add_arguments", "register", "run"]


def register(subparsers: SubParsers) -> None:
    """Add ``ctanb simulate``."""
    what = "write synthetic GADF DL3 runs sampled from the CTA 1DC IRF"
    add_arguments(add_command(subparsers, "simulate", run, help=what))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``ctanb simulate`` arguments to ``parser``."""
    parser.description = (
        "Simulate IACT runs from the CTA 1DC IRF (background from the IRF's background "
        "model, optionally a power-law point source) and write them as a GADF DL3 folder "
        "that gammapy's DataStore.from_dir reads."
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="output folder")
    parser.add_argument("--runs", type=int, required=True, metavar="N", help="number of runs")
    parser.add_argument(
        "--events-per-run",
        type=int,
        metavar="N",
        help="expected events per run; sets the livetime (overrides --livetime)",
    )
    parser.add_argument(
        "--livetime",
        type=float,
        default=30.0,
        metavar="MIN",
        help="livetime per run in minutes (default 30)",
    )
    parser.add_argument(
        "--ra",
        type=float,
        default=83.633,
        metavar="DEG",
        help="target RA in degrees, ICRS (default 83.633, the Crab)",
    )
    parser.add_argument(
        "--dec",
        type=float,
        default=22.014,
        metavar="DEG",
        help="target Dec in degrees, ICRS (default 22.014)",
    )
    parser.add_argument(
        "--wobble",
        type=float,
        default=0.5,
        metavar="DEG",
        help="pointing offset from the target, N/S/E/W in turn, in degrees (default 0.5)",
    )
    _add_source_arguments(parser)
    add_pair_option(
        parser, "--energy-range", ("EMIN", "EMAX"), "energy range in TeV (default 0.03 150)"
    )
    parser.add_argument("--irf", type=Path, help="GADF IRF file (default the 1DC South_z20_50h)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--first-obs-id", type=int, default=900001, help="OBS_ID of the first run (default 900001)"
    )
    parser.add_argument(
        "--compress", action="store_true", help="write .fits.gz event files (slower)"
    )


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source-ra",
        type=float,
        metavar="DEG",
        help="point-source RA in degrees (default the target's; a source needs --source-flux)",
    )
    parser.add_argument(
        "--source-dec",
        type=float,
        metavar="DEG",
        help="point-source Dec in degrees (default the target's)",
    )
    parser.add_argument(
        "--source-flux",
        type=float,
        metavar="F",
        help="point-source differential flux at 1 TeV in cm-2 s-1 TeV-1 (e.g. 3.8e-11 for "
        "the Crab); no source when omitted",
    )
    parser.add_argument(
        "--source-index", type=float, default=2.5, help="power-law index (default 2.5)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``ctanb simulate`` with parsed ``args``; return the exit code."""
    target = SkyCoord(args.ra * u.deg, args.dec * u.deg)
    source = None
    if args.source_flux is not None:
        position = SkyCoord(
            (args.source_ra if args.source_ra is not None else args.ra) * u.deg,
            (args.source_dec if args.source_dec is not None else args.dec) * u.deg,
        )
        source = PointSource(
            position, args.source_flux * u.Unit("cm-2 s-1 TeV-1"), args.source_index
        )
    elif args.source_ra is not None or args.source_dec is not None:
        raise DataError("--source-ra/--source-dec need --source-flux")
    began = time.perf_counter()
    paths = simulate_runs(
        args.out_dir,
        args.runs,
        events_per_run=args.events_per_run,
        livetime=args.livetime * u.min,
        pointing=target,
        wobble=args.wobble * u.deg,
        source=source,
        energy_range=args.energy_range * u.TeV if args.energy_range else None,
        irf_file=args.irf,
        seed=args.seed,
        first_obs_id=args.first_obs_id,
        compress=args.compress,
    )
    elapsed = time.perf_counter() - began
    print(f"{args.out_dir}: {len(paths)} runs written in {elapsed:.1f} s")
    return 0
