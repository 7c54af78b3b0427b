"""The ctanb archive service: one ASGI app with TAP, data access and UWS."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctanb import __version__
from ctanb.config import Settings, get_settings
from ctanb.errors import CtanbError
from ctanb.services import data, hubauth, lineage, publish, sky, tap, uws
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
        return _error_response(request, str(exc.detail), exc.status_code, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return _error_response(request, message, 400)

    @app.exception_handler(CtanbError)
    async def ctanb_error(request: Request, exc: CtanbError) -> Response:
        if exc.status_code >= 500:  # a fault of the service: its message may name files
            log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
            return _error_response(request, f"{exc.ivoa_code}: internal error", exc.status_code)
        return _error_response(request, str(exc), exc.status_code)

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


def _error_response(
    request: Request, message: str, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    """A TAP error document under /tap, else JSON ``{"detail": message}``."""
    if request.url.path.startswith("/tap"):
        return Response(
            error_document(message),
            status_code=status,
            media_type="application/x-votable+xml",
            headers=headers,
        )
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _hub_auth():
    """Return a token checker against JupyterHub when the service runs behind a hub."""
    if not os.environ.get("JUPYTERHUB_API_TOKEN") or not os.environ.get("JUPYTERHUB_API_URL"):
        return None
    return hubauth.identity_from_token_async
