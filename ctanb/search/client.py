"""``ArchiveClient``: the archive's TAP service through pyvo, with the user's token."""

from __future__ import annotations

import warnings
from typing import Any

import pyvo
import requests
from astropy.table import Table

from ctanb.config import get_settings
from ctanb.errors import CtanbError

__all__ = ["ArchiveClient", "ArchiveError", "MaxRecWarning", "archive_client"]

ASYNC_THRESHOLD = 10_000


class ArchiveError(CtanbError):
    """The archive refused a query or could not be reached; the message is the service's."""


class MaxRecWarning(UserWarning):
    """A result was cut at MAXREC."""


class ArchiveClient:
    """A client of the ctanb archive (any TAP service with the ObsCore table works).

    Parameters
    ----------
    url : str, optional
        Base URL of the archive service (its TAP service is ``<url>/tap``) or of the TAP
        service itself; default ``CTANB_SERVICE_URL``.
    token : str, optional
        API token sent as ``Authorization: Bearer``; default ``CTANB_TOKEN`` or
        ``JUPYTERHUB_API_TOKEN``.
    timeout : float
        Seconds to wait for the service.
    """

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 60.0
    ) -> None:
        settings = get_settings()
        base = (url or settings.service_url).rstrip("/")
        self.tap_url = base if base.endswith("/tap") else base + "/tap"
        self.base_url = self.tap_url.removesuffix("/tap")
        self.session = requests.Session()
        token = token if token is not None else settings.token
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.service = pyvo.dal.TAPService(self.tap_url, session=self.session)

    def __repr__(self) -> str:
        return f"ArchiveClient({self.tap_url!r})"

    def query(self, adql: str, *, maxrec: int | None = None, mode: str = "auto") -> Table:
        """Run ADQL and return an astropy Table with the query in ``meta["adql"]``.

        Parameters
        ----------
        adql : str
            The query.
        maxrec : int, optional
            Most rows wanted; the service's default otherwise.
        mode : {"auto", "sync", "async"}
            ``auto`` runs async (UWS) when ``maxrec`` asks for more than 10^4 rows.

        Raises
        ------
        ArchiveError
            With the service's message for a refused query or an unreachable service.
        """
        if mode not in ("auto", "sync", "async"):
            raise ValueError(f"mode must be 'auto', 'sync' or 'async', not {mode!r}")
        use_async = mode == "async" or (mode == "auto" and (maxrec or 0) > ASYNC_THRESHOLD)
        try:
            if use_async:
                result = self.service.run_async(adql, maxrec=maxrec)
            else:
                result = self.service.run_sync(adql, maxrec=maxrec)
            table = result.to_table()
        except pyvo.dal.DALQueryError as exc:
            raise ArchiveError(f"the archive refused the query: {exc}") from exc
        except (pyvo.dal.DALAccessError, requests.RequestException) as exc:
            raise ArchiveError(f"cannot query the archive at {self.tap_url}: {exc}") from exc
        if getattr(result, "query_status", None) == "OVERFLOW":
            warnings.warn(
                f"the result was cut at {len(table)} rows (MAXREC): pass a larger maxrec, "
                "e.g. client.query(adql, maxrec=10**6), or narrow the search",
                MaxRecWarning,
                stacklevel=2,
            )
        for name in table.colnames:  # text columns arrive as bytes or objects
            if table[name].dtype.kind in "OS":
                table[name] = [v.decode() if isinstance(v, bytes) else str(v) for v in table[name]]
        table.meta["adql"] = str(adql)
        table.meta["service_url"] = self.tap_url
        return table

    def to_pandas(self, adql: str, **kwargs: Any) -> Any:
        """Run ADQL and return a pandas DataFrame."""
        return self.query(adql, **kwargs).to_pandas()


def archive_client(client: ArchiveClient | str | None, token: str | None = None) -> ArchiveClient:
    """The client itself, or a new :class:`ArchiveClient` of a URL (default the service's).

    ``token`` is used for a new client only (default ``CTANB_TOKEN``).
    """
    return client if isinstance(client, ArchiveClient) else ArchiveClient(client, token=token)
