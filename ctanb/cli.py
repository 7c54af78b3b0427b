"""The ``ctanb`` command line.

Each area of ctanb adds its own sub-commands through a ``register(subparsers)``
function in its ``cli`` module; this module only assembles them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from functools import partial

from ctanb import __version__, demo
from ctanb.analysis import cli as analysis_cli
from ctanb.clitools import SubParsers
from ctanb.errors import CtanbError
from ctanb.prov import cli as prov_cli
from ctanb.services import cli as services_cli
from ctanb.simulate import cli as simulate_cli

__all__ = ["build_parser", "main"]

#: The ``register(subparsers)`` functions that add the sub-commands, in ``--help`` order.
REGISTER: tuple[Callable[[SubParsers], None], ...] = (
    services_cli.register,  # db, ingest, serve, token
    analysis_cli.register,  # countmap, spectrum, lightcurve, significance
    simulate_cli.register,  # simulate
    demo.register,  # demo
    partial(prov_cli.register, replay=analysis_cli.replay_product),  # prov show|lineage|diff|replay
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="ctanb",
        description="Find, analyse and share very-high-energy gamma-ray data.",
    )
    parser.add_argument("--version", action="version", version=f"ctanb {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in REGISTER:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ctanb`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        return 130
    except CtanbError as exc:
        print(f"ctanb: error: {exc}", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
