"""Command-line entry points of the archive: ``ctanb db``, ``ingest``, ``serve``, ``token``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ctanb.config import DEFAULT_SERVICE_PORT, get_settings

if TYPE_CHECKING:
    from ctanb.config import Settings
    from ctanb.services.store import Store

__all__ = ["register"]

# Idle keep-alive connections stay open this long (uvicorn's default is 5 s): a client that
# reuses a connection just as the server closes it gets a reset (bench_load.py saw it under
# load); longer than the usual proxy and client idle timeouts (60 s).
KEEP_ALIVE_S = 75


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the archive's sub-commands."""
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
    db.set_defaults(func=_db)

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
    ingest.set_defaults(func=_ingest)

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
    serve.set_defaults(func=_serve)

    token = subparsers.add_parser(
        "token", help="local API tokens: create, list, revoke", description=_TOKEN_HELP
    )
    commands = token.add_subparsers(dest="token_command", required=True)
    create = commands.add_parser("create", help="create a token (printed once, on stdout)")
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
    create.set_defaults(func=_token_create)
    listing = commands.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--user", help="only this user's tokens")
    listing.add_argument("--all", action="store_true", help="also expired and revoked ones")
    listing.set_defaults(func=_token_list)
    revoke = commands.add_parser("revoke", help="revoke a token at once (by id, or all of a user)")
    revoke.add_argument("token_id", nargs="?", help="the id `ctanb token list` shows")
    revoke.add_argument("--user", help="revoke every token of this user")
    revoke.set_defaults(func=_token_revoke)


def _db(args: argparse.Namespace) -> int:
    from ctanb.services.cluster import PrivateCluster
    from ctanb.services.store import Store

    settings = get_settings()
    if args.action == "init":
        return _db_init(settings)
    if args.action == "upgrade":
        return _db_upgrade(settings)
    if settings.database_url:
        if args.action == "status":
            line = _schema_line(Store.open(settings, create=False))
            print(f"configured database (CTANB_DATABASE_URL): {line}")
            return 0
        print(f"using the configured database CTANB_DATABASE_URL; nothing to {args.action}")
        return 0
    cluster = PrivateCluster(settings.home)
    if args.action == "start":
        store = Store.open(settings)
        print(cluster.status())
        print(_schema_line(store))
    elif args.action == "stop":
        print("stopped" if cluster.stop() else "was not running")
    else:
        print(cluster.status())
        if cluster.is_running():
            print(_schema_line(Store.open(settings, create=False)))
    return 0


def _schema_line(store: Store) -> str:
    from ctanb.services import schema

    with store.connect() as conn:
        version = schema.stored_version(conn)
    state = "current" if version == schema.SCHEMA_VERSION else "run `ctanb db upgrade`"
    if version > schema.SCHEMA_VERSION:
        state = "newer than this ctanb: upgrade ctanb"
    return f"schema version {version} ({state}; this ctanb: {schema.SCHEMA_VERSION})"


def _db_init(settings: Settings) -> int:
    from ctanb.errors import ConfigurationError
    from ctanb.services import sitedb
    from ctanb.services.store import Store

    try:
        store = Store.open(settings)
    except ConfigurationError as exc:
        print(f"ctanb db init: {exc}", file=sys.stderr)
        return 1
    findings = sitedb.check(store)
    with store.connect() as conn:
        database = conn.info.dbname
    print(f"ctanb db init: schema applied to database {database}; {_schema_line(store)}")
    print(sitedb.report(findings, database))
    return 1 if any(f.severity == "required" for f in findings) else 0


def _db_upgrade(settings: Settings) -> int:
    from ctanb.errors import ConfigurationError
    from ctanb.services import schema
    from ctanb.services.store import Store

    try:
        store = Store.open(settings, create=False)
        with store.connect() as conn:
            before = schema.stored_version(conn)
        applied = store.initialise()
    except ConfigurationError as exc:
        print(f"ctanb db upgrade: {exc}", file=sys.stderr)
        return 1
    if not applied and before == schema.SCHEMA_VERSION:
        print(f"already at schema version {schema.SCHEMA_VERSION}: nothing to do")
        return 0
    print(f"schema version {before} -> {schema.SCHEMA_VERSION}")
    for migration in applied:
        print(f"  applied {migration.version}: {migration.description}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from ctanb.services.ingest import ingest
    from ctanb.services.store import Store

    settings = get_settings()
    store = Store.open(settings)

    def progress(done: int, total: int, path: object) -> None:
        print(f"\r  [{done}/{total}] {Path(str(path)).name:<50}", end="", file=sys.stderr)

    report = ingest(
        args.paths,
        store,
        collection=args.collection,
        defaults_file=args.defaults,
        catalogs_dir=settings.catalogs_dir,
        progress=progress,
    )
    print(file=sys.stderr)
    print(report)
    return 0 if report.ingested or not report.skipped else 1


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        print("ctanb serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1:
        from ctanb.services.store import Store

        Store.open(get_settings())  # start and initialise the store once, before the workers
        uvicorn.run(
            "ctanb.services.app:create_app",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            proxy_headers=True,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        return 0
    from ctanb.services.app import create_app

    app = create_app()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return 0


_TOKEN_HELP = (
    "Local API tokens for the archive (sent as `Authorization: Bearer TOKEN`). A token "
    "expires (default 90 days), can be revoked at once, and is stored only as a hash."
)


def _token_create(args: argparse.Namespace) -> int:
    from ctanb.services.store import Store
    from ctanb.services.tokens import create_token, token_hash

    token = create_token(Store.open(get_settings()), args.name, args.group, args.expires)
    print(token)
    print(f"token id {token_hash(token)[:12]} for {args.name}", file=sys.stderr)
    return 0


def _when(value: object) -> str:
    from datetime import datetime

    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else "never"


def _token_list(args: argparse.Namespace) -> int:
    from ctanb.services.store import Store
    from ctanb.services.tokens import list_tokens

    tokens = list_tokens(Store.open(get_settings()), args.user, everything=args.all)
    print(f"{'id':<12}  {'user':<16} {'groups':<24} {'state':<8} {'expires':<20} last used")
    for t in tokens:
        print(
            f"{t.token_id:<12}  {t.name:<16} {','.join(t.groups) or '-':<24} {t.state:<8} "
            f"{_when(t.expires):<20} {_when(t.last_used)}"
        )
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from ctanb.services.store import Store
    from ctanb.services.tokens import revoke_tokens

    count = revoke_tokens(Store.open(get_settings()), args.token_id, args.user)
    print(f"revoked {count} token{'s' if count != 1 else ''}")
    return 0 if count else 1
