"""Reading GADF DL3 run headers: one record per run, its times as astropy ``Time``.

The gamma-astro-data-formats (GADF) ``EVENTS`` header says which run a file holds, where
the telescopes pointed and how its ``TIME`` values are counted: elapsed time in
``TIMEUNIT`` since the epoch ``MJDREFI + MJDREFF`` (or one ``MJDREF``) in the time scale
``TIMESYS``. :func:`read_run_header` reads that header (and the ``GTI`` extension) into a
:class:`RunHeader`; its :class:`TimeReference` is the one conversion between ``TIME``
values and astropy ``Time`` or MJD used by ingestion and by the analysis.

Examples
--------
>>> from ctanb.gadf import time_reference
>>> reference = time_reference({"MJDREFI": 51910, "MJDREFF": 7.428703703703703e-4,
...                             "TIMESYS": "TT", "TIMEUNIT": "s"})
>>> reference.to_time(123890826.0).isot  # the start of H.E.S.S. run 23523, in TT
'2004-12-04T22:08:10.184'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time, TimeDelta

from ctanb.errors import DataError

__all__ = [
    "SECONDS_PER_DAY",
    "TIME_KEYWORDS",
    "Keywords",
    "RunHeader",
    "TimeReference",
    "keyword_value",
    "read_gti",
    "read_header",
    "read_run_header",
    "time_reference",
]

SECONDS_PER_DAY = 86400.0
#: The header keywords that define how a run's ``TIME`` values are counted.
TIME_KEYWORDS = ("MJDREFI", "MJDREFF", "MJDREF", "TIMESYS", "TIMEUNIT", "TIMEREF")
#: FITS names of time scales that astropy spells otherwise (Rots et al. 2015, table 2).
_SCALE_ALIASES = {"tdt": "tt", "et": "tt", "iat": "tai"}
#: Scales in which a day is always 86400 s, so MJD = MJDREF + seconds / 86400 exactly.
_UNIFORM_SCALES = ("tt", "tai", "tcg", "tcb", "tdb")
_GADF_TIME = "https://gamma-astro-data-formats.readthedocs.io/en/latest/general/time.html"


def keyword_value(value: Any) -> Any:
    """A header or table value as plain Python: text stripped, NaN and "" as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


class Keywords(Mapping[str, Any]):
    """Header keywords looked up in several sources in turn, first non-empty value wins.

    Parameters
    ----------
    *sources : mapping or astropy.io.fits.Header
        Where to look, in order (e.g. a run's obs-index row, then its ``EVENTS`` header).
        Values are read through :func:`keyword_value`; empty ones count as missing.
    """

    def __init__(self, *sources: Mapping[str, Any] | fits.Header) -> None:
        self._sources = sources

    def __getitem__(self, key: str) -> Any:
        for source in self._sources:
            value = keyword_value(source[key]) if key in source else None
            if value is not None:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for source in self._sources for k in source))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def first(self, *keys: str) -> Any:
        """The value of the first of ``keys`` that has one, else None."""
        return next((value for value in map(self.get, keys) if value is not None), None)


@dataclass(frozen=True)
class TimeReference:
    """How a run counts time: ``TIME = (t - MJDREF) / unit``, in the scale ``TIMESYS``.

    Attributes
    ----------
    mjdref_int, mjdref_frac : float
        The epoch as MJD, integer and fractional parts (``MJDREFI``, ``MJDREFF``; a single
        ``MJDREF`` keyword is held as ``mjdref_int`` with ``mjdref_frac = 0``).
    scale : str
        astropy time scale of the epoch and of the values (``TIMESYS``, lower case).
    unit : astropy.units.Unit
        Unit of the values (``TIMEUNIT``, or the ``TIME`` column's own unit).
    timeref : str
        Where times are measured (``TIMEREF``: local, geocenter, ...): recorded, not applied.
    """

    mjdref_int: float
    mjdref_frac: float = 0.0
    scale: str = "tt"
    unit: u.UnitBase = u.s
    timeref: str = "local"

    @property
    def mjdref(self) -> float:
        """The epoch as one MJD float (in :attr:`scale`)."""
        return self.mjdref_int + self.mjdref_frac

    @property
    def epoch(self) -> Time:
        """The epoch as an astropy ``Time`` (two-part MJD: no precision lost)."""
        return Time(self.mjdref_int, self.mjdref_frac, format="mjd", scale=self.scale)

    @property
    def seconds_per_unit(self) -> float:
        """Seconds in one :attr:`unit`."""
        return float(self.unit.to(u.s))

    def to_time(self, values: Any) -> Time:
        """``TIME`` values (in :attr:`unit` since the epoch) as astropy ``Time``."""
        elapsed = np.asarray(values, dtype=np.float64) * self.seconds_per_unit
        return self.epoch + TimeDelta(elapsed, format="sec")

    def to_mjd(self, values: Any, scale: str = "tt") -> np.ndarray:
        """``TIME`` values as MJD floats in ``scale`` (default TT).

        In a uniform scale (TT, TAI...) asked for in the same scale this is
        ``MJDREF + seconds / 86400`` in float arithmetic (~1 µs resolution), fast enough for
        every event of a run; otherwise the values go through astropy ``Time``.
        """
        values = np.asarray(values, dtype=np.float64)
        if scale == self.scale and scale in _UNIFORM_SCALES:
            return self.mjdref + values * self.seconds_per_unit / SECONDS_PER_DAY
        return np.asarray(Time(self.to_time(values), scale=scale).mjd, dtype=np.float64)

    def from_time(self, time: Time) -> np.ndarray:
        """Convert astropy ``Time`` to ``TIME`` values (in :attr:`unit` since the epoch)."""
        if self.scale in _UNIFORM_SCALES:
            mjd = np.asarray(Time(time, scale=self.scale).mjd, dtype=np.float64)
            return (mjd - self.mjdref) * SECONDS_PER_DAY / self.seconds_per_unit
        elapsed = (Time(time, scale=self.scale) - self.epoch).to_value(u.s)
        return np.asarray(elapsed, dtype=np.float64) / self.seconds_per_unit

    def to_keywords(self) -> dict[str, Any]:
        """The header keywords of this reference (JSON-able; :func:`time_reference` reads them)."""
        return {
            "MJDREFI": self.mjdref_int,
            "MJDREFF": self.mjdref_frac,
            "MJDREF": self.mjdref,
            "TIMESYS": self.scale.upper(),
            "TIMEUNIT": self.unit.to_string(),
            "TIMEREF": self.timeref,
        }


def _scale(value: Any, where: str) -> str:
    scale = str(value or "tt").strip().lower()
    scale = _SCALE_ALIASES.get(scale, scale)
    if scale not in Time.SCALES or scale == "local":
        raise DataError(
            f"{where}TIMESYS = {value!r} is not a time scale astropy knows: write one of "
            f"{', '.join(s.upper() for s in Time.SCALES if s != 'local')} (see {_GADF_TIME})"
        )
    return scale


def _time_unit(value: Any, where: str, keyword: str = "TIMEUNIT") -> u.UnitBase:
    try:
        unit = u.Unit(str(value or "s").strip(), format="fits")
    except ValueError:
        unit = None
    if unit is None or unit.physical_type != "time":
        raise DataError(f"{where}{keyword} = {value!r} is not a unit of time: use 's' or 'd'")
    return unit


def time_reference(
    header: Mapping[str, Any] | fits.Header, *, unit: Any = None, where: str = ""
) -> TimeReference:
    """Read a run's time reference from its header keywords.

    Parameters
    ----------
    header : mapping or astropy.io.fits.Header
        ``MJDREFI`` and ``MJDREFF`` (or ``MJDREF``), ``TIMESYS`` (default TT), ``TIMEUNIT``
        (default s) and ``TIMEREF`` (default local).
    unit : str or Unit, optional
        Unit of the values to convert when not ``TIMEUNIT`` (a ``TIME`` column's ``TUNIT``).
    where : str
        Prefix of error messages (the file's name).

    Raises
    ------
    DataError
        When the epoch is missing or a keyword holds a value that is no scale or unit.
    """
    where = f"{where}: " if where else ""
    keys = header if isinstance(header, Keywords) else Keywords(header)
    if keys.get("MJDREFI") is not None:
        mjd = (float(keys["MJDREFI"]), float(keys.get("MJDREFF") or 0.0))
    elif keys.get("MJDREF") is not None:
        mjd = (float(keys["MJDREF"]), 0.0)
    else:
        raise DataError(
            f"{where}no time reference: the header needs MJDREFI and MJDREFF (or MJDREF), "
            f"the MJD from which its TIME values count (see {_GADF_TIME})"
        )
    return TimeReference(
        mjdref_int=mjd[0],
        mjdref_frac=mjd[1],
        scale=_scale(keys.get("TIMESYS"), where),
        unit=_time_unit(unit, where, "TUNIT") if unit else _time_unit(keys.get("TIMEUNIT"), where),
        timeref=str(keys.get("TIMEREF") or "local").lower(),
    )


@dataclass(frozen=True)
class RunHeader:
    """What a GADF ``EVENTS`` header (and ``GTI``) says about one run.

    Times (``tstart``, ``tstop``, ``gti_start``, ``gti_stop``) are in the units and from
    the epoch of ``time_reference``, as the ``TIME`` column; None where the file is
    silent (no ``GTI`` extension: no GTI arrays). All keywords stay in ``keywords``.
    """

    obs_id: int
    ra_pnt: u.Quantity
    dec_pnt: u.Quantity
    time_reference: TimeReference
    keywords: Keywords
    tstart: float | None = None
    tstop: float | None = None
    gti_start: np.ndarray | None = None
    gti_stop: np.ndarray | None = None
    ontime: u.Quantity | None = None
    livetime: u.Quantity | None = None
    deadc: float | None = None
    telescope: str | None = None
    instrument: str | None = None
    target: str | None = None
    ra_obj: u.Quantity | None = None
    dec_obj: u.Quantity | None = None

    @property
    def pointing(self) -> SkyCoord:
        """Pointing position (ICRS)."""
        return SkyCoord(self.ra_pnt, self.dec_pnt, frame="icrs")

    @property
    def start(self) -> Time | None:
        """Start of the run (``TSTART``) as astropy ``Time``."""
        return None if self.tstart is None else self.time_reference.to_time(self.tstart)

    @property
    def stop(self) -> Time | None:
        """End of the run (``TSTOP``) as astropy ``Time``."""
        return None if self.tstop is None else self.time_reference.to_time(self.tstop)


def _number(keys: Keywords, key: str, unit: u.UnitBase | None = None) -> Any:
    value = keys.get(key)
    return None if value is None else float(value) * (1 if unit is None else unit)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _required(keys: Keywords, key: str, where: str, hint: str) -> Any:
    value = keys.get(key)
    if value is None:
        raise DataError(f"{where}: no {key} in the EVENTS header: {hint}")
    return value


def _convert(values: Any, frame: TimeReference, target: TimeReference) -> Any:
    """Values counted in ``frame`` as values counted in ``target`` (unchanged when equal)."""
    if values is None:
        return None
    epochs = {(ref.mjdref_int, ref.mjdref_frac, ref.scale) for ref in (frame, target)}
    if len(epochs) > 1:
        return target.from_time(frame.to_time(values))
    if frame.unit == target.unit:
        return values
    return values * frame.seconds_per_unit / target.seconds_per_unit


def read_gti(gti: fits.BinTableHDU, reference: TimeReference) -> tuple[np.ndarray, np.ndarray]:
    """The ``START`` and ``STOP`` of a ``GTI`` table as values of ``reference``.

    The table's own header keywords (epoch, ``TIMESYS``, ``TIMEUNIT``) and its columns'
    units are honoured where present; the events' reference fills in what is missing.
    """
    fallback = reference.to_keywords()
    if any(key in gti.header for key in ("MJDREFI", "MJDREF")):  # an epoch of its own
        fallback = {k: v for k, v in fallback.items() if not k.startswith("MJDREF")}
    own = Keywords(gti.header, fallback)
    start, stop = (
        _convert(
            np.asarray(gti.data[name], dtype=np.float64),
            time_reference(own, unit=gti.columns[name].unit, where=f"GTI {name}"),
            reference,
        )
        for name in ("START", "STOP")
    )
    return start, stop


def read_run_header(
    hdulist: fits.HDUList, *, index_row: Mapping[str, Any] | None = None, where: str = ""
) -> RunHeader:
    """Read a DL3 file's ``EVENTS`` header (and ``GTI`` when there is one).

    Parameters
    ----------
    hdulist : astropy.io.fits.HDUList
        The open file.
    index_row : mapping, optional
        The run's obs-index row: its values win over the header's.
    where : str
        The file's name, for error messages.

    Raises
    ------
    DataError
        When the file has no ``EVENTS`` extension or a required keyword (``OBS_ID``,
        ``RA_PNT``/``DEC_PNT``, the time reference) is missing: the message says which.
    """
    if "EVENTS" not in hdulist:
        raise DataError(f"{where}: no EVENTS extension (not a DL3 event list)")
    events = hdulist["EVENTS"]
    keys = Keywords(index_row or {}, events.header)
    time_column = events.columns["TIME"].unit if "TIME" in events.columns.names else None
    reference = time_reference(keys, where=where)
    column = time_reference(keys, unit=time_column, where=where) if time_column else reference
    obs_id = _required(keys, "OBS_ID", where, "add the run number (GADF requires OBS_ID)")
    hint = "add the pointing position in degrees (GADF requires RA_PNT and DEC_PNT)"
    ra, dec = _required(keys, "RA_PNT", where, hint), _required(keys, "DEC_PNT", where, hint)
    gti_start = gti_stop = None
    if "GTI" in hdulist:
        gti_start, gti_stop = read_gti(hdulist["GTI"], column)
    tstart, tstop = (_convert(_number(keys, k), reference, column) for k in ("TSTART", "TSTOP"))
    return RunHeader(
        obs_id=int(obs_id),
        ra_pnt=float(ra) * u.deg,
        dec_pnt=float(dec) * u.deg,
        time_reference=column,
        keywords=keys,
        tstart=tstart,
        tstop=tstop,
        gti_start=gti_start,
        gti_stop=gti_stop,
        ontime=_number(keys, "ONTIME", u.s),
        livetime=_number(keys, "LIVETIME", u.s),
        deadc=_number(keys, "DEADC"),
        telescope=_text(keys.get("TELESCOP")),
        instrument=_text(keys.get("INSTRUME")),
        target=_text(keys.first("TARGET_NAME", "OBJECT")),
        ra_obj=_number(keys, "RA_OBJ", u.deg),
        dec_obj=_number(keys, "DEC_OBJ", u.deg),
    )


def read_header(path: str | Path, index_row: Mapping[str, Any] | None = None) -> RunHeader:
    """Open a DL3 file and read its :class:`RunHeader` (see :func:`read_run_header`).

    Raises
    ------
    DataError
        When the file cannot be read or lacks what a run header needs.
    """
    try:
        with fits.open(path, memmap=False) as hdulist:
            return read_run_header(hdulist, index_row=index_row, where=str(path))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: cannot read as GADF DL3 ({type(exc).__name__}: {exc})") from exc
