"""``ctanb prov``: show, export, list the lineage of, compare and replay a product's provenance.

Replaying runs an analysis, and prov sits below :mod:`ctanb.analysis`: the replay function is
handed to :func:`register` by the command line that assembles the sub-commands
(:mod:`ctanb.cli` passes :func:`ctanb.analysis.replay.replay`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from astropy.io import fits

from ctanb.clitools import SubParsers, add_command
from ctanb.errors import DataError
from ctanb.prov.document import Provenance, serialize
from ctanb.prov.fits import read_provenance_hdu, read_sidecar
from ctanb.prov.tools import diff, lineage

__all__ = ["Replay", "load", "register"]

#: Re-runs a product's recorded activity: ``replay(provenance, archive=url)`` returns a product.
Replay = Callable[..., Any]


def load(path: str | Path) -> Provenance:
    """Read the provenance of a product file: its PROVENANCE HDU, else its sidecar."""
    path = Path(path)
    doc = None
    try:
        with fits.open(path) as hdulist:
            doc = read_provenance_hdu(hdulist)
    except OSError:
        pass
    doc = doc or read_sidecar(path)
    if doc is None:
        raise DataError(
            f"{path} has no provenance: no PROVENANCE HDU and no {path.name}.prov.json sidecar"
        )
    return doc


def _show(args: argparse.Namespace) -> int:
    sys.stdout.write(serialize(load(args.product), args.format))
    sys.stdout.write("\n")
    return 0


def _lineage(args: argparse.Namespace) -> int:
    found = lineage(load(args.product))
    if found.query:
        print(f"query: {found.query['service_url']}\n  {found.query['adql']}")
    for item in found.files:
        print(f"{item['role']:10} obs_id={item['obs_id']:8} {item['checksum']}  {item['path']}")
    print("software: " + ", ".join(f"{k} {v}" for k, v in found.software.items()))
    return 0


def _diff(args: argparse.Namespace) -> int:
    changes = diff(load(args.a), load(args.b))
    for name, (a, b) in changes["parameters"].items():
        print(f"parameter {name}: {a!r} -> {b!r}")
    for path in changes["inputs_only_in_a"]:
        print(f"input only in A: {path}")
    for path in changes["inputs_only_in_b"]:
        print(f"input only in B: {path}")
    if changes["activity"]:
        print(f"activity: {changes['activity'][0]} -> {changes['activity'][1]}")
    different = changes["parameters"] or changes["inputs_only_in_a"] or changes["inputs_only_in_b"]
    return 1 if different or changes["activity"] else 0


def _replay(args: argparse.Namespace, *, replay: Replay) -> int:
    product = replay(load(args.product), archive=args.archive)
    product.to_fits(args.out)
    print(f"replayed into {args.out} ({product.checksum()})")
    return 0


def register(subparsers: SubParsers, *, replay: Replay) -> None:
    """Add ``ctanb prov show|lineage|diff|replay``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned.
    replay : callable
        What ``ctanb prov replay`` runs (:func:`ctanb.analysis.replay.replay`).
    """
    prov = subparsers.add_parser(
        "prov",
        help="provenance of a product file: show, lineage, diff, replay",
        description="Read the W3C PROV provenance a ctanb product carries (FITS PROVENANCE HDU "
        "or .prov.json sidecar).",
    )
    commands = prov.add_subparsers(dest="prov_command", required=True)
    show = add_command(
        commands, "show", _show, help="print the provenance as PROV-JSON/XML/N or SVG"
    )
    show.add_argument("product", type=Path)
    show.add_argument("--format", default="provn", choices=["json", "xml", "provn", "svg"])
    lin = add_command(
        commands, "lineage", _lineage, help="list raw files, IRFs, query, software versions"
    )
    lin.add_argument("product", type=Path)
    dif = add_command(
        commands, "diff", _diff, help="inputs and parameters that differ (exit 1 if any)"
    )
    dif.add_argument("a", type=Path)
    dif.add_argument("b", type=Path)
    rep = add_command(
        commands,
        "replay",
        partial(_replay, replay=replay),
        help="re-run the recorded activity into a new file",
    )
    rep.add_argument("product", type=Path)
    rep.add_argument("--out", required=True, type=Path)
    rep.add_argument(
        "--archive",
        help="archive whose data URLs the inputs may come from (default CTANB_SERVICE_URL)",
    )
