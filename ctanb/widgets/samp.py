"""Send results to desktop VO tools (TOPCAT, Aladin desktop, DS9) over SAMP.

Two paths. :class:`SampSender` is the kernel-side path: a
:class:`pyvo.samp.SAMPIntegratedClient` registers with the SAMP hub that runs beside the
kernel (a desktop hub, or one given by ``hub_params``) and broadcasts ``table.load.votable``
/ ``table.load.fits`` with URLs the receiving application can fetch. A result table's URL is
the archive's TAP sync URL of its query, so the receiver fetches the table straight from the
archive service. :class:`WebSamp` is the browser-side path (SAMP Web Profile) for hosted
notebooks, where the desktop tools run on the user's own machine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anywidget
import traitlets
from astropy.table import Table

from ctanb.config import get_settings
from ctanb.errors import ConfigurationError

__all__ = ["WEB_PROFILE_URL", "SampSender", "WebSamp", "data_urls", "table_url"]

#: Where the SAMP Web Profile hub listens (IVOA SAMP 1.3, section 5).
WEB_PROFILE_URL = "http://127.0.0.1:21012/"


def table_url(table: Table, service_url: str | None = None) -> str:
    """URL that returns ``table`` as a VOTable.

    The TAP sync URL of the query in ``table.meta["adql"]`` when there is one, else a
    VOTable written to a temporary file (``file://``, readable on this machine only).
    """
    adql = table.meta.get("adql")
    if adql:
        service = service_url or table.meta.get("service_url") or get_settings().service_url
        service = service.rstrip("/")
        # ctanb.search records the TAP URL itself as meta["service_url"].
        tap = table.meta.get("tap_url") or (
            service if service.endswith("/tap") else service + "/tap"
        )
        query = urlencode(
            {"REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": "votable", "QUERY": adql}
        )
        return f"{tap}/sync?{query}"
    folder = Path(tempfile.mkdtemp(prefix="ctanb-samp-"))
    path = folder / "table.xml"
    table.write(path, format="votable")
    return path.as_uri()


def data_urls(table: Table, service_url: str | None = None) -> list[tuple[str, str]]:
    """(obs_id, URL) of the event file of each row: ``access_url``, else the service's /data."""
    service = (service_url or get_settings().service_url).rstrip("/")
    out = []
    for row in table:
        url = str(row["access_url"]) if "access_url" in table.colnames else ""
        if not url:
            url = f"{service}/data/{row['obs_collection']}/{row['obs_id']}"
        out.append((str(row["obs_id"]), url))
    return out


class SampSender:
    """A SAMP client of the kernel that sends tables and event files.

    Parameters
    ----------
    hub_params : dict, optional
        Hub connection parameters (``samp.hub.xmlrpc.url`` and ``samp.secret``); by default
        the standard lock-file discovery (``SAMP_HUB`` or ``~/.samp``).
    name : str
        Name shown to the other applications.
    """

    def __init__(self, hub_params: dict[str, str] | None = None, name: str = "ctanb") -> None:
        self.hub_params = hub_params
        self.name = name
        self._client: Any = None

    def _connect(self) -> Any:
        # pyvo.samp takes ~1 s to import: only a kernel-side SAMP send needs it
        from pyvo.samp import SAMPClientError, SAMPHubError, SAMPIntegratedClient

        if self._client is not None and self._client.is_connected:
            return self._client
        client = SAMPIntegratedClient(name=self.name, description="ctanb notebook")
        try:
            client.connect(hub_params=self.hub_params)
        except (SAMPHubError, SAMPClientError, OSError) as exc:
            raise ConfigurationError(
                "no SAMP hub found: start TOPCAT or Aladin desktop (they run a hub) on the machine "
                f"running this kernel, or use the browser's Web SAMP button ({exc})"
            ) from exc
        self._client = client
        return client

    def send_table(
        self, table: Table, name: str = "ctanb result", recipient: str | None = None
    ) -> str:
        """Broadcast ``table.load.votable`` (or send it to ``recipient``); return the URL sent."""
        url = table_url(table)
        message = {
            "samp.mtype": "table.load.votable",
            "samp.params": {"url": url, "name": name, "table-id": name},
        }
        self._send(message, recipient)
        return url

    def send_data(self, table: Table, recipient: str | None = None) -> list[str]:
        """Send the event file of each row as ``table.load.fits``; return the URLs sent."""
        urls = []
        for obs_id, url in data_urls(table):
            message = {
                "samp.mtype": "table.load.fits",
                "samp.params": {"url": url, "name": f"events {obs_id}", "table-id": obs_id},
            }
            self._send(message, recipient)
            urls.append(url)
        return urls

    def _send(self, message: dict, recipient: str | None) -> None:
        client = self._connect()
        if recipient:
            client.notify(recipient, message)
        else:
            client.notify_all(message)

    def close(self) -> None:
        """Unregister from the hub."""
        if self._client is not None and self._client.is_connected:
            self._client.disconnect()
        self._client = None


class WebSamp(anywidget.AnyWidget):
    """SAMP from the browser (Web Profile), for notebooks hosted away from the user's desktop.

    The desktop applications run on the user's machine; this widget's browser side registers
    with their hub at ``hub_url`` and sends the messages. URLs in them must be reachable from
    that machine (the archive's TAP sync URL of the query, the archive's ``/data`` URLs).

    Parameters
    ----------
    hub_url : str
        Web Profile end point of the user's hub (``http://127.0.0.1:21012/`` by default).
    """

    _esm = Path(__file__).parent / "static" / "web_samp.js"
    hub_url = traitlets.Unicode(WEB_PROFILE_URL).tag(sync=True)
    client_name = traitlets.Unicode("ctanb").tag(sync=True)
    request = traitlets.Dict().tag(sync=True)
    reply = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._count = 0

    def _request(self, messages: list[dict]) -> None:
        self._count += 1
        self.request = {"id": self._count, "messages": messages}

    def send_table(self, table: Table, name: str = "ctanb result") -> str:
        """Ask the browser to send ``table.load.votable``; return the URL sent."""
        url = table_url(table)
        if url.startswith("file:"):
            raise ConfigurationError(
                "this table has no archive URL (no meta['adql']): a desktop application "
                "on another machine could not fetch it; run the search with ctanb.search"
            )
        self._request(
            [
                {
                    "samp.mtype": "table.load.votable",
                    "samp.params": {"url": url, "name": name, "table-id": name},
                }
            ]
        )
        return url

    def send_data(self, table: Table) -> list[str]:
        """Ask the browser to send each row's event file as ``table.load.fits``."""
        pairs = data_urls(table)
        self._request(
            [
                {
                    "samp.mtype": "table.load.fits",
                    "samp.params": {"url": url, "name": f"events {obs_id}", "table-id": obs_id},
                }
                for obs_id, url in pairs
            ]
        )
        return [url for _, url in pairs]
