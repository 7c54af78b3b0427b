"""``ctanb countmap``, ``spectrum``, ``lightcurve``, ``significance`` from a shell.

The count map is the prototype's ctbin. The options are made by the analyses' specs
(:mod:`ctanb.analysis.specs`) from the same declarations as the job service's parameters
(``--on-ra`` is ``on_ra``, ``--e-min`` is ``e_min``, ...), so a job and a command line
read alike and share their defaults. ``ctanb simulate`` is :mod:`ctanb.simulate.cli`'s.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

from ctanb.analysis.specbase import AnalysisSpec
from ctanb.analysis.specs import CountMapSpec, LightCurveSpec, SpectrumSpec
from ctanb.clitools import Command, SubParsers, add_command, add_pair_option

__all__ = ["register", "replay_product"]


def _common(parser: argparse.ArgumentParser) -> None:
    """Inputs, output and bad-run handling, as every analysis command takes them."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="DL3 files, GADF folders, or obs_ids (with --archive)",
    )
    parser.add_argument("--out", required=True, type=Path, help="output FITS file")
    parser.add_argument("--archive", help="archive URL for obs_id inputs")
    parser.add_argument(
        "--skip-bad-runs",
        action="store_true",
        help="leave out unreadable runs (listed) instead of stopping",
    )


def _analysis_command(
    subparsers: SubParsers, name: str, func: Command, spec: type[AnalysisSpec] | None = None
) -> argparse.ArgumentParser:
    """Add the command of an analysis: inputs, output, then the spec's options (if any)."""
    help, description = HELP[name]
    parser = add_command(subparsers, name, func, help=help, description=description)
    _common(parser)
    if spec is not None:
        spec.add_arguments(parser)
    return parser


#: Sub-command -> its one-line help and its description.
HELP = {
    "countmap": (
        "bin event lists into a counts map or cube (FITS, gammapy-readable)",
        "Bin DL3 event lists into a counts map (or cube with --energy-edges). The FITS file "
        "is read by gammapy's Map.read and carries the provenance in an HDU named PROVENANCE.",
    ),
    "spectrum": (
        "extract an ON/OFF spectrum with reflected OFF regions (FITS, optionally OGIP)",
        "Count ON and OFF events per energy bin (OFF: reflected regions in each run), stacked "
        "over the runs, with alpha, excess and Li & Ma significance. The FITS table carries "
        "the provenance in an HDU named PROVENANCE; --ogip also writes PHA, BKG, ARF and RMF "
        "files made by gammapy's makers from the IRFs.",
    ),
    "lightcurve": (
        "ON/OFF counts, excess and significance per run, night or time bin (FITS)",
        "Count ON and OFF events in time bins: one per run, per night (24 h from noon UTC), "
        "or between given MJD edges (TT). --fluxes adds fluxes from gammapy's "
        "LightCurveEstimator (power law fitted to all runs, index then fixed).",
    ),
    "significance": (
        "excess and Li & Ma significance maps with the ring background (FITS)",
        "Ring background (gammapy's RingBackgroundMaker method) and Li & Ma significance in a "
        "correlation disc (ExcessMapEstimator), vectorised with FFTs. Known gamma-ray sources "
        "(gamma-cat, HGPS) are excluded from the ring unless --no-exclusion. The FITS file "
        "has one HDU per map (COUNTS, BACKGROUND, EXCESS, SQRT_TS, N_OFF, ALPHA, EXCLUSION) "
        "and the provenance.",
    ),
}


def register(subparsers: SubParsers) -> None:
    """Add the analysis sub-commands (their options made by the specs)."""
    countmap = _analysis_command(subparsers, "countmap", _countmap, CountMapSpec)
    add_pair_option(
        countmap, "--skydir", ("LON", "LAT"),
        "map centre in degrees, in --frame (as --ra/--dec or --glon/--glat)",
    )  # fmt: skip
    spectrum = _analysis_command(subparsers, "spectrum", _spectrum, SpectrumSpec)
    spectrum.add_argument(
        "--ogip", type=Path, metavar="DIR", help="also write OGIP files (PHA, BKG, ARF, RMF) here"
    )
    lightcurve = _analysis_command(subparsers, "lightcurve", _lightcurve, LightCurveSpec)
    lightcurve.add_argument(
        "--fluxes",
        type=Path,
        metavar="FILE",
        help="also estimate fluxes with gammapy and write them here (ECSV)",
    )
    _register_significance(subparsers)


def _run(spec: AnalysisSpec, args: argparse.Namespace) -> Any:
    """Run ``spec`` on the command's inputs."""
    return spec.run(args.inputs, archive=args.archive, on_error=_on_error(args))


def _on_error(args: argparse.Namespace) -> str:
    return "skip" if args.skip_bad_runs else "raise"


def _write(product: Any, args: argparse.Namespace, *summary: object) -> None:
    """Write ``product`` to ``--out``, print ``summary`` and the runs left out."""
    product.to_fits(args.out)
    for line in summary:
        print(line)
    for skipped in getattr(product, "skipped", []):
        print(f"  skipped {skipped.path}: {skipped.reason}")


def _countmap(args: argparse.Namespace) -> int:
    spec = CountMapSpec.from_args(args)
    if args.skydir:
        if spec.skydir is not None:
            raise SystemExit("ctanb countmap: give the centre once (--skydir or --ra/--dec)")
        lon, lat = args.skydir
        spec = spec.replace(skydir=SkyCoord(lon * u.deg, lat * u.deg, frame=spec.frame))
    product = _run(spec, args)
    runs = len(product.record.inputs)
    _write(product, args, f"{args.out}: {product.total} counts from {runs} runs")
    return 0


def _spectrum(args: argparse.Namespace) -> int:
    product = _run(SpectrumSpec.from_args(args), args)
    _write(
        product, args,
        f"{args.out}: {int(product.n_on.sum())} ON, {int(product.n_off.sum())} OFF counts, "
        f"excess {product.excess.sum():.1f} from {len(product.record.inputs)} runs; "
        f"significance per bin {np.round(product.significance, 1).tolist()}",
    )  # fmt: skip
    if args.ogip:
        print(f"OGIP: {product.write_ogip(args.ogip)} (with its BKG, ARF and RMF)")
    return 0


def _lightcurve(args: argparse.Namespace) -> int:
    product = _run(LightCurveSpec.from_args(args), args)
    runs = len(product.record.inputs)
    _write(
        product, args, f"{args.out}: {len(product.n_on)} bins from {runs} runs", product.to_table()
    )
    if args.fluxes:
        table = product.estimate_fluxes().to_table(sed_type="flux", format="lightcurve")
        table.write(args.fluxes, format="ascii.ecsv", overwrite=True)
        print(f"fluxes: {args.fluxes}")
    return 0


def _register_significance(subparsers: SubParsers) -> None:
    parser = _analysis_command(subparsers, "significance", _significance)
    add_pair_option(
        parser,
        "--skydir",
        ("RA", "DEC"),
        "map centre in degrees, in --frame (default: mean pointing)",
    )
    parser.add_argument("--frame", choices=["icrs", "galactic"], default="icrs")
    parser.add_argument("--width", type=float, default=5.0, help="map width, deg (default 5)")
    parser.add_argument("--binsz", type=float, default=0.02, help="pixel, deg (default 0.02)")
    parser.add_argument("--e-min", type=float, default=0.5, help="TeV (default 0.5)")
    parser.add_argument("--e-max", type=float, default=100.0, help="TeV (default 100)")
    parser.add_argument("--r-in", type=float, default=0.5, help="ring inner radius, deg")
    parser.add_argument("--ring-width", type=float, default=0.3, help="ring width, deg")
    parser.add_argument(
        "--correlation-radius", type=float, default=0.1, help="ON disc radius, deg (0.1)"
    )
    parser.add_argument(
        "--offset-max", type=float, default=2.5, help="largest offset from pointing, deg"
    )
    parser.add_argument("--no-exclusion", action="store_true", help="exclude no catalogued source")
    parser.add_argument(
        "--safe-mask",
        help="gammapy SafeMaskMaker methods, comma-separated (e.g. aeff-max,edisp-bias)",
    )


def replay_product(provenance: Any, archive: str | None = None) -> Any:
    """:func:`ctanb.analysis.replay.replay`, for ``ctanb prov replay``."""
    # replay runs the analyses, which import gammapy (~2 s): loaded only by this command
    from ctanb.analysis.replay import replay

    return replay(provenance, archive=archive)


def _significance(args: argparse.Namespace) -> int:
    # gammapy takes ~2 s to import: loaded by the command that needs it, not by `ctanb --help`
    from ctanb.analysis.significance import make_significance_map

    skydir = None
    if args.skydir:
        skydir = SkyCoord(args.skydir[0] * u.deg, args.skydir[1] * u.deg, frame=args.frame)
    product = make_significance_map(
        args.inputs,
        skydir=skydir,
        frame=args.frame,
        width=args.width * u.deg,
        binsz=args.binsz * u.deg,
        energy_range=(args.e_min * u.TeV, args.e_max * u.TeV),
        r_in=args.r_in * u.deg,
        ring_width=args.ring_width * u.deg,
        correlation_radius=args.correlation_radius * u.deg,
        offset_max=args.offset_max * u.deg,
        exclusion=None if args.no_exclusion else "catalogs",
        safe_mask=args.safe_mask.split(",") if args.safe_mask else None,
        archive=args.archive,
        on_error=_on_error(args),
    )
    peak, where = product.peak()
    _write(
        product, args,
        f"{args.out}: peak significance {peak:.1f} sigma at RA {where.icrs.ra.deg:.3f}, "
        f"Dec {where.icrs.dec.deg:.3f} from {len(product.record.inputs)} runs",
    )  # fmt: skip
    return 0
