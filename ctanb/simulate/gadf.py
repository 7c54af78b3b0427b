"""Writing simulated runs as a GADF DL3 data store: event files and the two index tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from ctanb.simulate.sampling import MC_ID_BACKGROUND, MC_ID_SOURCE, Events

__all__ = ["MJDREFF", "MJDREFI", "find_readme", "write_indexes", "write_run"]

MJDREFI = 51544
MJDREFF = 0.5
#: CTA South (Paranal), as gammapy's ``observatory_locations["cta_south"]``.
GEOLON, GEOLAT, ALTITUDE = -70.316345, -24.683429, 2147.0
_GADF_DOC = "https://github.com/open-gamma-ray-astro/gamma-astro-data-formats"


def _time_keywords() -> list[tuple[str, Any, str]]:
    return [
        ("MJDREFI", MJDREFI, "[d] Integer part of time reference MJD"),
        ("MJDREFF", MJDREFF, "[d] Fractional part of time reference MJD"),
        ("TIMEUNIT", "s", "Time unit"),
        ("TIMESYS", "TT", "Time system"),
        ("TIMEREF", "LOCAL", "Time reference"),
    ]


def _site_keywords() -> list[tuple[str, Any, str]]:
    return [
        ("GEOLON", GEOLON, "[deg] Geographic longitude of array centre"),
        ("GEOLAT", GEOLAT, "[deg] Geographic latitude of array centre"),
        ("ALTITUDE", ALTITUDE, "[m] Altitude of array centre"),
    ]


def _gadf(hduclas1: str, hduclas2: str | None = None) -> list[tuple[str, Any, str]]:
    cards = [
        ("HDUCLASS", "GADF", "Data format"),
        ("HDUDOC", _GADF_DOC, ""),
        ("HDUVERS", "0.3", "Data format version"),
        ("HDUCLAS1", hduclas1, "Primary extension class"),
    ]
    if hduclas2:
        cards.append(("HDUCLAS2", hduclas2, "Secondary extension class"))
    return cards


def write_run(
    path: Path,
    events: Events,
    rng: np.random.Generator,
    info: dict[str, Any],
) -> int:
    """Write one run's EVENTS, GTI and POINTING to ``path``; return the number of events."""
    n = len(events.energy)
    tstart, tstop = info["TSTART"], info["TSTOP"]
    time = np.sort(tstart + rng.random(n) * (tstop - tstart))
    order = rng.permutation(n)  # events in time order, sources and background mixed
    columns = [
        fits.Column("EVENT_ID", "J", array=np.arange(1, n + 1, dtype=np.uint32), bzero=2**31),
        fits.Column("TIME", "D", unit="s", array=time),
        fits.Column("RA", "E", unit="deg", array=events.ra[order].astype(np.float32)),
        fits.Column("DEC", "E", unit="deg", array=events.dec[order].astype(np.float32)),
        fits.Column("ENERGY", "E", unit="TeV", array=events.energy[order].astype(np.float32)),
        fits.Column("DETX", "E", unit="deg", array=events.detx[order].astype(np.float32)),
        fits.Column("DETY", "E", unit="deg", array=events.dety[order].astype(np.float32)),
        fits.Column("MC_ID", "J", array=events.mc_id[order].astype(np.int32)),
    ]
    hdu = fits.BinTableHDU.from_columns(columns, name="EVENTS")
    hdu.header.extend(_event_cards(info))
    fits.HDUList([fits.PrimaryHDU(), hdu, _gti_hdu(info), _pointing_hdu(info)]).writeto(
        path, overwrite=True
    )
    return n


def _event_cards(info: dict[str, Any]) -> list[tuple[str, Any, str]]:
    tstart, tstop = info["TSTART"], info["TSTOP"]
    start, stop = info["start"], info["stop"]
    return [
        *_gadf("EVENTS"),
        ("OBS_ID", info["OBS_ID"], "Observation identifier"),
        ("DATE-OBS", start.isot[:10], "Observation start date (UTC)"),
        ("TIME-OBS", start.isot[11:19], "Observation start time (UTC)"),
        ("DATE-END", stop.isot[:10], "Observation end date (UTC)"),
        ("TIME-END", stop.isot[11:19], "Observation end time (UTC)"),
        ("TSTART", tstart, "[s] Mission time of start of observation"),
        ("TSTOP", tstop, "[s] Mission time of end of observation"),
        *_time_keywords(),
        ("TELAPSE", tstop - tstart, "[s] Mission elapsed time"),
        ("ONTIME", info["ONTIME"], "[s] Total good time including deadtime"),
        ("LIVETIME", info["LIVETIME"], "[s] Total livetime"),
        ("DEADC", info["DEADC"], "Deadtime correction factor"),
        ("OBJECT", info["OBJECT"], "Observed object"),
        ("RA_OBJ", info["RA_OBJ"], "[deg] Target Right Ascension"),
        ("DEC_OBJ", info["DEC_OBJ"], "[deg] Target Declination"),
        ("OBS_MODE", "POINTING", "Observation mode"),
        ("RA_PNT", info["RA_PNT"], "[deg] Pointing Right Ascension"),
        ("DEC_PNT", info["DEC_PNT"], "[deg] Pointing Declination"),
        ("ALT_PNT", info["ALT_PNT"], "[deg] Nominal altitude (the IRF's zenith angle)"),
        ("AZ_PNT", info["AZ_PNT"], "[deg] Nominal azimuth"),
        ("RADESYS", "ICRS", "Coordinate system"),
        ("EQUINOX", 2000.0, "Epoch"),
        ("ORIGIN", "ctanb", "Simulated with ctanb simulate"),
        ("TELESCOP", "CTA", "Telescope"),
        ("INSTRUME", "CTA South (simulated)", "Instrument"),
        ("CREATOR", "ctanb.analysis.simulate", "Program which created the file"),
        ("OBSERVER", "ctanb simulate", "Observer"),
        *_site_keywords(),
        ("N_TELS", 0, "Number of telescopes in event list"),
        ("EUNIT", "TeV", "Energy unit"),
        ("CALDB", "1dc", "Calibration database"),
        ("IRF", info["IRF"], "Instrument Response Function"),
        ("SEED", info["SEED"], "Random seed of ctanb simulate"),
        ("NMCIDS", 2, "Number of Monte Carlo identifiers"),
        ("MID00001", MC_ID_BACKGROUND, "Monte Carlo identifier for model 1"),
        ("MMN00001", "Background model", "Name of model 1"),
        ("MID00002", MC_ID_SOURCE, "Monte Carlo identifier for model 2"),
        ("MMN00002", info["OBJECT"], "Name of model 2"),
    ]


def _gti_hdu(info: dict[str, Any]) -> fits.BinTableHDU:
    tstart, tstop = info["TSTART"], info["TSTOP"]
    gti = fits.BinTableHDU.from_columns(
        [
            fits.Column("START", "D", unit="s", array=np.array([tstart])),
            fits.Column("STOP", "D", unit="s", array=np.array([tstop])),
        ],
        name="GTI",
    )
    gti.header.extend([*_gadf("GTI"), *_time_keywords()])
    return gti


def _pointing_hdu(info: dict[str, Any]) -> fits.BinTableHDU:
    tstart, tstop = info["TSTART"], info["TSTOP"]
    pointing = fits.BinTableHDU.from_columns(
        [
            fits.Column("TIME", "D", unit="s", array=np.array([tstart, tstop])),
            fits.Column("RA_PNT", "D", unit="deg", array=np.full(2, info["RA_PNT"])),
            fits.Column("DEC_PNT", "D", unit="deg", array=np.full(2, info["DEC_PNT"])),
            fits.Column("ALT_PNT", "D", unit="deg", array=np.full(2, info["ALT_PNT"])),
            fits.Column("AZ_PNT", "D", unit="deg", array=np.full(2, info["AZ_PNT"])),
        ],
        name="POINTING",
    )
    pointing.header.extend(
        [*_gadf("POINTING"), ("OBS_MODE", "POINTING", ""), *_time_keywords(), *_site_keywords()]
    )
    return pointing


def find_readme(irf_file: Path) -> Path | None:
    """The nearest ``README.md`` in a parent folder of ``irf_file`` (the data's licence)."""
    for folder in irf_file.resolve().parents:
        if (folder / "README.md").exists():
            return folder / "README.md"
    return None


def write_indexes(out_dir: Path, runs: list[dict[str, Any]], irf_rel: str) -> None:
    """Write ``hdu-index.fits.gz`` and ``obs-index.fits.gz`` for ``runs``, all sharing one IRF."""
    _write_hdu_index(out_dir, runs, irf_rel)
    _write_obs_index(out_dir, runs)


def _write_hdu_index(out_dir: Path, runs: list[dict[str, Any]], irf_rel: str) -> None:
    rows = []
    irf_dir, irf_name = str(Path(irf_rel).parent), Path(irf_rel).name
    for info in runs:
        event_dir, event_name = str(Path(info["file"]).parent), Path(info["file"]).name
        for hdu_type, hdu_class, directory, name, hdu_name in [
            ("events", "events", event_dir, event_name, "EVENTS"),
            ("gti", "gti", event_dir, event_name, "GTI"),
            ("pointing", "pointing", event_dir, event_name, "POINTING"),
            ("aeff", "aeff_2d", irf_dir, irf_name, "EFFECTIVE AREA"),
            ("edisp", "edisp_2d", irf_dir, irf_name, "ENERGY DISPERSION"),
            ("psf", "psf_3gauss", irf_dir, irf_name, "POINT SPREAD FUNCTION"),
            ("bkg", "bkg_3d", irf_dir, irf_name, "BACKGROUND"),
        ]:
            rows.append((info["OBS_ID"], hdu_type, hdu_class, directory, name, hdu_name))
    hdu_table = Table(
        rows=rows,
        names=["OBS_ID", "HDU_TYPE", "HDU_CLASS", "FILE_DIR", "FILE_NAME", "HDU_NAME"],
        dtype=[np.int64, "S8", "S10", "S64", "S64", "S24"],
    )
    hdu_table.meta.update(
        {
            "EXTNAME": "HDU_INDEX",
            "OBSERVER": "ctanb simulate",
            **{k: v for k, v, _ in _gadf("INDEX", "HDU")},
            "HDUVERS": "0.2",
        }
    )
    hdu_table.write(out_dir / "hdu-index.fits.gz", format="fits", overwrite=True)


def _write_obs_index(out_dir: Path, runs: list[dict[str, Any]]) -> None:
    obs = Table()
    obs["OBS_ID"] = np.array([r["OBS_ID"] for r in runs], dtype=np.int64)
    for name, unit in [
        ("RA_PNT", "deg"),
        ("DEC_PNT", "deg"),
        ("GLON_PNT", "deg"),
        ("GLAT_PNT", "deg"),
        ("ZEN_PNT", "deg"),
        ("ALT_PNT", "deg"),
        ("AZ_PNT", "deg"),
        ("ONTIME", "s"),
        ("LIVETIME", "s"),
        ("DEADC", None),
        ("TSTART", "s"),
        ("TSTOP", "s"),
    ]:
        obs[name] = u.Quantity([r[name] for r in runs], unit) if unit else [r[name] for r in runs]
    obs["DATE-OBS"] = [r["start"].isot[:10] for r in runs]
    obs["TIME-OBS"] = [r["start"].isot[11:19] for r in runs]
    obs["DATE-END"] = [r["stop"].isot[:10] for r in runs]
    obs["TIME-END"] = [r["stop"].isot[11:19] for r in runs]
    obs["N_TELS"] = np.zeros(len(runs), dtype=np.int64)
    obs["OBJECT"] = [r["OBJECT"] for r in runs]
    obs["CALDB"] = ["1dc"] * len(runs)
    obs["IRF"] = [r["IRF"] for r in runs]
    obs["EVENTS_FILENAME"] = [r["file"] for r in runs]
    obs["EVENT_COUNT"] = np.array([r["EVENT_COUNT"] for r in runs], dtype=np.int64)
    obs.meta.update(
        {
            "EXTNAME": "OBS_INDEX",
            "OBSERVER": "ctanb simulate",
            **{k: v for k, v, _ in _gadf("INDEX", "OBS")},
            "HDUVERS": "0.2",
            **{k: v for k, v, _ in _time_keywords()},
            **{k: v for k, v, _ in _site_keywords()},
        }
    )
    obs.write(out_dir / "obs-index.fits.gz", format="fits", overwrite=True)
