"""Command-line entry points of the archive: ``ctanb db``, ``ingest``, ``serve``, ``token``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ctanb.config import DEFAULT_SERVICE_PORT, get_settings

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the archive's sub-commands."""
    db = subparsers.add_parser("db", help="start, stop or show ctanb's private PostgreSQL")
    db.add_argument("action", choices=["start", "stop", "status"])
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

    token = subparsers.add_parser("token", help="create a local API token for a user")
    token.add_argument("action", choices=["create"])
    token.add_argument("name", help="user name")
    token.add_argument(
        "--group",
        action="append",
        default=[],
        help="group the user belongs to (repeatable), e.g. cta-consortium",
    )
    token.set_defaults(func=_token)


def _db(args: argparse.Namespace) -> int:
    from ctanb.services.cluster import PrivateCluster
    from ctanb.services.store import Store

    settings = get_settings()
    if settings.database_url:
        print(f"using the configured database CTANB_DATABASE_URL; nothing to {args.action}")
        return 0
    cluster = PrivateCluster(settings.home)
    if args.action == "start":
        Store.open(settings)
        print(cluster.status())
    elif args.action == "stop":
        print("stopped" if cluster.stop() else "was not running")
    else:
        print(cluster.status())
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
        )
        return 0
    from ctanb.services.app import create_app

    app = create_app()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    from ctanb.services.auth import create_token
    from ctanb.services.store import Store

    token = create_token(Store.open(get_settings()), args.name, args.group)
    print(token)
    return 0
