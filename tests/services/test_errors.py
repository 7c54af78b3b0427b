"""One error hierarchy: every CtanbError becomes its HTTP status and an IVOA error answer."""

from __future__ import annotations

import pytest
from astropy.io.votable import parse_single_table
from fastapi.testclient import TestClient

from ctanb.errors import CtanbError, DataError, NotFoundError, UsageError
from ctanb.services.adql import ADQLError
from ctanb.services.app import create_app
from ctanb.services.tap import QueryError
from ctanb.services.uws.definitions import ParameterError


@pytest.mark.parametrize("cls", [ADQLError, QueryError, ParameterError])
def test_service_errors_are_usage_errors_and_still_value_errors(cls):
    error = cls("parameter X: give a number")
    assert isinstance(error, UsageError) and isinstance(error, CtanbError)
    assert error.status_code == 400 and error.ivoa_code == "UsageError"
    with pytest.raises(ValueError, match="give a number"):  # old `except ValueError` holds
        raise error


@pytest.fixture(scope="module")
def client(ctanb_settings, store):
    app = create_app(ctanb_settings, store)

    @app.get("/tap/raises-query-error")
    async def query_error() -> None:
        raise QueryError("MAXREC must not be negative")

    @app.get("/raises-parameter-error")
    async def parameter_error() -> None:
        raise ParameterError("parameter radius: 7 is above 5")

    @app.get("/raises-not-found")
    async def not_found() -> None:
        raise NotFoundError("no job abc")

    return TestClient(app)


def test_tap_errors_are_error_documents(client, tmp_path):
    answer = client.get("/tap/raises-query-error")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/x-votable+xml")
    path = tmp_path / "error.xml"
    path.write_bytes(answer.content)
    with pytest.raises(IndexError):  # an error document has no table, only INFO elements
        parse_single_table(str(path))
    assert 'name="QUERY_STATUS" value="ERROR"' in answer.text
    assert "MAXREC must not be negative" in answer.text


def test_other_errors_are_json_with_their_status(client):
    answer = client.get("/raises-parameter-error")
    assert answer.status_code == 400
    assert answer.json() == {"detail": "parameter radius: 7 is above 5"}
    answer = client.get("/raises-not-found")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no job abc"}


def test_data_error_status_is_a_fault():
    assert DataError("x").status_code == 500 and DataError("x").ivoa_code == "FatalFault"
