"""Name resolution that works offline: archive targets, gamma-cat, HGPS, then Sesame.

``resolve("Crab")`` looks, in order, at the targets of the archive, at the local
catalogues (gamma-cat and the HGPS catalogue in ``CTANB_CATALOGS``), and at CDS Sesame
only when CDS answers within a second. Results are cached for the session.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.config import get_settings
from ctanb.errors import CtanbError
from ctanb.search.client import ArchiveClient, ArchiveError

__all__ = ["NameResolutionError", "Resolved", "normalise_name", "resolve"]

log = logging.getLogger(__name__)
SESAME_HOST = ("cdsweb.u-strasbg.fr", 80)


class NameResolutionError(CtanbError, LookupError):
    """No source of that name; the message lists the closest known names."""


@dataclass(frozen=True)
class Resolved:
    """A resolved name: the position, where it came from and the name that matched."""

    coord: SkyCoord
    source: str
    matched_name: str

    def __str__(self) -> str:
        return (
            f"{self.matched_name}: RA {self.coord.ra.deg:.4f} deg, "
            f"Dec {self.coord.dec.deg:.4f} deg ({self.source})"
        )


def normalise_name(name: str) -> str:
    """Compare names ignoring case, spaces and punctuation ("Crab Nebula" == "crab-nebula")."""
    text = name.lower().replace("+", "p")
    text = re.sub(r"[^a-z0-9]", "", text)
    return text.removeprefix("the")


@dataclass(frozen=True)
class _Catalogue:
    source: str
    names: dict[str, tuple[str, float, float]]  # normalised -> (name, ra, dec)


def _add(names: dict[str, tuple[str, float, float]], name: str, ra: float, dec: float) -> None:
    key = normalise_name(name)
    if key and np.isfinite(ra) and np.isfinite(dec):
        names.setdefault(key, (name.strip(), float(ra), float(dec)))


@functools.cache
def _gammacat(path: Path) -> _Catalogue:
    names: dict[str, tuple[str, float, float]] = {}
    if path.exists():
        table = Table.read(path)
        for row in table:
            ra, dec = float(row["ra"]), float(row["dec"])
            _add(names, str(row["common_name"]), ra, dec)
            for column in ("other_names", "gamma_names", "tevcat_name"):
                for alias in str(row[column]).split(","):
                    _add(names, alias, ra, dec)
            # "Crab nebula" is also found as "Crab"
            common = str(row["common_name"])
            for suffix in (" nebula", " pwn"):
                if common.lower().endswith(suffix):
                    _add(names, common[: -len(suffix)], ra, dec)
    return _Catalogue("gamma-cat", names)


@functools.cache
def _hgps(path: Path) -> _Catalogue:
    names: dict[str, tuple[str, float, float]] = {}
    if path.exists():
        table = Table.read(path, hdu="HGPS_SOURCES")
        for row in table:
            ra, dec = float(row["RAJ2000"]), float(row["DEJ2000"])
            _add(names, str(row["Source_Name"]), ra, dec)
            for column in ("Identified_Object", "Gamma_Names"):
                if column in table.colnames:
                    for alias in str(row[column]).split(","):
                        _add(names, alias, ra, dec)
    return _Catalogue("HGPS", names)


@functools.lru_cache(maxsize=8)
def _archive_targets(tap_url: str) -> _Catalogue:
    """Targets of the archive, at the mean pointing of their runs (wobble offsets cancel)."""
    names: dict[str, tuple[str, float, float]] = {}
    try:
        table = ArchiveClient(tap_url, timeout=5).query(
            "SELECT target_name, AVG(COS(RADIANS(s_dec)) * COS(RADIANS(s_ra))) AS x, "
            "AVG(COS(RADIANS(s_dec)) * SIN(RADIANS(s_ra))) AS y, AVG(SIN(RADIANS(s_dec))) AS z "
            "FROM ivoa.obscore GROUP BY target_name"
        )
    except ArchiveError as exc:
        log.info("archive targets unavailable: %s", exc)
        return _Catalogue("archive", names)
    for row in table:
        if not row["target_name"]:
            continue
        lon = np.degrees(np.arctan2(row["y"], row["x"])) % 360
        lat = np.degrees(np.arctan2(row["z"], np.hypot(row["x"], row["y"])))
        _add(names, str(row["target_name"]), float(lon), float(lat))
    return _Catalogue("archive", names)


def _sesame_reachable(timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(SESAME_HOST, timeout=timeout):
            return True
    except OSError:
        return False


_CACHE: dict[tuple[str, str], Resolved] = {}


def resolve(name: str, *, archive_url: str | None = None, use_sesame: bool = True) -> Resolved:
    """Resolve a source name to a position, offline when need be.

    Parameters
    ----------
    name : str
        Source name; case, spaces and punctuation are ignored ("crab nebula", "CrabNebula").
    archive_url : str, optional
        The archive service (default ``CTANB_SERVICE_URL``).
    use_sesame : bool
        Ask CDS Sesame last, if it answers within a second.

    Returns
    -------
    Resolved
        ``.coord`` (ICRS SkyCoord), ``.source`` and ``.matched_name``.

    Raises
    ------
    NameResolutionError
        When no source knows the name; the message lists the closest known names.

    Examples
    --------
    >>> resolve("PKS 2155-304").source  # doctest: +SKIP
    'gamma-cat'
    """
    settings = get_settings()
    url = (archive_url or settings.service_url).rstrip("/")
    key = (normalise_name(name), url)
    if not key[0]:
        raise NameResolutionError("give a source name to resolve")
    if key in _CACHE:
        return _CACHE[key]
    catalogues_dir = Path(settings.catalogs_dir or "")
    catalogues = [
        _archive_targets(url),
        _gammacat(catalogues_dir / "gammacat" / "gammacat.fits.gz"),
        _hgps(catalogues_dir / "hgps_catalog_v1.fits.gz"),
    ]
    result = _in_catalogues(key[0], catalogues)
    if result is None and use_sesame:
        result = _from_sesame(name)
    if result is None:
        raise _not_known(name, key[0], catalogues, use_sesame)
    _CACHE[key] = result
    return result


def _in_catalogues(key: str, catalogues: list[_Catalogue]) -> Resolved | None:
    """The first catalogue's position for a normalised name, or None."""
    for catalogue in catalogues:
        if key in catalogue.names:
            matched, ra, dec = catalogue.names[key]
            return Resolved(
                SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"), catalogue.source, matched
            )
    return None


def _from_sesame(name: str) -> Resolved | None:
    """CDS Sesame's position for a name, or None (not known, or Sesame not reachable)."""
    if not _sesame_reachable():
        log.warning("Sesame (CDS) is not reachable: resolved with local catalogues only")
        return None
    try:
        coord = SkyCoord.from_name(name)
    except Exception as exc:
        log.info("Sesame could not resolve %r: %s", name, exc)
        return None
    return Resolved(coord.icrs, "Sesame (CDS)", name)


def _not_known(
    name: str, key: str, catalogues: list[_Catalogue], use_sesame: bool
) -> NameResolutionError:
    """The error for a name no source knows, listing the closest known names."""
    known = {entry[0] for c in catalogues for entry in c.names.values()}
    by_key = {normalise_name(k): k for k in known}
    close = [k for k in by_key if key in k or k in key][:3]
    close += difflib.get_close_matches(key, list(by_key), n=5 - len(close), cutoff=0.4)
    hint = ", ".join(dict.fromkeys(by_key[c] for c in close)) or "none"
    where = "the archive, gamma-cat and HGPS" + (" and Sesame" if use_sesame else "")
    return NameResolutionError(f"'{name}' is not known to {where}; closest names: {hint}")
