"""Ingestion of GADF DL3 event lists into the ObsCore store.

``ingest(paths, store)`` reads GADF folders (with ``obs-index``/``hdu-index``) or bare
DL3 files from any instrument, builds one ObsCore row per observation from what the data
says (headers, obs-index columns, the events themselves, the IRF's offset range) and the
collection defaults where it is silent, and upserts the rows: ingesting twice leaves one
row per observation. A file that cannot be read is reported with its reason and skipped;
each batch is one transaction.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from astropy import constants as const
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from ctanb.errors import DataError
from ctanb.services import obscore
from ctanb.services.store import Store

__all__ = ["IngestReport", "find_event_files", "ingest", "load_defaults", "observation_row"]

DEFAULT_FOV_RADIUS = 2.5 * u.deg
BATCH_SIZE = 50
Getter = Callable[..., Any]  # header/obs-index look-up of the first key that has a value
_HC = (const.h * const.c).to(u.m * u.TeV)


@dataclass
class IngestReport:
    """What an ingestion did: observations written and files skipped (with reasons)."""

    ingested: list[tuple[str, str]] = field(default_factory=list)  # (collection, obs_id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def __str__(self) -> str:
        lines = [f"ingested {len(self.ingested)} observations, skipped {len(self.skipped)} files"]
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        return "\n".join(lines)


# ---------------------------------------------------------------------------- discovery
@dataclass(frozen=True)
class EventFile:
    """An event list to ingest, with its obs-index row and IRF file when known."""

    path: Path
    index_row: dict[str, Any] = field(default_factory=dict)
    irf_path: Path | None = None


def find_event_files(paths: Iterable[str | Path]) -> Iterator[EventFile | tuple[Path, str]]:
    """Yield the event lists below ``paths``, or ``(path, reason)`` for unusable inputs."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield path, "no such file or folder"
        elif path.is_dir():
            indexes = sorted(path.rglob("obs-index.fits*"))
            if indexes:
                for index in indexes:
                    yield from _from_index(index)
            else:
                for file in sorted(path.rglob("*.fits*")):
                    yield EventFile(file)
        else:
            yield EventFile(path)


def _from_index(obs_index: Path) -> Iterator[EventFile | tuple[Path, str]]:
    folder = obs_index.parent
    hdu_index = next(iter(sorted(folder.glob("hdu-index.fits*"))), None)
    if hdu_index is None:
        yield obs_index, "obs-index without an hdu-index beside it"
        return
    obs_table = Table.read(obs_index)
    hdus = Table.read(hdu_index)
    rows = {int(r["OBS_ID"]): {k: _scalar(r[k]) for k in obs_table.colnames} for r in obs_table}
    base = Path(hdus.meta.get("BASE_DIR", "."))
    by_obs: dict[int, dict[str, Path]] = {}
    for r in hdus:
        file = _resolve(folder, base, str(r["FILE_DIR"]).strip(), str(r["FILE_NAME"]).strip())
        by_obs.setdefault(int(r["OBS_ID"]), {})[str(r["HDU_TYPE"]).strip().lower()] = file
    for obs_id, files in sorted(by_obs.items()):
        if "events" not in files:
            yield folder, f"obs_id {obs_id}: no events HDU in {hdu_index.name}"
            continue
        yield EventFile(files["events"], rows.get(obs_id, {}), files.get("aeff"))


def _resolve(folder: Path, base: Path, file_dir: str, name: str) -> Path:
    direct = (folder / base / file_dir / name).resolve()
    if direct.exists():
        return direct
    # Index files copied without their tree (as the CTA 1DC index is): find the file by name.
    root = folder
    for _ in range(3):
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0].resolve()
        root = root.parent
    return direct


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------- defaults
def load_defaults(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read the per-collection defaults (``collections.toml`` by default)."""
    if path is None:
        text = resources.files("ctanb.services").joinpath("collections.toml").read_text()
    else:
        text = Path(path).read_text()
    return list(tomllib.loads(text)["collection"])


def _collection_for(
    header: fits.Header, defaults: list[dict[str, Any]], name: str | None
) -> dict[str, Any]:
    if name:
        for entry in defaults:
            if entry["name"].lower() == name.lower():
                return entry
        return {"name": name}
    for entry in defaults:
        if all(
            str(header.get(k, "")).strip().lower() == str(v).lower()
            for k, v in entry.get("match", {}).items()
        ):
            return entry
    return {"name": "DL3"}


# ---------------------------------------------------------------------------- rows
class _TargetClasses:
    """Target classes from gamma-cat, looked up by normalised name."""

    def __init__(self, catalogs_dir: Path | None) -> None:
        self._classes: dict[str, str] = {}
        path = catalogs_dir / "gammacat" / "gammacat.fits.gz" if catalogs_dir else None
        if path and path.exists():
            table = Table.read(path)
            for row in table:
                names = [
                    row["common_name"],
                    *str(row["other_names"]).split(","),
                    *str(row["gamma_names"]).split(","),
                ]
                for name in names:
                    if str(name).strip():
                        self._classes.setdefault(normalise_name(str(name)), str(row["classes"]))

    def get(self, name: str | None) -> str | None:
        return self._classes.get(normalise_name(name)) if name else None


def normalise_name(name: str) -> str:
    """Lower-case a source name and drop spaces and punctuation ("Crab Nebula" -> "crabnebula")."""
    return re.sub(r"[^a-z0-9+\-]", "", name.lower()).replace("-", "").replace("+", "p")


def observation_row(
    event_file: EventFile,
    defaults: list[dict[str, Any]],
    *,
    collection: str | None = None,
    target_classes: _TargetClasses | None = None,
) -> dict[str, Any]:
    """Build the ObsCore row of one event list.

    Raises
    ------
    DataError
        If the file is not a readable GADF DL3 event list.
    """
    path = event_file.path
    try:
        with fits.open(path, memmap=False) as hdul:
            if "EVENTS" not in hdul:
                raise DataError(f"{path}: no EVENTS extension (not a DL3 event list)")
            header = hdul["EVENTS"].header
            energy = np.asarray(hdul["EVENTS"].data["ENERGY"], dtype=float)
            energy_unit = u.Unit(hdul["EVENTS"].columns["ENERGY"].unit or "TeV")
            fov_radius = _fov_radius(header, hdul, event_file.irf_path)
            aeff_range = _aeff_energy_range(hdul, event_file.irf_path)
    except DataError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: cannot read as GADF DL3 ({type(exc).__name__}: {exc})") from exc

    idx = event_file.index_row
    entry = _collection_for(header, defaults, collection)

    def get(*keys: str) -> Any:
        for key in keys:
            for source in (idx, header):
                value = _scalar(source.get(key)) if key in source else None
                if value not in (None, ""):
                    return value
        return None

    obs_id = get("OBS_ID")
    if obs_id is None:
        raise DataError(f"{path}: no OBS_ID in the EVENTS header or obs-index")
    ra, dec = get("RA_PNT"), get("DEC_PNT")
    if ra is None or dec is None:
        raise DataError(f"{path}: no pointing (RA_PNT/DEC_PNT)")
    mjdref = float(get("MJDREFI") or 0) + float(get("MJDREFF") or 0)
    if not mjdref and get("MJDREF") is not None:
        mjdref = float(get("MJDREF"))
    time_unit = u.Unit(str(get("TIMEUNIT") or "s"))
    tstart, tstop = get("TSTART"), get("TSTOP")
    t_min = mjdref + (float(tstart) * time_unit).to_value(u.d) if tstart is not None else None
    t_max = mjdref + (float(tstop) * time_unit).to_value(u.d) if tstop is not None else None

    e_lo, e_hi = _safe_energy_range(get, header, aeff_range)
    events_e = (energy * energy_unit).to_value(u.TeV)
    target = get("TARGET_NAME", "OBJECT")
    ra_obj, dec_obj = get("RA_OBJ"), get("DEC_OBJ")
    telescop = str(get("TELESCOP") or entry.get("facility_name") or "unknown")
    coll = entry["name"]

    def default(key: str, value: Any = None) -> Any:
        return value if value not in (None, "") else entry.get(key)

    row: dict[str, Any] = {
        "dataproduct_type": "event",
        "calib_level": 2,
        "obs_collection": coll,
        "obs_id": str(int(obs_id)),
        "obs_publisher_did": f"ivo://ctanb/{coll.lower()}?{int(obs_id)}",
        "access_url": f"/data/{coll}/{int(obs_id)}",
        "access_format": "application/fits",
        "access_estsize": max(1, path.stat().st_size // 1024),
        "target_name": target,
        "s_ra": float(ra),
        "s_dec": float(dec),
        "s_fov": 2 * fov_radius,
        "s_resolution": entry.get("s_resolution"),
        "s_xel1": -1,
        "s_xel2": -1,
        "t_min": t_min,
        "t_max": t_max,
        "t_exptime": _exptime(get),
        "t_resolution": 1e-6,
        "t_xel": -1,
        "em_min": (_HC / (e_hi * u.TeV)).to_value(u.m) if e_hi else None,
        "em_max": (_HC / (e_lo * u.TeV)).to_value(u.m) if e_lo else None,
        "em_res_power": entry.get("em_res_power"),
        "em_xel": -1,
        "o_ucd": "phot.count",
        "pol_states": None,
        "pol_xel": None,
        "facility_name": default("facility_name", None) or telescop,
        "instrument_name": default("instrument_name", get("INSTRUME")) or telescop,
        "dataproduct_subtype": "DL3",
        "obs_release_date": _date(entry.get("obs_release_date")),
        "data_rights": entry.get("data_rights", "public"),
        "s_resolution_min": entry.get("s_resolution_min"),
        "s_resolution_max": entry.get("s_resolution_max"),
        "proposal_id": entry.get("proposal_id"),
        "target_class": _target_class(target_classes, target, get("OBJECT"))
        or entry.get("target_class"),
        "obs_creator_did": f"ivo://{telescop.lower()}/{int(obs_id)}",
        "obs_creator_name": get("ORIGIN") or telescop,
        "obs_title": f"{telescop} run {int(obs_id)}" + (f" on {target}" if target else ""),
        "site": default("site", get("SITE")),
        "sub_array_name": default("sub_array_name", get("SUBARRAY")) or get("TELLIST"),
        "tel_list": get("TELLIST"),
        "n_tels": int(get("N_TELS")) if get("N_TELS") is not None else None,
        "pointing_mode": _pointing_mode(get) or entry.get("pointing_mode"),
        "obs_mode": _obs_mode(get, ra, dec, ra_obj, dec_obj) or entry.get("obs_mode"),
        "run_type": default("run_type", get("RUNTYPE")),
        "data_quality": _quality(get("QUALITY")) or entry.get("data_quality"),
        "calib_version": entry.get("calib_version"),
        "reco_version": entry.get("reco_version") or get("CREATOR"),
        "reco_method": entry.get("reco_method"),
        "applied_cuts": (str(get("EV_CLASS")).lower() if get("EV_CLASS") else None)
        or entry.get("applied_cuts"),
        "spectral_model": entry.get("spectral_model"),
        "energy_min": e_lo,
        "energy_max": e_hi,
        "event_count": int(events_e.size),
        "event_energy_min": float(events_e.min()) if events_e.size else None,
        "event_energy_max": float(events_e.max()) if events_e.size else None,
        "zenith_angle": _zenith(get),
        "owner_group": entry.get("owner_group"),
        "file_path": str(path.resolve()),
        "file_sha256": sha256_file(path),
    }
    return row


def _target_class(classes: _TargetClasses | None, *names: Any) -> str | None:
    for name in names:
        found = classes.get(str(name)) if classes and name else None
        if found:
            return found
    return None


def sha256_file(path: Path) -> str:
    """Return ``"sha256:<hex>"`` of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _fov_radius(header: fits.Header, hdul: fits.HDUList, irf_path: Path | None) -> float:
    for i in range(1, int(header.get("NDSKEYS", 0)) + 1):
        if str(header.get(f"DSTYP{i}", "")).startswith("POS"):
            match = re.search(r"CIRCLE\(([^)]*)\)", str(header.get(f"DSVAL{i}", "")))
            if match:
                return float(match.group(1).split(",")[-1])
    for source in (hdul, irf_path):
        theta = _aeff_column(source, "THETA_HI")
        if theta is not None:
            return float(np.max(theta))
    return DEFAULT_FOV_RADIUS.to_value(u.deg)


def _aeff_column(source: fits.HDUList | Path | None, column: str) -> np.ndarray | None:
    if source is None:
        return None
    if isinstance(source, Path):
        try:
            with fits.open(source, memmap=False) as hdul:
                return _aeff_column(hdul, column)
        except OSError:
            return None
    for hdu in source[1:]:
        is_aeff = str(hdu.header.get("HDUCLAS2", "")).upper() == "EFF_AREA" or hdu.name in (
            "AEFF",
            "EFFECTIVE AREA",
        )
        if is_aeff and column in hdu.columns.names:
            unit = u.Unit(hdu.columns[column].unit or "")
            target = u.deg if column.startswith("THETA") else u.TeV
            return (np.asarray(hdu.data[column], dtype=float) * unit).to_value(target)
    return None


def _aeff_energy_range(hdul: fits.HDUList, irf_path: Path | None) -> tuple[float, float] | None:
    for source in (hdul, irf_path):
        lo, hi = _aeff_column(source, "ENERG_LO"), _aeff_column(source, "ENERG_HI")
        if lo is not None and hi is not None:
            return float(np.min(lo)), float(np.max(hi))
    return None


def _safe_energy_range(
    get: Getter, header: fits.Header, aeff_range: tuple[float, float] | None
) -> tuple[float | None, float | None]:
    lo, hi = get("SAFE_ENERGY_LO"), get("SAFE_ENERGY_HI")
    if lo is not None and hi is not None:
        return float(lo), float(hi)
    for i in range(1, int(header.get("NDSKEYS", 0)) + 1):
        if str(header.get(f"DSTYP{i}", "")).upper() == "ENERGY":
            unit = u.Unit(str(header.get(f"DSUNI{i}", "TeV")))
            parts = str(header.get(f"DSVAL{i}", "")).split(":")
            if len(parts) == 2:
                return tuple((float(p) * unit).to_value(u.TeV) for p in parts)
    return aeff_range or (None, None)


def _exptime(get: Getter) -> float | None:
    if get("LIVETIME") is not None:
        return float(get("LIVETIME"))
    if get("ONTIME") is not None:
        return float(get("ONTIME")) * float(get("DEADC") or 1.0)
    return None


def _pointing_mode(get: Getter) -> str | None:
    mode = get("POINTING_MODE")
    if mode:
        return str(mode).lower()
    conv = get("CONV_DEP")
    if conv is not None:
        return "parallel" if float(conv) == 0 else "convergent"
    return None


def _obs_mode(get: Getter, ra: float, dec: float, ra_obj: Any, dec_obj: Any) -> str | None:
    mode = get("OBS_MODE")
    if mode:
        return str(mode).lower()
    if ra_obj is None or dec_obj is None:
        return None
    from astropy.coordinates import SkyCoord

    offset = SkyCoord(ra, dec, unit="deg").separation(SkyCoord(ra_obj, dec_obj, unit="deg"))
    return "wobble" if offset > 0.1 * u.deg else "on"


def _quality(value: Any) -> str | None:
    if value is None:
        return None
    return {0: "good", 1: "minor issues", 2: "bad"}.get(int(value), str(value))


def _zenith(get: Getter) -> float | None:
    if get("ZEN_PNT") is not None:
        return float(get("ZEN_PNT"))
    if get("ALT_PNT") is not None:
        return 90.0 - float(get("ALT_PNT"))
    return None


def _date(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# ---------------------------------------------------------------------------- upsert
_COLUMNS = [c.name for c in obscore.COLUMNS] + ["file_path", "file_sha256"]


def _upsert_sql() -> str:
    names = ", ".join(_COLUMNS)
    values = ", ".join(
        "scircle(spoint(radians(%(s_ra)s), radians(%(s_dec)s)), radians(%(s_fov)s / 2.0))"
        if name == "s_region"
        else f"%({name})s"
        for name in _COLUMNS
    )
    updates = ", ".join(
        f"{name} = EXCLUDED.{name}" for name in _COLUMNS if name not in ("obs_collection", "obs_id")
    )
    return (
        f"INSERT INTO {obscore.BASE_TABLE} ({names}) VALUES ({values}) "
        f"ON CONFLICT (obs_collection, obs_id) DO UPDATE SET {updates}, ingested_at = now()"
    )


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    *,
    collection: str | None = None,
    defaults_file: str | Path | None = None,
    catalogs_dir: Path | None = None,
    progress: Any = None,
) -> IngestReport:
    """Ingest DL3 event lists into the store.

    Parameters
    ----------
    paths : iterable of path
        GADF folders (with obs-index/hdu-index) or DL3 files.
    store : Store
        The ObsCore store.
    collection : str, optional
        Force the collection (and its defaults); by default chosen from the headers.
    defaults_file : path, optional
        A TOML file of per-collection defaults replacing the packaged one.
    catalogs_dir : Path, optional
        Folder with gamma-cat, used for target_class.
    progress : callable, optional
        Called with ``(done, total, path)`` after each file.

    Returns
    -------
    IngestReport
        Observations written and files skipped with their reasons.
    """
    defaults = load_defaults(defaults_file)
    classes = _TargetClasses(catalogs_dir)
    report = IngestReport()
    found = list(find_event_files(paths))
    statement = _upsert_sql()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        with store.connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(statement, batch)
        report.ingested.extend((r["obs_collection"], r["obs_id"]) for r in batch)
        batch.clear()

    for done, item in enumerate(found, start=1):
        if isinstance(item, tuple):
            report.skipped.append((str(item[0]), item[1]))
            continue
        try:
            batch.append(
                observation_row(item, defaults, collection=collection, target_classes=classes)
            )
        except DataError as exc:
            report.skipped.append((str(item.path), str(exc)))
        if len(batch) >= BATCH_SIZE:
            flush()
        if progress:
            progress(done, len(found), item if isinstance(item, tuple) else item.path)
    flush()
    return report
