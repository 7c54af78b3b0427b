"""The ``ctanb`` command line.

Each area of ctanb adds its own sub-commands through a ``register(subparsers)``
function in its ``cli`` module; this module only assembles them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ctanb.errors import CtanbError

__all__ = ["build_parser", "main"]

#: Modules that contribute sub-commands, each with ``register(subparsers)``.
COMMAND_MODULES = (
    "ctanb.services.cli",  # db, ingest, serve
    "ctanb.analysis.cli",  # countmap, spectrum, lightcurve, simulate
    "ctanb.demo",  # demo
    "ctanb.prov.cli",  # prov show|lineage|diff|replay
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command."""
    from ctanb import __version__

    parser = argparse.ArgumentParser(
        prog="ctanb",
        description="Find, analyse and share very-high-energy gamma-ray data.",
    )
    parser.add_argument("--version", action="version", version=f"ctanb {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
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
