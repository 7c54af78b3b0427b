"""``ctanb countmap``: the prototype's ctbin, from a shell (the job service uses the same names)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the analysis sub-commands."""
    countmap = subparsers.add_parser(
        "countmap",
        help="bin event lists into a counts map or cube (FITS, gammapy-readable)",
        description="Bin DL3 event lists into a counts map (or cube with --energy-edges). "
        "The FITS file is read by gammapy's Map.read and carries the provenance in an HDU "
        "named PROVENANCE.",
    )
    countmap.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="DL3 files, GADF folders, or obs_ids (with --archive)",
    )
    countmap.add_argument("--out", required=True, type=Path, help="output FITS file")
    countmap.add_argument(
        "--skydir",
        nargs=2,
        type=float,
        metavar=("RA", "DEC"),
        help="map centre in degrees, in --frame (default: mean pointing)",
    )
    countmap.add_argument(
        "--frame",
        choices=["icrs", "galactic"],
        default="icrs",
        help="coordinate frame (default icrs)",
    )
    countmap.add_argument(
        "--width",
        nargs="+",
        type=float,
        default=[5.0],
        metavar="DEG",
        help="map width in degrees, one or two values (default 5)",
    )
    countmap.add_argument(
        "--binsz", type=float, default=0.02, help="pixel size in degrees (default 0.02)"
    )
    countmap.add_argument("--proj", default="CAR", help="WCS projection (default CAR)")
    countmap.add_argument(
        "--energy-edges",
        help="energy bin edges in TeV, comma-separated (e.g. 0.5,1,10,100): makes a cube",
    )
    countmap.add_argument("--nside", type=int, help="HEALPix NSIDE: a HEALPix map instead")
    countmap.add_argument("--archive", help="archive URL for obs_id inputs")
    countmap.add_argument(
        "--skip-bad-runs",
        action="store_true",
        help="leave out unreadable runs (listed) instead of stopping",
    )
    countmap.set_defaults(func=_countmap)


def _countmap(args: argparse.Namespace) -> int:
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    from ctanb.analysis.countmap import make_count_map

    skydir = None
    if args.skydir:
        skydir = SkyCoord(args.skydir[0] * u.deg, args.skydir[1] * u.deg, frame=args.frame)
    edges = None
    if args.energy_edges:
        edges = [float(x) for x in args.energy_edges.split(",")] * u.TeV
    width = args.width[0] if len(args.width) == 1 else tuple(args.width[:2])
    product = make_count_map(
        args.inputs,
        skydir=skydir,
        frame=args.frame,
        width=u.Quantity(width, u.deg),
        binsz=args.binsz * u.deg,
        proj=args.proj,
        energy_edges=edges,
        healpix_nside=args.nside,
        archive=args.archive,
        on_error="skip" if args.skip_bad_runs else "raise",
    )
    product.to_fits(args.out)
    print(f"{args.out}: {product.total} counts from {len(product.record.inputs)} runs")
    for skipped in product.skipped:
        print(f"  skipped {skipped.path}: {skipped.reason}")
    return 0
