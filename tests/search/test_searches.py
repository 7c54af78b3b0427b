"""Every search use case against the real archive; expectations come from the FITS files."""

from __future__ import annotations

import re
import time
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from regions import CircleSkyRegion, PolygonSkyRegion

from ctanb.search import (
    ArchiveClient,
    ArchiveError,
    NameResolutionError,
    cone_search,
    obscore_search,
    resolve,
)

from tests_support import expected_crab_runs

pytestmark = pytest.mark.slow

BLAZAR_CLASSES = {"hbl", "ibl", "lbl", "fsrq", "blazar", "bllac"}


@pytest.fixture(scope="module")
def hess_index(data_dir) -> Table:
    return Table.read(data_dir / "hess-dl3-dr1" / "obs-index.fits.gz")


@pytest.fixture(scope="module")
def alice(archive_url, tokens) -> ArchiveClient:
    return ArchiveClient(archive_url, token=tokens["alice"])


def ids(table) -> list[str]:
    return sorted(str(x) for x in table["obs_id"])


def event_files(data_dir: Path) -> dict[str, Path]:
    files = {}
    for path in sorted((data_dir / "hess-dl3-dr1" / "data").glob("*.fits.gz")):
        files[str(int(re.search(r"(\d+)\.fits", path.name).group(1)))] = path
    for path in sorted((data_dir / "cta-1dc" / "data").rglob("*.fits")):
        files[str(int(re.search(r"(\d+)\.fits", path.name).group(1)))] = path
    return files


def test_cone_search_of_the_crab(archive_url, data_dir):
    result = cone_search("Crab", 0.001 * u.deg, client=archive_url)
    assert ids(result) == expected_crab_runs(data_dir)
    assert "INTERSECTS(s_region, CIRCLE('ICRS'" in result.meta["adql"]


def test_target_at_a_given_time(archive_url, hess_index):
    start, stop = Time("2006-07-29T12:00", scale="utc"), Time("2006-07-31", scale="utc")
    mjdref = hess_index.meta["MJDREFI"] + hess_index.meta["MJDREFF"]
    t_min = mjdref + hess_index["TSTART"] / 86400
    t_max = mjdref + hess_index["TSTOP"] / 86400
    chosen = (
        np.char.startswith(np.asarray(hess_index["TARGET_NAME"], str), "PKS 2155-304")
        & (t_max >= start.tt.mjd)
        & (t_min <= stop.tt.mjd)
    )
    expected = sorted(str(x) for x in hess_index["OBS_ID"][chosen])
    result = obscore_search(
        target=["PKS 2155-304 (flare)", "PKS 2155-304 (steady)"],
        time=(start, stop),
        client=archive_url,
    )
    assert expected and ids(result) == expected


def test_sky_regions(archive_url, hess_index, data_dir):
    centre = SkyCoord(228.6125, -59.2217, unit="deg")  # MSH 15-52
    fov = float(
        np.max(
            fits.getdata(next((data_dir / "hess-dl3-dr1/data").glob("*.gz")), "AEFF")["THETA_HI"]
        )
    )
    pointings = SkyCoord(hess_index["RA_PNT"], hess_index["DEC_PNT"], unit="deg")
    expected = sorted(
        str(x) for x in hess_index["OBS_ID"][pointings.separation(centre).deg < fov + 0.2]
    )
    circle = obscore_search(region=CircleSkyRegion(centre, 0.2 * u.deg), client=archive_url)
    assert ids(circle) == expected
    square = PolygonSkyRegion(
        SkyCoord([228.2, 229.0, 229.0, 228.2], [-59.4, -59.4, -59.0, -59.0], unit="deg")
    )
    polygon = obscore_search(region=square, client=archive_url)
    assert set(ids(polygon)) == set(expected)


def test_events_above_50_tev(archive_url, alice, data_dir):
    expected = sorted(
        obs
        for obs, path in event_files(data_dir).items()
        if float(np.max(fits.getdata(path, "EVENTS")["ENERGY"])) >= 50
    )
    hess_only = [o for o in expected if int(o) < 100000]
    assert ids(obscore_search(events_above=50 * u.TeV, client=archive_url)) == hess_only
    assert ids(obscore_search(events_above=50 * u.TeV, client=alice)) == expected
    # the same energy as a wavelength: converted exactly
    as_wavelength = (50 * u.TeV).to(u.m, equivalencies=u.spectral())
    assert ids(obscore_search(events_above=as_wavelength, client=archive_url)) == hess_only


def test_public_blazars(archive_url, hess_index, data_dir):
    catalogue = Table.read(data_dir / "catalogs" / "gammacat" / "gammacat.fits.gz")
    blazars = {
        str(n).lower()
        for n, c in zip(catalogue["common_name"], catalogue["classes"], strict=True)
        if set(str(c).split(",")) & BLAZAR_CLASSES
    }
    chosen = [str(o).lower() in blazars for o in hess_index["OBJECT"]]
    expected = sorted(str(x) for x in hess_index["OBS_ID"][chosen])
    result = obscore_search(target_class="blazar", data_rights="public", client=archive_url)
    assert expected and ids(result) == expected


def test_proposal_rights_and_obsconfig(archive_url, alice, hess_index, data_dir):
    all_hess = sorted(str(x) for x in hess_index["OBS_ID"])
    assert ids(obscore_search(proposal_id="HESS-DL3-DR1", client=archive_url)) == all_hess
    cta = ["110380", "111140", "111159", "111630"]
    assert ids(obscore_search(proposal_id="CTA-1DC-GPS", client=archive_url)) == []
    assert ids(obscore_search(proposal_id="CTA-1DC-GPS", client=alice)) == cta
    assert ids(obscore_search(data_rights="proprietary", client=alice)) == cta
    # the LSTs are in the CTA 1DC south array only
    assert ids(obscore_search(telescope="LST", client=alice)) == cta
    crab = obscore_search(target="Crab", exclude_pointing_mode="divergent", client=archive_url)
    assert len(crab) == 4  # CONV_DEP = 0: parallel pointing
    assert ids(obscore_search(site="CTAO-South", client=alice)) == cta
    wobble = [
        fits.getheader(p, "EVENTS").get("OBS_MODE", "").lower() == "wobble"
        for p in (data_dir / "hess-dl3-dr1" / "data").glob("*.fits.gz")
    ]
    assert len(
        obscore_search(obs_mode="wobble", instrument_name="H.E.S.S. Phase I", client=archive_url)
    ) == int(np.sum(wobble))
    assert ids(obscore_search(run_type="science", client=alice)) == sorted(all_hess + cta)


def test_provenance_fields(archive_url, alice, hess_index, data_dir):
    ev_class = {
        fits.getheader(p, "EVENTS").get("EV_CLASS", "").lower()
        for p in list((data_dir / "hess-dl3-dr1" / "data").glob("*.gz"))[:5]
    }
    assert ev_class == {"std"}
    assert len(obscore_search(applied_cuts="std", client=archive_url)) == len(hess_index)
    assert ids(obscore_search(reco_method="ImPACT", client=alice)) == [
        "110380",
        "111140",
        "111159",
        "111630",
    ]
    assert ids(
        obscore_search(reco_version="HAP", target="Crab", client=archive_url)
    ) == expected_crab_runs(data_dir)
    assert len(obscore_search(calib_version="prod3b", client=archive_url)) == 0
    good = hess_index["QUALITY"] == 0
    assert len(obscore_search(data_quality="good", client=archive_url)) == int(np.sum(good))


def test_bad_keywords_and_units_are_named():
    with pytest.raises(TypeError, match="unknown keyword 'targte'"):
        obscore_search(targte="Crab")
    with pytest.raises(ValueError, match="is not an energy"):
        obscore_search(events_above=3 * u.deg)
    with pytest.raises(TypeError, match="astropy Time"):
        obscore_search(time=("2004-01-01", None))


def test_injection_through_a_target_name(archive_url, store):
    before = store.connect().execute("SELECT count(*) FROM archive.observation").fetchone()[0]
    for name in ["Crab' OR '1'='1", "x'; DELETE FROM ivoa.obscore; --", "Crab\\' OR 1=1 --"]:
        assert len(obscore_search(target=name, client=archive_url)) == 0
    after = store.connect().execute("SELECT count(*) FROM archive.observation").fetchone()[0]
    assert before == after == 109


def test_maxrec_warning_and_errors(archive_url):
    with pytest.warns(UserWarning, match="maxrec"):
        ArchiveClient(archive_url).query("SELECT obs_id FROM ivoa.obscore", maxrec=3)
    with pytest.raises(ArchiveError, match="nosuchcolumn"):
        ArchiveClient(archive_url).query("SELECT nosuchcolumn FROM ivoa.obscore")
    with pytest.raises(ArchiveError, match="cannot query the archive"):
        ArchiveClient("http://127.0.0.1:9").query("SELECT obs_id FROM ivoa.obscore")


@pytest.mark.parametrize(
    ("name", "source", "ra", "dec"),
    [
        ("Crab", "archive", 83.633, 22.014),
        ("crab nebula", "gamma-cat", 83.633, 22.014),
        ("CrabNebula", "gamma-cat", 83.633, 22.014),
        ("PKS 2155-304", "gamma-cat", 329.717, -30.226),
        ("MSH 15-52", "archive", 228.61, -59.22),
        ("RX J1713.7-3946", "archive", 258.2, -39.8),
        ("3C 144", "gamma-cat", 83.633, 22.014),  # a gamma-cat alias of the Crab
        ("Vela X", "gamma-cat", 128.29, -45.19),
    ],
)
def test_resolve_offline(archive_url, name, source, ra, dec):
    result = resolve(name, archive_url=archive_url)
    assert result.source == source
    assert result.coord.separation(SkyCoord(ra, dec, unit="deg")).deg < 0.05


def test_unknown_names_fail_fast_with_suggestions(archive_url):
    start = time.monotonic()
    with pytest.raises(NameResolutionError, match=r"closest names: .*Crab"):
        resolve("Crabb Nebulla", archive_url=archive_url)
    assert time.monotonic() - start < 2.0


def test_a_saved_search_carries_its_provenance(archive_url, data_dir):
    from prov.model import ProvDocument

    from ctanb.prov import lineage, serialize

    result = cone_search("Crab", 0.001 * u.deg, client=archive_url)
    query = lineage(result.provenance).query
    assert query["adql"] == result.meta["adql"] and query["service_url"].endswith("/tap")
    assert sorted(query["obs_ids"].split()) == expected_crab_runs(data_dir)
    text = serialize(result.provenance, "json")
    assert ProvDocument.deserialize(content=text, format="json") == result.provenance
