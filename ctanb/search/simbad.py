"""SIMBAD object types in a field: the one online addition to the offline counterparts.

SIMBAD is asked only when its server accepts a connection within ``timeout`` seconds, so a
notebook without internet learns so in a few seconds with a clear message, instead of
waiting for astroquery's default timeout (18 minutes).
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from astropy import units as u
from astropy.table import Table

from ctanb.errors import CtanbError
from ctanb.search.counterparts import field_of

__all__ = ["SimbadUnavailableError", "simbad_types"]

DEFAULT_TIMEOUT = 3.0  # seconds
_HINT = (
    "SIMBAD object types need the internet; the offline counterparts "
    "(ctanb.search.counterparts) do not"
)


class SimbadUnavailableError(CtanbError, ConnectionError):
    """SIMBAD could not be reached or did not answer; the offline counterparts still work."""


def _host_port(server: str) -> tuple[str, int]:
    parts = urlsplit(server if "://" in server else f"https://{server}")
    port = parts.port or (80 if parts.scheme == "http" else 443)
    return parts.hostname or server, port


def simbad_types(
    target: Any,
    radius: u.Quantity | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    server: str | None = None,
) -> Table:
    """Objects of SIMBAD in a field, with their object types (online only).

    Parameters
    ----------
    target : SkyCoord, str or astropy.table.Table
        The field (see :func:`ctanb.search.counterparts.field_of`).
    radius : Quantity, optional
        Radius of the field.
    timeout : float
        Seconds to wait for SIMBAD, for the connection and for the answer.
    server : str, optional
        SIMBAD's host (default astroquery's, ``simbad.cds.unistra.fr``).

    Returns
    -------
    astropy.table.Table
        ``main_id``, ``ra``, ``dec``, ``otype`` (SIMBAD's object type) per object.

    Raises
    ------
    SimbadUnavailableError
        When SIMBAD cannot be reached within ``timeout`` (no internet, a firewall) or
        fails; the message says so and that the offline counterparts do not need it.

    Examples
    --------
    >>> import astropy.units as u
    >>> simbad_types("Crab", 0.1 * u.deg)  # doctest: +SKIP
    """
    # astroquery takes ~2 s to import: only this online query needs it
    from astroquery.simbad import SimbadClass, conf

    centre, angle = field_of(target, radius)
    address = _host_port(server or conf.server)
    _check_reachable(address, timeout)
    with conf.set_temp("timeout", timeout), conf.set_temp("server", address[0]):
        simbad = SimbadClass(timeout=timeout)
        simbad.add_votable_fields("otype")
        try:
            found = simbad.query_region(centre, radius=angle)
        except Exception as exc:  # requests' and pyvo's errors, timeouts
            raise SimbadUnavailableError(
                f"SIMBAD ({address[0]}) did not answer within {timeout:g} s: {exc}. {_HINT}."
            ) from exc
    return Table(found) if found is not None else Table(names=("main_id", "ra", "dec", "otype"))


def _check_reachable(address: tuple[str, int], timeout: float) -> None:
    """Raise :class:`SimbadUnavailableError` unless SIMBAD accepts a connection in time."""
    try:
        with socket.create_connection(address, timeout=timeout):
            pass
    except OSError as exc:
        raise SimbadUnavailableError(
            f"SIMBAD ({address[0]}:{address[1]}) is not reachable within {timeout:g} s "
            f"({exc.__class__.__name__}: {exc}). {_HINT}."
        ) from exc
