"""``ctanb countmap``, ``spectrum``, ``lightcurve``, ``significance``, ``simulate`` from a shell.

The count map is the prototype's ctbin; option names are the job service's parameter names
(``--on-ra`` is ``on_ra``, ``--e-min`` is ``e_min``, ...), so a job and a command line
read alike.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


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


def _on_region_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--on-ra",
        type=float,
        metavar="DEG",
        help="ON region centre RA in degrees, ICRS (default: the first run's target, RA_OBJ)",
    )
    parser.add_argument(
        "--on-dec", type=float, metavar="DEG", help="ON region centre Dec in degrees"
    )
    parser.add_argument(
        "--on-radius",
        type=float,
        default=0.11,
        metavar="DEG",
        help="ON region radius in degrees (default 0.11)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the analysis sub-commands."""
    countmap = subparsers.add_parser(
        "countmap",
        help="bin event lists into a counts map or cube (FITS, gammapy-readable)",
        description="Bin DL3 event lists into a counts map (or cube with --energy-edges). "
        "The FITS file is read by gammapy's Map.read and carries the provenance in an HDU "
        "named PROVENANCE.",
    )
    _common(countmap)
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
    countmap.set_defaults(func=_countmap)

    spectrum = subparsers.add_parser(
        "spectrum",
        help="extract an ON/OFF spectrum with reflected OFF regions (FITS, optionally OGIP)",
        description="Count ON and OFF events per energy bin (OFF: reflected regions in each "
        "run), stacked over the runs, with alpha, excess and Li & Ma significance. The FITS "
        "table carries the provenance in an HDU named PROVENANCE; --ogip also writes PHA, "
        "BKG, ARF and RMF files made by gammapy's makers from the IRFs.",
    )
    _common(spectrum)
    _on_region_options(spectrum)
    spectrum.add_argument(
        "--energy-edges",
        default="0.5,1,2,5,10,20,50,100",
        help="reconstructed-energy bin edges in TeV, comma-separated "
        "(default 0.5,1,2,5,10,20,50,100)",
    )
    spectrum.add_argument(
        "--ogip", type=Path, metavar="DIR", help="also write OGIP files (PHA, BKG, ARF, RMF) here"
    )
    spectrum.set_defaults(func=_spectrum)

    lightcurve = subparsers.add_parser(
        "lightcurve",
        help="ON/OFF counts, excess and significance per run, night or time bin (FITS)",
        description="Count ON and OFF events in time bins: one per run, per night (24 h from "
        "noon UTC), or between given MJD edges (TT). --fluxes adds fluxes from gammapy's "
        "LightCurveEstimator (power law fitted to all runs, index then fixed).",
    )
    _common(lightcurve)
    _on_region_options(lightcurve)
    lightcurve.add_argument(
        "--e-min", type=float, default=1.0, help="lowest energy in TeV (default 1)"
    )
    lightcurve.add_argument(
        "--e-max", type=float, default=100.0, help="highest energy in TeV (default 100)"
    )
    lightcurve.add_argument(
        "--time-bins",
        default="run",
        help="'run', 'night', or comma-separated bin edges in MJD (TT) (default run)",
    )
    lightcurve.add_argument(
        "--fluxes",
        type=Path,
        metavar="FILE",
        help="also estimate fluxes with gammapy and write them here (ECSV)",
    )
    lightcurve.set_defaults(func=_lightcurve)

    _register_significance(subparsers)

    from ctanb.analysis import simulate

    simulation = subparsers.add_parser(
        "simulate", help="write synthetic GADF DL3 runs sampled from the CTA 1DC IRF"
    )
    simulate.add_arguments(simulation)
    simulation.set_defaults(func=simulate.run)


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
    _report_skipped(product)
    return 0


def _register_significance(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "significance",
        help="excess and Li & Ma significance maps with the ring background (FITS)",
        description="Ring background (gammapy's RingBackgroundMaker method) and Li & Ma "
        "significance in a correlation disc (ExcessMapEstimator), vectorised with FFTs. "
        "Known gamma-ray sources (gamma-cat, HGPS) are excluded from the ring unless "
        "--no-exclusion. The FITS file has one HDU per map (COUNTS, BACKGROUND, EXCESS, "
        "SQRT_TS, N_OFF, ALPHA, EXCLUSION) and the provenance.",
    )
    _common(parser)
    parser.add_argument(
        "--skydir",
        nargs=2,
        type=float,
        metavar=("RA", "DEC"),
        help="map centre in degrees, in --frame (default: mean pointing)",
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
    parser.set_defaults(func=_significance)


def _significance(args: argparse.Namespace) -> int:
    import astropy.units as u
    from astropy.coordinates import SkyCoord

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
        on_error="skip" if args.skip_bad_runs else "raise",
    )
    product.to_fits(args.out)
    peak, where = product.peak()
    print(
        f"{args.out}: peak significance {peak:.1f} sigma at RA {where.icrs.ra.deg:.3f}, "
        f"Dec {where.icrs.dec.deg:.3f} from {len(product.record.inputs)} runs"
    )
    _report_skipped(product)
    return 0


def _report_skipped(product: object) -> None:
    for skipped in getattr(product, "skipped", []):
        print(f"  skipped {skipped.path}: {skipped.reason}")


def _on_region(args: argparse.Namespace) -> object:
    if args.on_ra is None and args.on_dec is None:
        return None
    if args.on_ra is None or args.on_dec is None:
        raise SystemExit("give both --on-ra and --on-dec (or neither, for the target)")
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion

    return CircleSkyRegion(
        SkyCoord(args.on_ra * u.deg, args.on_dec * u.deg), args.on_radius * u.deg
    )


def _spectrum(args: argparse.Namespace) -> int:
    import astropy.units as u
    import numpy as np

    from ctanb.analysis.spectrum import extract_spectrum

    product = extract_spectrum(
        args.inputs,
        on_region=_on_region(args),
        energy_edges=[float(x) for x in args.energy_edges.split(",")] * u.TeV,
        on_error="skip" if args.skip_bad_runs else "raise",
        archive=args.archive,
    )
    product.to_fits(args.out)
    print(
        f"{args.out}: {int(product.n_on.sum())} ON, {int(product.n_off.sum())} OFF counts, "
        f"excess {product.excess.sum():.1f} from {len(product.record.inputs)} runs; "
        f"significance per bin {np.round(product.significance, 1).tolist()}"
    )
    _report_skipped(product)
    if args.ogip:
        print(f"OGIP: {product.write_ogip(args.ogip)} (with its BKG, ARF and RMF)")
    return 0


def _lightcurve(args: argparse.Namespace) -> int:
    import astropy.units as u
    from astropy.time import Time

    from ctanb.analysis.lightcurve import make_light_curve

    bins: str | Time = args.time_bins
    if args.time_bins not in ("run", "night"):
        bins = Time([float(x) for x in args.time_bins.split(",")], format="mjd", scale="tt")
    product = make_light_curve(
        args.inputs,
        on_region=_on_region(args),
        energy_range=(args.e_min * u.TeV, args.e_max * u.TeV),
        time_bins=bins,
        on_error="skip" if args.skip_bad_runs else "raise",
        archive=args.archive,
    )
    product.to_fits(args.out)
    print(f"{args.out}: {len(product.n_on)} bins from {len(product.record.inputs)} runs")
    print(product.to_table())
    _report_skipped(product)
    if args.fluxes:
        table = product.estimate_fluxes().to_table(sed_type="flux", format="lightcurve")
        table.write(args.fluxes, format="ascii.ecsv", overwrite=True)
        print(f"fluxes: {args.fluxes}")
    return 0
