"""DL3 ingestion into a store of its own: values from the data, idempotence, bad files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from ctanb.config import Settings
from ctanb.services.cluster import PrivateCluster
from ctanb.services.ingest import ingest
from ctanb.services.store import Store
from ctanb.testing import private_home

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_store(data_dir):
    home = private_home("ctanb-ingest-")
    store = Store.open(Settings(home=home, data_dir=data_dir))
    yield store
    PrivateCluster(home).stop()
    shutil.rmtree(home, ignore_errors=True)


def rows(store, where="true"):
    with store.connect() as conn:
        cur = conn.execute(f"SELECT * FROM archive.observation WHERE {where} ORDER BY obs_id")
        names = [d.name for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_values_come_from_the_data(own_store, data_dir):
    report = ingest(
        [data_dir / "hess-dl3-dr1", data_dir / "cta-1dc"],
        own_store,
        catalogs_dir=data_dir / "catalogs",
    )
    assert len(report.ingested) == 109 and not report.skipped
    index = Table.read(data_dir / "hess-dl3-dr1" / "obs-index.fits.gz")
    expected = index[index["OBS_ID"] == 23523][0]
    row = rows(own_store, "obs_id = '23523'")[0]
    events = fits.getdata(
        data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz", "EVENTS"
    )
    mjdref = index.meta["MJDREFI"] + index.meta["MJDREFF"]
    assert row["s_ra"] == pytest.approx(expected["RA_PNT"])
    assert row["s_dec"] == pytest.approx(expected["DEC_PNT"])
    assert row["t_min"] == pytest.approx(mjdref + expected["TSTART"] / 86400, abs=1e-9)
    assert row["t_exptime"] == pytest.approx(expected["LIVETIME"])
    assert row["energy_min"] == pytest.approx(expected["SAFE_ENERGY_LO"])
    assert row["event_count"] == len(events)
    assert row["event_energy_max"] == pytest.approx(float(np.max(events["ENERGY"])))
    assert row["em_min"] == pytest.approx(1.23984198e-18 / expected["SAFE_ENERGY_HI"], rel=1e-6)
    assert row["obs_mode"] == "wobble" and row["tel_list"] == "1,2,3,4"
    assert row["target_class"] == "pwn"  # gamma-cat's class of the Crab Nebula
    cta = rows(own_store, "obs_collection = 'CTA-1DC'")
    assert [r["obs_id"] for r in cta] == ["110380", "111140", "111159", "111630"]
    assert {r["data_rights"] for r in cta} == {"proprietary"}
    assert cta[0]["s_fov"] == 10.0  # DSVAL3 = CIRCLE(267.6812,-29.6075,5)


def test_reingest_updates_in_place(own_store, data_dir):
    before = {(r["obs_id"], r["file_sha256"]) for r in rows(own_store)}
    report = ingest([data_dir / "hess-dl3-dr1"], own_store)
    after = rows(own_store)
    assert len(report.ingested) == 105
    assert len(after) == 109
    assert {(r["obs_id"], r["file_sha256"]) for r in after} == before


def test_broken_and_foreign_files_are_skipped_with_reasons(own_store, data_dir, tmp_path):
    good = data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_020136.fits.gz"
    shutil.copy(good, tmp_path / "good.fits.gz")
    (tmp_path / "truncated.fits.gz").write_bytes(good.read_bytes()[:40] + b"garbage" * 100)
    fits.HDUList([fits.PrimaryHDU(np.zeros((3, 3)))]).writeto(tmp_path / "image.fits")
    report = ingest([tmp_path, tmp_path / "missing.fits"], own_store, collection="TEST-BROKEN")
    reasons = dict(report.skipped)
    assert report.ingested == [("TEST-BROKEN", "20136")]
    assert "no EVENTS extension" in reasons[str(tmp_path / "image.fits")]
    assert "cannot read" in reasons[str(tmp_path / "truncated.fits.gz")]
    assert "no such file" in reasons[str(tmp_path / "missing.fits")]
    assert len(rows(own_store, "obs_collection = 'TEST-BROKEN'")) == 1
