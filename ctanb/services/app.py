"""The ctanb archive service: one ASGI app with TAP, data access and UWS."""

from __future__ import annotations

import importlib
import logging
import os

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctanb import __version__
from ctanb.config import Settings, get_settings
from ctanb.services import data, lineage, publish, sky, tap, uws
from ctanb.services.results import error_document
from ctanb.services.store import Store

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the service app for ``settings`` (the store is opened and initialised)."""
    settings = settings or get_settings()
    store = store or Store.open(settings)
    app = FastAPI(
        title="ctanb archive",
        version=__version__,
        description="ObsCore archive of DL3 event lists: TAP, downloads and UWS jobs.",
    )
    app.state.settings = settings
    app.state.store = store
    app.state.public_url = os.environ.get("CTANB_PUBLIC_URL") or None
    app.state.hub_auth = _hub_auth()
    uws.install(app, store, settings)  # /uws and /tap/async
    app.include_router(tap.router)
    app.include_router(data.router)
    app.include_router(publish.router)  # POST /products (DL4)
    app.include_router(lineage.router)  # GET /provenance/{entity}
    app.include_router(sky.router)  # /moc and /hips: the archive's observed sky, with rights

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if request.url.path.startswith("/tap"):
            return Response(
                error_document(str(exc.detail)),
                status_code=exc.status_code,
                media_type="application/x-votable+xml",
                headers=headers,
            )
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        if request.url.path.startswith("/tap"):
            return Response(
                error_document(message), status_code=400, media_type="application/x-votable+xml"
            )
        return JSONResponse({"detail": message}, status_code=400)

    @app.get("/")
    async def root() -> dict[str, str]:
        return {
            "service": "ctanb archive",
            "version": __version__,
            "tap": "/tap",
            "uws": "/uws",
            "data": "/data/{collection}/{obs_id}",
        }

    return app


def _hub_auth():
    """Return a token checker against JupyterHub when the service runs behind a hub."""
    if not os.environ.get("JUPYTERHUB_API_TOKEN") or not os.environ.get("JUPYTERHUB_API_URL"):
        return None
    try:
        hubauth = importlib.import_module("ctanb.services.hubauth")
    except ModuleNotFoundError:
        log.warning("running behind JupyterHub but ctanb.services.hubauth is missing")
        return None
    return hubauth.identity_from_token_async
