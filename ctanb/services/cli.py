"""Command-line entry points of the archive: ``ctanb db``, ``ingest``, ``serve``, ``token``.

This module declares the commands and their options; what they do is in
:mod:`ctanb.services.commands`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ctanb.config import DEFAULT_SERVICE_PORT
from ctanb.services import commands

__all__ = ["register"]

Command = Callable[[argparse.Namespace], int]


_TOKEN_HELP = (
    "Local API tokens for the archive (sent as `Authorization: Bearer TOKEN`). A token "
    "expires (default 90 days), can be revoked at once, and is stored only as a hash."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the archive's sub-commands."""
    _add_db(subparsers)
    _add_ingest(subparsers)
    _add_serve(subparsers)
    _add_token(subparsers)


def _add_db(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser(
        "db",
        help="start, stop or show ctanb's private PostgreSQL; init or upgrade the store's schema",
        description="start/stop/status: ctanb's private cluster (and the schema version). "
        "init: apply the schema to the store (CTANB_DATABASE_URL or the private cluster) and "
        "say which privileges the database administrator must still grant (exit 1 if any "
        "that row-level security needs is missing). upgrade: migrate the store's schema to "
        "this ctanb's version.",
    )
    db.add_argument("action", choices=["start", "stop", "status", "init", "upgrade"])
    db.set_defaults(func=commands.db)


def _add_ingest(subparsers: argparse._SubParsersAction) -> None:
    ingest = subparsers.add_parser(
        "ingest", help="ingest GADF DL3 folders or files into the ObsCore store"
    )
    ingest.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="GADF folder (obs-index + hdu-index) or DL3 event-list file",
    )
    ingest.add_argument("--collection", help="collection name (default: from the headers)")
    ingest.add_argument(
        "--defaults",
        type=Path,
        help="TOML file of per-collection defaults (default: the packaged one)",
    )
    ingest.set_defaults(func=commands.ingest)


def _add_serve(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the TAP / data / UWS service")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_SERVICE_PORT,
        help=f"port (default {DEFAULT_SERVICE_PORT})",
    )
    serve.add_argument("--log-level", default="warning")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="service processes sharing the port (default 1); jobs live in the store, so any "
        "process answers for any job",
    )
    serve.set_defaults(func=commands.serve)


def _add_token(subparsers: argparse._SubParsersAction) -> None:
    token = subparsers.add_parser(
        "token", help="local API tokens: create, list, revoke", description=_TOKEN_HELP
    )
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token (printed once, on stdout)")
    create.add_argument("name", help="user name (not 'anonymous')")
    create.add_argument(
        "--group",
        action="append",
        default=[],
        help="group the user belongs to (repeatable), e.g. cta-consortium",
    )
    create.add_argument(
        "--expires",
        default=None,
        help="a duration (12h, 30d, 2w) or an ISO date (2027-03-31); default 90 days",
    )
    create.set_defaults(func=commands.token_create)
    listing = token_commands.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--user", help="only this user's tokens")
    listing.add_argument("--all", action="store_true", help="also expired and revoked ones")
    listing.set_defaults(func=commands.token_list)
    revoke = token_commands.add_parser(
        "revoke", help="revoke a token at once (by id, or all of a user)"
    )
    revoke.add_argument("token_id", nargs="?", help="the id `ctanb token list` shows")
    revoke.add_argument("--user", help="revoke every token of this user")
    revoke.set_defaults(func=commands.token_revoke)
