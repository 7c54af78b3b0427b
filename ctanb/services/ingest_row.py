"""The ObsCore row of one DL3 event list, built from its GADF run header and the data.

Values come from what the data says (the :class:`ctanb.gadf.RunHeader` read from the
``EVENTS`` header and the obs-index row, the events' energies, the IRF's ranges) and
from the collection's defaults (``collections.toml``) where the data is silent.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from astropy import constants as const
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

from ctanb.errors import DataError
from ctanb.gadf import Keywords, RunHeader, read_run_header
from ctanb.services.ingest_coverage import aeff_energy_range, fov_radius, safe_energy_range
from ctanb.services.ingest_files import EventFile

__all__ = [
    "TargetClasses",
    "collection_for",
    "load_defaults",
    "normalise_name",
    "observation_row",
    "sha256_file",
]

_HC = (const.h * const.c).to(u.m * u.TeV)


def load_defaults(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read the per-collection defaults (``collections.toml`` by default)."""
    if path is None:
        text = resources.files("ctanb.services").joinpath("collections.toml").read_text()
    else:
        text = Path(path).read_text()
    return list(tomllib.loads(text)["collection"])


def collection_for(
    header: fits.Header, defaults: list[dict[str, Any]], name: str | None
) -> dict[str, Any]:
    """The defaults entry of collection ``name``, else the first whose ``match`` fits."""
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


def normalise_name(name: str) -> str:
    """Lower-case a source name and drop spaces and punctuation ("Crab Nebula" -> "crabnebula")."""
    return re.sub(r"[^a-z0-9+\-]", "", name.lower()).replace("-", "").replace("+", "p")


class TargetClasses:
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
        """The class of the source ``name`` (None when unknown)."""
        return self._classes.get(normalise_name(name)) if name else None

    def first(self, *names: Any) -> str | None:
        """The class of the first of ``names`` that gamma-cat knows."""
        for name in names:
            found = self.get(str(name)) if name else None
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


@dataclass(frozen=True)
class _Run:
    """What one event list says: its run header, energies (TeV) and coverage."""

    path: Path
    run: RunHeader
    header: fits.Header
    energies: np.ndarray
    fov_radius: float
    aeff_range: tuple[float, float] | None

    @property
    def keys(self) -> Keywords:
        return self.run.keywords


def _read(event_file: EventFile) -> _Run:
    path = event_file.path
    try:
        with fits.open(path, memmap=False) as hdul:
            run = read_run_header(hdul, index_row=event_file.index_row, where=str(path))
            events = hdul["EVENTS"]
            energy = np.asarray(events.data["ENERGY"], dtype=float)
            energy_unit = u.Unit(events.columns["ENERGY"].unit or "TeV")
            return _Run(
                path=path,
                run=run,
                header=events.header,
                energies=(energy * energy_unit).to_value(u.TeV),
                fov_radius=fov_radius(events.header, hdul, event_file.irf_path),
                aeff_range=aeff_energy_range(hdul, event_file.irf_path),
            )
    except DataError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: cannot read as GADF DL3 ({type(exc).__name__}: {exc})") from exc


def observation_row(
    event_file: EventFile,
    defaults: list[dict[str, Any]],
    *,
    collection: str | None = None,
    target_classes: TargetClasses | None = None,
) -> dict[str, Any]:
    """Build the ObsCore row of one event list.

    Parameters
    ----------
    event_file : EventFile
        The file, with its obs-index row (whose values win over the header's).
    defaults : list of dict
        Per-collection defaults (:func:`load_defaults`).
    collection : str, optional
        Force the collection; by default chosen by the defaults' ``match`` keywords.
    target_classes : TargetClasses, optional
        gamma-cat's classes, for ``target_class``.

    Raises
    ------
    DataError
        If the file is not a readable GADF DL3 event list.
    """
    data = _read(event_file)
    entry = collection_for(data.header, defaults, collection)
    row: dict[str, Any] = {}
    row.update(_identity(data, entry))
    row.update(_space_time(data, entry))
    row.update(_energy(data, entry))
    row.update(_instrument(data, entry))
    row.update(_target(data, entry, target_classes))
    row.update(_processing(data, entry))
    return row


def _telescope(data: _Run, entry: dict[str, Any]) -> str:
    return str(data.run.telescope or entry.get("facility_name") or "unknown")


def _or(value: Any, fallback: Any) -> Any:
    """``value`` (from the data) unless it is None or "", else ``fallback`` (a default)."""
    return value if value not in (None, "") else fallback


def _identity(data: _Run, entry: dict[str, Any]) -> dict[str, Any]:
    obs_id, coll, telescop = data.run.obs_id, entry["name"], _telescope(data, entry)
    return {
        "dataproduct_type": "event",
        "calib_level": 2,
        "obs_collection": coll,
        "obs_id": str(obs_id),
        "obs_publisher_did": f"ivo://ctanb/{coll.lower()}?{obs_id}",
        "access_url": f"/data/{coll}/{obs_id}",
        "access_format": "application/fits",
        "access_estsize": max(1, data.path.stat().st_size // 1024),
        "obs_creator_did": f"ivo://{telescop.lower()}/{obs_id}",
        "obs_creator_name": data.keys.get("ORIGIN") or telescop,
        "dataproduct_subtype": "DL3",
        "obs_release_date": _date(entry.get("obs_release_date")),
        "data_rights": entry.get("data_rights", "public"),
        "proposal_id": entry.get("proposal_id"),
        "owner_group": entry.get("owner_group"),
        "file_path": str(data.path.resolve()),
        "file_sha256": sha256_file(data.path),
    }


def _space_time(data: _Run, entry: dict[str, Any]) -> dict[str, Any]:
    run, keys = data.run, data.keys
    mjd = run.time_reference.to_mjd  # MJD, TT
    exptime = None
    if run.livetime is not None:
        exptime = float(run.livetime.to_value(u.s))
    elif run.ontime is not None:
        exptime = float(run.ontime.to_value(u.s)) * float(run.deadc or 1.0)
    return {
        "s_ra": float(run.ra_pnt.to_value(u.deg)),
        "s_dec": float(run.dec_pnt.to_value(u.deg)),
        "s_fov": 2 * data.fov_radius,
        "s_resolution": entry.get("s_resolution"),
        "s_resolution_min": entry.get("s_resolution_min"),
        "s_resolution_max": entry.get("s_resolution_max"),
        "s_xel1": -1,
        "s_xel2": -1,
        "t_min": None if run.tstart is None else float(mjd(run.tstart)),
        "t_max": None if run.tstop is None else float(mjd(run.tstop)),
        "t_exptime": exptime,
        "t_resolution": 1e-6,
        "t_xel": -1,
        "pointing_mode": _pointing_mode(keys) or entry.get("pointing_mode"),
        "obs_mode": _obs_mode(run) or entry.get("obs_mode"),
        "zenith_angle": _zenith(keys),
    }


def _energy(data: _Run, entry: dict[str, Any]) -> dict[str, Any]:
    e_lo, e_hi = safe_energy_range(data.keys, data.header, data.aeff_range)
    events_e = data.energies
    return {
        "em_min": (_HC / (e_hi * u.TeV)).to_value(u.m) if e_hi else None,
        "em_max": (_HC / (e_lo * u.TeV)).to_value(u.m) if e_lo else None,
        "em_res_power": entry.get("em_res_power"),
        "em_xel": -1,
        "o_ucd": "phot.count",
        "pol_states": None,
        "pol_xel": None,
        "energy_min": e_lo,
        "energy_max": e_hi,
        "event_count": int(events_e.size),
        "event_energy_min": float(events_e.min()) if events_e.size else None,
        "event_energy_max": float(events_e.max()) if events_e.size else None,
    }


def _instrument(data: _Run, entry: dict[str, Any]) -> dict[str, Any]:
    keys, telescop = data.keys, _telescope(data, entry)
    n_tels = keys.get("N_TELS")
    return {
        "facility_name": entry.get("facility_name") or telescop,
        "instrument_name": _or(data.run.instrument, entry.get("instrument_name")) or telescop,
        "site": _or(keys.get("SITE"), entry.get("site")),
        "sub_array_name": _or(keys.get("SUBARRAY"), entry.get("sub_array_name"))
        or keys.get("TELLIST"),
        "tel_list": keys.get("TELLIST"),
        "n_tels": int(n_tels) if n_tels is not None else None,
        "run_type": _or(keys.get("RUNTYPE"), entry.get("run_type")),
        "data_quality": _quality(keys.get("QUALITY")) or entry.get("data_quality"),
    }


def _target(data: _Run, entry: dict[str, Any], classes: TargetClasses | None) -> dict[str, Any]:
    target, telescop = data.run.target, _telescope(data, entry)
    found = classes.first(target, data.keys.get("OBJECT")) if classes else None
    return {
        "target_name": target,
        "target_class": found or entry.get("target_class"),
        "obs_title": f"{telescop} run {data.run.obs_id}" + (f" on {target}" if target else ""),
    }


def _processing(data: _Run, entry: dict[str, Any]) -> dict[str, Any]:
    ev_class = data.keys.get("EV_CLASS")
    return {
        "calib_version": entry.get("calib_version"),
        "reco_version": entry.get("reco_version") or data.keys.get("CREATOR"),
        "reco_method": entry.get("reco_method"),
        "applied_cuts": (str(ev_class).lower() if ev_class else None) or entry.get("applied_cuts"),
        "spectral_model": entry.get("spectral_model"),
    }


def _pointing_mode(keys: Keywords) -> str | None:
    mode = keys.get("POINTING_MODE")
    if mode:
        return str(mode).lower()
    conv = keys.get("CONV_DEP")
    if conv is not None:
        return "parallel" if float(conv) == 0 else "convergent"
    return None


def _obs_mode(run: RunHeader) -> str | None:
    mode = run.keywords.get("OBS_MODE")
    if mode:
        return str(mode).lower()
    if run.ra_obj is None or run.dec_obj is None:
        return None
    offset = run.pointing.separation(SkyCoord(run.ra_obj, run.dec_obj, frame="icrs"))
    return "wobble" if offset > 0.1 * u.deg else "on"


def _quality(value: Any) -> str | None:
    if value is None:
        return None
    return {0: "good", 1: "minor issues", 2: "bad"}.get(int(value), str(value))


def _zenith(keys: Keywords) -> float | None:
    if keys.get("ZEN_PNT") is not None:
        return float(keys["ZEN_PNT"])
    if keys.get("ALT_PNT") is not None:
        return 90.0 - float(keys["ALT_PNT"])
    return None


def _date(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
