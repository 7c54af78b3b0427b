"""Provenance replay runs only ctanb's own analyses, on inputs whose sha256 still matches.

A FITS product's PROVENANCE HDU is data anyone can write. These tests forge one that names
``subprocess:run`` (with the event-list paths as its argv, so the old ``import_module``
replay would have run ``touch <marker>``) and check that nothing runs.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits

from ctanb.analysis import CountMap, make_count_map
from ctanb.cli import main
from ctanb.prov import (
    ActivityRecord,
    InputFile,
    ReplayRefusedError,
    add_provenance_hdu,
    build_document,
    lineage,
    replay,
)
from ctanb.prov.params import encode

CRAB = SkyCoord(83.633, 22.014, unit="deg")


@pytest.fixture(scope="module")
def run_copy(crab_files, tmp_path_factory):
    """A private copy of one Crab run, which a test may alter."""
    target = tmp_path_factory.mktemp("runs") / crab_files[0].name
    shutil.copyfile(crab_files[0], target)
    return target


@pytest.fixture(scope="module")
def genuine(run_copy, tmp_path_factory):
    """A genuine count-map FITS file made from the private copy."""
    product = make_count_map(
        [run_copy], skydir=CRAB, width=2 * u.deg, binsz=0.05 * u.deg, energy_edges=[1, 10] * u.TeV
    )
    return product.to_fits(tmp_path_factory.mktemp("products") / "countmap.fits")


def _forge(genuine_path, out_path, record: ActivityRecord):
    """Write a copy of a genuine product whose PROVENANCE HDU describes ``record``."""
    doc = build_document(record, product_id="forged", product_checksum=None)
    with fits.open(genuine_path) as hdulist:
        add_provenance_hdu(hdulist, doc)
        hdulist.writeto(out_path)
    return out_path


@pytest.mark.parametrize("entry_point", ["subprocess:run", "os:system", "builtins:exec"])
def test_forged_entry_point_is_refused_and_nothing_runs(genuine, tmp_path, entry_point):
    marker = tmp_path / "pwned"
    record = ActivityRecord(
        name="countmap",
        entry_point=entry_point,
        # replay used to call function(paths, **parameters): subprocess.run(["touch", marker])
        inputs=[
            InputFile("touch", role="events", checksum="sha256:" + "0" * 64),
            InputFile(str(marker), role="events", checksum="sha256:" + "0" * 64),
        ],
        parameters={},
        started=datetime.now(UTC),
    )
    forged = _forge(genuine, tmp_path / "forged.fits", record)
    product = CountMap.read(forged)
    assert lineage(product).event_lists[0]["path"] == "touch"  # the forgery did load
    with pytest.raises(ReplayRefusedError, match="not one of ctanb's replayable analyses"):
        replay(product)
    assert main(["prov", "replay", str(forged), "--out", str(tmp_path / "again.fits")]) != 0
    assert not marker.exists()
    assert not (tmp_path / "again.fits").exists()


def test_forged_keyword_arguments_are_refused(genuine, tmp_path):
    """A real analysis with a keyword it never records (``archive``: where tokens go)."""
    product = CountMap.read(genuine)
    record = product.record
    record.parameters = {**record.parameters, "archive": "http://attacker.invalid"}
    doc = build_document(record, product_id="forged", product_checksum=None)
    assert "attacker.invalid" in encode(record.parameters)
    with pytest.raises(ReplayRefusedError, match="parameters it never records"):
        replay(doc)


def test_forged_data_url_of_another_host_is_refused(genuine, tmp_path):
    product = CountMap.read(genuine)
    record = product.record
    (original,) = record.inputs
    record.inputs = [
        InputFile(
            "http://attacker.invalid/data/HESS-DL3-DR1/23523",
            original.obs_id,
            "events",
            original.checksum,
            original.collection,
        )
    ]
    doc = build_document(record, product_id="forged", product_checksum=None)
    with pytest.raises(ReplayRefusedError, match="not a data URL of the trusted archive"):
        replay(doc, archive="http://127.0.0.1:1")


def test_tampered_or_missing_input_is_refused(genuine, run_copy, tmp_path):
    product = CountMap.read(genuine)
    saved = run_copy.read_bytes()
    try:
        run_copy.write_bytes(saved + b"\0")  # one byte more: another sha256
        with pytest.raises(ReplayRefusedError, match="has changed since the product was made"):
            replay(product)
        run_copy.unlink()
        with pytest.raises(ReplayRefusedError, match="is missing"):
            replay(product)
    finally:
        run_copy.write_bytes(saved)
    again = replay(product)  # restored: replays again
    np.testing.assert_array_equal(again.map.data, product.map.data)


def test_genuine_product_replays_to_identical_counts(genuine, tmp_path):
    product = CountMap.read(genuine)
    again = replay(product)
    assert again.map.data.sum() == product.map.data.sum() > 0
    np.testing.assert_array_equal(again.map.data, product.map.data)
    out = tmp_path / "again.fits"
    assert main(["prov", "replay", str(genuine), "--out", str(out)]) == 0
    assert CountMap.read(out).checksum() == product.checksum()  # both read from FITS


def test_a_product_of_archive_runs_replays_from_the_trusted_archive(archive_url):
    """Inputs recorded as data URLs (as in the tutorials) are fetched from the trusted archive
    (``CTANB_SERVICE_URL``, the session's service) and checked like local files."""
    product = make_count_map(
        [23523], archive=archive_url, skydir=CRAB, width=1 * u.deg, binsz=0.1 * u.deg
    )
    (source,) = lineage(product).event_lists
    assert source["path"] == f"{archive_url}/data/HESS-DL3-DR1/23523"
    again = replay(product)
    np.testing.assert_array_equal(again.map.data, product.map.data)
    with pytest.raises(ReplayRefusedError, match="not a data URL of the trusted archive"):
        replay(product, archive="http://127.0.0.1:1")  # another archive than the recorded one
