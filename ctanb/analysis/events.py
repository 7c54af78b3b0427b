"""Event lists from DL3 files, GADF folders or the archive, read through the columnar cache."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

from ctanb.analysis.binning import unit_vectors
from ctanb.analysis.cache import EventCache
from ctanb.analysis.gti import good_time_mask, in_intervals
from ctanb.config import get_settings
from ctanb.errors import DataError
from ctanb.gadf import RunHeader, TimeReference, read_run_header, time_reference
from ctanb.search.client import ArchiveClient

__all__ = ["EventList", "RunEvents", "RunFile", "expand_inputs", "fetch_run", "read_events"]

COLUMNS = ("RA", "DEC", "ENERGY", "TIME")  # read from the file
CACHED = (*COLUMNS, "UVEC")  # kept in the cache: the file's columns and the unit vectors
CACHE_FORMAT = 4  # entries of another format are read again from the file (4: TIMEUNIT...)
DATA_URL = re.compile(r"(?P<archive>https?://.+)/data/(?P<collection>[^/]+)/(?P<obs_id>\d+)")


@dataclass(frozen=True)
class RunFile:
    """An event-list file to analyse, with its obs_id and collection when known."""

    path: Path
    obs_id: int | None = None
    collection: str | None = None
    url: str | None = None


@dataclass
class RunEvents:
    """Columns of one run's events, and its header values in ``meta``.

    Formerly ``EventList`` (still available under that name): renamed so that it is not
    mistaken for gammapy's ``EventList``.

    Attributes
    ----------
    ra, dec : ndarray
        ICRS coordinates of the events (deg).
    energy : ndarray
        Reconstructed energies (TeV).
    time : ndarray
        Event times as in the file's ``TIME`` column (in ``TIMEUNIT`` since its MJDREF:
        :attr:`time_reference` converts them).
    meta : dict
        OBS_ID, RA_PNT, DEC_PNT, the time reference (MJDREFI, MJDREFF, MJDREF, TIMESYS,
        TIMEUNIT, TIMEREF), TSTART, TSTOP, the GTIs (in the units of ``time``), whether
        every event lies in them (ALL_IN_GTI), and the file's checksum.
    vectors : ndarray, optional
        ICRS unit vectors of the events, shape (n, 3), for the fast binning.

    Notes
    -----
    Events are held sorted by energy (the file's order is not kept): binning a cube then
    visits one energy slice at a time, which keeps its memory accesses local.
    """

    obs_id: int
    path: Path
    ra: np.ndarray
    dec: np.ndarray
    energy: np.ndarray
    time: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    vectors: np.ndarray | None = None

    def subset(self, index: np.ndarray) -> RunEvents:
        """Return the events at ``index`` (integer indices or a boolean mask)."""
        return RunEvents(
            obs_id=self.obs_id,
            path=self.path,
            ra=self.ra[index],
            dec=self.dec[index],
            energy=self.energy[index],
            time=self.time[index],
            meta=self.meta,
            vectors=None if self.vectors is None else self.vectors[index],
        )

    def in_good_time(self, bad_time_intervals: Any = None) -> RunEvents:
        """The events in the run's GTIs and outside ``bad_time_intervals`` (astropy Time, n x 2).

        Returns this list itself when every event is good.
        """
        mask = good_time_mask(self.time, self.meta, bad_time_intervals)
        return self if mask is None else self.subset(mask)

    @property
    def gti(self) -> tuple[np.ndarray, np.ndarray]:
        """The run's good time intervals: START and STOP, in the units of :attr:`time`."""
        return np.asarray(self.meta["GTI_START"]), np.asarray(self.meta["GTI_STOP"])

    @property
    def time_reference(self) -> TimeReference:
        """How :attr:`time` counts: ``to_time(events.time)`` gives astropy ``Time``."""
        return time_reference(self.meta, where=str(self.path))

    @property
    def pointing(self) -> SkyCoord:
        """Pointing position of the run."""
        return SkyCoord(self.meta["RA_PNT"] * u.deg, self.meta["DEC_PNT"] * u.deg, frame="icrs")

    @property
    def checksum(self) -> str:
        """``sha256:<hex>`` of the file."""
        return str(self.meta["checksum"])

    def __len__(self) -> int:
        return len(self.energy)


#: The former name of :class:`RunEvents`, kept for notebooks and callers that use it.
EventList = RunEvents


def _read_columns(events: fits.BinTableHDU, path: Path) -> dict[str, np.ndarray]:
    """The event columns, energies in TeV, sorted by energy, with their unit vectors."""
    missing = [c for c in COLUMNS if c not in events.columns.names]
    if missing:
        raise DataError(f"{path}: EVENTS lacks the columns {', '.join(missing)}")
    unit = u.Unit(events.columns["ENERGY"].unit or "TeV")
    energy = np.asarray(events.data["ENERGY"], dtype=np.float64)
    columns = {
        "RA": np.asarray(events.data["RA"], dtype=np.float64),
        "DEC": np.asarray(events.data["DEC"], dtype=np.float64),
        "ENERGY": (energy * unit).to_value(u.TeV),
        "TIME": np.asarray(events.data["TIME"], dtype=np.float64),
    }
    order = np.argsort(columns["ENERGY"], kind="stable")
    columns = {name: values[order] for name, values in columns.items()}
    columns["UVEC"] = unit_vectors(columns["RA"], columns["DEC"])
    return columns


def _optional(value: u.Quantity | None, unit: u.UnitBase) -> float:
    return float("nan") if value is None else float(value.to_value(unit))


def _run_meta(
    run: RunHeader, time: np.ndarray, gti: tuple[np.ndarray, np.ndarray]
) -> dict[str, Any]:
    """The header values the analysis keeps with a run's cached columns (JSON-able)."""
    return {
        "OBS_ID": run.obs_id,
        "RA_PNT": float(run.ra_pnt.to_value(u.deg)),
        "DEC_PNT": float(run.dec_pnt.to_value(u.deg)),
        **run.time_reference.to_keywords(),
        "TSTART": float("nan") if run.tstart is None else run.tstart,
        "TSTOP": float("nan") if run.tstop is None else run.tstop,
        "LIVETIME": _optional(run.livetime, u.s),
        "RA_OBJ": _optional(run.ra_obj, u.deg),
        "DEC_OBJ": _optional(run.dec_obj, u.deg),
        "GTI_START": [float(x) for x in gti[0]],
        "GTI_STOP": [float(x) for x in gti[1]],
        "ALL_IN_GTI": bool(in_intervals(time, gti[0], gti[1]).all()),
        "format": CACHE_FORMAT,
    }


def _header_meta(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with fits.open(path, memmap=False) as hdul:
            if "EVENTS" not in hdul:
                raise DataError(f"{path}: no EVENTS extension: not a DL3 event list")
            columns = _read_columns(hdul["EVENTS"], path)
            run = read_run_header(hdul, where=str(path))
            if run.gti_start is None or run.gti_stop is None:
                raise DataError(f"{path}: no GTI extension: the run's good time is unknown")
            meta = _run_meta(run, columns["TIME"], (run.gti_start, run.gti_stop))
    except DataError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DataError(
            f"{path}: cannot read the event list ({type(exc).__name__}: {exc})"
        ) from exc
    return meta, columns


#: runs whose cache entry is open (memory-mapped) in this process, most recent last
_OPEN: OrderedDict[tuple[str, int, int, str], tuple[Path, RunEvents]] = OrderedDict()
OPEN_RUNS = 1024


def read_events(path: str | Path, cache: EventCache | str | Path | None = None) -> RunEvents:
    """Read one run's events, from the columnar cache when the file was read before.

    Parameters
    ----------
    path : str or Path
        A GADF DL3 event-list file.
    cache : EventCache or its folder, optional
        The cache (default: the one in ``CTANB_CACHE``).

    Raises
    ------
    DataError
        Naming the file and what is wrong with it.

    Notes
    -----
    A run read before in this process, whose file (size, modification time) and cache
    entry are unchanged, is returned from an in-process index of open entries: no
    checksum look-up, header parse or column mapping (~1 ms a run otherwise).
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    if isinstance(cache, EventCache):
        where = str(cache.folder)
    else:
        where = str(cache) if cache is not None else os.environ.get("CTANB_CACHE", "")
    key = (str(path), stat.st_size, stat.st_mtime_ns, where)
    known = _OPEN.get(key)
    if known is not None and known[0].is_dir():
        _OPEN.move_to_end(key)
        return known[1]
    if not isinstance(cache, EventCache):
        cache = EventCache(Path(cache)) if cache is not None else EventCache()
    checksum = cache.checksum(path)
    columns = cache.get(checksum, CACHED)
    meta = cache.meta(checksum) if columns is not None else None
    if columns is None or meta is None or meta.get("format") != CACHE_FORMAT:
        meta, columns = _header_meta(path)
        meta["checksum"] = checksum
        cache.put(checksum, columns, meta)
        columns = cache.get(checksum, CACHED) or columns  # mapped, as on a hit
    events = RunEvents(
        obs_id=int(str(meta["OBS_ID"])),
        path=path,
        ra=columns["RA"],
        dec=columns["DEC"],
        energy=columns["ENERGY"],
        time=columns["TIME"],
        meta=meta,
        vectors=columns["UVEC"],
    )
    _OPEN[key] = (cache.entry(checksum), events)
    if len(_OPEN) > OPEN_RUNS:
        _OPEN.popitem(last=False)
    return events


def _from_folder(folder: Path) -> list[RunFile]:
    indexes = sorted(folder.rglob("hdu-index.fits*"))
    runs: list[RunFile] = []
    if not indexes:
        return [RunFile(p) for p in sorted(folder.rglob("*.fits*"))]
    for index in indexes:
        table = Table.read(index)
        for row in table:
            if str(row["HDU_TYPE"]).strip().lower() != "events":
                continue
            name = str(row["FILE_NAME"]).strip()
            path = (index.parent / str(row["FILE_DIR"]).strip() / name).resolve()
            if not path.exists():  # index copied without its tree
                hits = sorted(index.parent.parent.rglob(name))
                path = hits[0] if hits else path
            runs.append(RunFile(path, int(row["OBS_ID"])))
    return runs


def fetch_run(url: str, token: str, folder: Path | None = None) -> Path:
    """Download a run from its archive data URL once, and check the right to it every time.

    The file is kept in ``<CTANB_CACHE>/downloads`` with the server's ETag; later calls send
    that ETag (``If-None-Match``) with the token, so the archive checks the token's rights on
    every call and sends the bytes only when the file changed.

    Raises
    ------
    DataError
        When the archive refuses (not the token's to read, expired token) or fails.
    """
    match = DATA_URL.fullmatch(url)
    if match is None:
        raise DataError(f"{url}: not an archive data URL (<archive>/data/<collection>/<obs_id>)")
    folder = folder or Path(get_settings().cache_dir or ".") / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{match['collection']}_{match['obs_id']}.fits"
    etag_file = target.with_name(target.name + ".etag")
    headers = {"Authorization": f"Bearer {token}"}
    if target.exists() and etag_file.exists():
        headers["If-None-Match"] = etag_file.read_text()
    response = httpx.get(url, headers=headers, timeout=120)
    if response.status_code == 304:
        return target
    if response.status_code != 200:
        raise DataError(
            f"obs_id {match['obs_id']}: the archive refused {url} ({response.status_code}: "
            f"{response.text[:200]})"
        )
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    tmp.write_bytes(response.content)
    tmp.replace(target)
    etag_file.write_text(response.headers.get("etag", ""))
    return target


def _from_archive(
    obs_ids: Sequence[int | str], archive: str | None, token: str | None
) -> list[RunFile]:
    """Download (once) the event lists of these obs_ids from the archive."""
    client = ArchiveClient(archive, token=token)
    wanted = ", ".join("'" + str(int(o)) + "'" for o in obs_ids)
    table = client.query(
        f"SELECT obs_id, obs_collection, access_url FROM ivoa.obscore WHERE obs_id IN ({wanted})"
    )
    found = {str(r["obs_id"]): r for r in table}
    missing = [str(o) for o in obs_ids if str(int(o)) not in found]
    if missing:
        raise DataError(f"obs_id {', '.join(missing)} not in the archive (or not yours to read)")
    folder = Path(get_settings().cache_dir or ".") / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for obs_id in obs_ids:
        row = found[str(int(obs_id))]
        target = folder / f"{row['obs_collection']}_{row['obs_id']}.fits"
        if not target.exists():
            response = client.session.get(str(row["access_url"]), timeout=120)
            if response.status_code != 200:
                raise DataError(
                    f"obs_id {obs_id}: download of {row['access_url']} failed "
                    f"({response.status_code}: {response.text[:200]})"
                )
            tmp = target.with_suffix(".part")
            tmp.write_bytes(response.content)
            tmp.replace(target)
        runs.append(
            RunFile(target, int(obs_id), str(row["obs_collection"]), str(row["access_url"]))
        )
    return runs


def expand_inputs(
    inputs: Iterable[Any] | str | Path, archive: str | None = None, token: str | None = None
) -> list[RunFile]:
    """Turn paths, GADF folders, obs_ids (with ``archive``) and data URLs into run files.

    A data URL is an archive's ``access_url`` (``<archive>/data/<collection>/<obs_id>``), as
    provenance records the inputs of products made from archive runs: its file is
    downloaded once (with the caller's token) and cached.
    """
    if isinstance(inputs, str | Path | int):
        inputs = [inputs]
    runs: list[RunFile] = []
    obs_ids: list[int] = []
    for item in inputs:
        if isinstance(item, RunFile):
            runs.append(item)
        elif isinstance(item, str) and item.startswith(("http://", "https://")):
            match = DATA_URL.fullmatch(item)
            if match is None:
                raise DataError(
                    f"{item}: not an archive data URL (<archive>/data/<collection>/<obs_id>)"
                )
            runs.extend(_from_archive([int(match["obs_id"])], match["archive"], token))
        elif isinstance(item, int) or (isinstance(item, str) and re.fullmatch(r"\d+", item)):
            obs_ids.append(int(item))
        else:
            path = Path(item)
            runs.extend(_from_folder(path) if path.is_dir() else [RunFile(path)])
    if obs_ids:
        if archive is None and not get_settings().service_url:
            raise DataError("obs_ids need an archive: pass archive=URL")
        runs.extend(_from_archive(obs_ids, archive, token))
    if not runs:
        raise DataError("no event lists in the inputs")
    return runs
