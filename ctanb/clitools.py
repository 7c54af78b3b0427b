"""What the ``ctanb`` sub-command modules share when they add their commands.

Each area's ``cli`` module (``ctanb.analysis.cli``, ``ctanb.prov.cli``, ``ctanb.demo``,
``ctanb.services.cli``) adds its sub-commands with :func:`add_command`: the parser and the
function that runs it, in one call.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["Command", "SubParsers", "add_command", "add_pair_option"]

#: What ``ArgumentParser.add_subparsers`` returns.
SubParsers = argparse._SubParsersAction
#: A command: it takes the parsed arguments and returns the exit status.
Command = Callable[[argparse.Namespace], int]


def add_command(
    subparsers: SubParsers, name: str, func: Command, *, help: str, description: str | None = None
) -> argparse.ArgumentParser:
    """Add the sub-command ``name``, which ``func(args)`` runs; return its parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned.
    name : str
        The sub-command (``countmap``).
    func : callable
        Runs the command with the parsed arguments and returns the exit status.
    help : str
        One line, for the list of commands.
    description : str, optional
        A paragraph, for the command's own ``--help``.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description
    )
    parser.set_defaults(func=func)
    return parser


def add_pair_option(
    parser: argparse.ArgumentParser, name: str, metavar: tuple[str, str], help: str
) -> None:
    """Add an option of two numbers (``--skydir LON LAT``), None when not given."""
    parser.add_argument(name, nargs=2, type=float, metavar=metavar, help=help)
