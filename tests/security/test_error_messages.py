"""A fault of the service (HTTP 5xx) never shows its message: it may name server files."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ctanb.errors import ConfigurationError, DataError
from ctanb.services.app import create_app

SECRET = "/srv/archive/proprietary/hess_dl3_dr1/run023523.fits.gz"


def test_service_faults_hide_paths(ctanb_settings, store):
    app = create_app(ctanb_settings, store)

    @app.get("/tap/raises-data-error")
    async def data_error() -> None:
        raise DataError(f"{SECRET}: cannot read as GADF DL3")

    @app.get("/raises-configuration-error")
    async def configuration_error() -> None:
        raise ConfigurationError(f"{SECRET}: PostgreSQL is not installed")

    client = TestClient(app, raise_server_exceptions=False)
    for url in ("/tap/raises-data-error", "/raises-configuration-error"):
        answer = client.get(url)
        assert answer.status_code == 500
        assert "FatalFault: internal error" in answer.text
        assert SECRET not in answer.text and "proprietary" not in answer.text
