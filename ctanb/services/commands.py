"""What the archive's commands do: ``ctanb db``, ``ingest``, ``serve`` and ``token``.

:mod:`ctanb.services.cli` declares the commands and their options; each runs one function
here with the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn

from ctanb.config import Settings, get_settings
from ctanb.errors import ConfigurationError
from ctanb.services import schema, sitedb
from ctanb.services.cluster import PrivateCluster
from ctanb.services.ingest import ingest as ingest_paths
from ctanb.services.store import Store
from ctanb.services.tokens import create_token, list_tokens, revoke_tokens, token_hash

__all__ = ["KEEP_ALIVE_S", "db", "ingest", "serve", "token_create", "token_list", "token_revoke"]

# Idle keep-alive connections stay open this long (uvicorn's default is 5 s): a client that
# reuses a connection just as the server closes it gets a reset (bench_load.py saw it under
# load); longer than the usual proxy and client idle timeouts (60 s).
KEEP_ALIVE_S = 75


def db(args: argparse.Namespace) -> int:
    """``ctanb db start|stop|status|init|upgrade``."""
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
    with store.connect() as conn:
        version = schema.stored_version(conn)
    state = "current" if version == schema.SCHEMA_VERSION else "run `ctanb db upgrade`"
    if version > schema.SCHEMA_VERSION:
        state = "newer than this ctanb: upgrade ctanb"
    return f"schema version {version} ({state}; this ctanb: {schema.SCHEMA_VERSION})"


def _db_init(settings: Settings) -> int:
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


def ingest(args: argparse.Namespace) -> int:
    """``ctanb ingest PATH...``: ingest GADF DL3 folders or files into the store."""
    settings = get_settings()
    store = Store.open(settings)

    def progress(done: int, total: int, path: object) -> None:
        print(f"\r  [{done}/{total}] {Path(str(path)).name:<50}", end="", file=sys.stderr)

    report = ingest_paths(
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


def serve(args: argparse.Namespace) -> int:
    """``ctanb serve``: run the TAP / data / UWS service."""
    if args.workers < 1:
        print("ctanb serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1:
        Store.open(get_settings())  # start and initialise the store once, before the workers
        _uvicorn("ctanb.services.app:create_app", args, factory=True, workers=args.workers)
        return 0
    # the service's app imports all of the service (~2.7 s): only `ctanb serve` needs it
    from ctanb.services.app import create_app

    _uvicorn(create_app(), args)
    return 0


def _uvicorn(app: Any, args: argparse.Namespace, **options: Any) -> None:
    """Serve ``app`` (an app, or where to find its factory) as ``args`` say."""
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_keep_alive=KEEP_ALIVE_S,
        **options,
    )


def token_create(args: argparse.Namespace) -> int:
    """``ctanb token create NAME``: print a new token on stdout."""
    token = create_token(Store.open(get_settings()), args.name, args.group, args.expires)
    print(token)
    print(f"token id {token_hash(token)[:12]} for {args.name}", file=sys.stderr)
    return 0


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else "never"


def token_list(args: argparse.Namespace) -> int:
    """``ctanb token list``: the tokens (never the tokens themselves)."""
    tokens = list_tokens(Store.open(get_settings()), args.user, everything=args.all)
    print(f"{'id':<12}  {'user':<16} {'groups':<24} {'state':<8} {'expires':<20} last used")
    for t in tokens:
        print(
            f"{t.token_id:<12}  {t.name:<16} {','.join(t.groups) or '-':<24} {t.state:<8} "
            f"{_when(t.expires):<20} {_when(t.last_used)}"
        )
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    """``ctanb token revoke``: revoke a token by id, or all of a user."""
    count = revoke_tokens(Store.open(get_settings()), args.token_id, args.user)
    print(f"revoked {count} token{'s' if count != 1 else ''}")
    return 0 if count else 1
