"""UWS analysis jobs end to end: life cycles, equality with inline analyses, rights, WAIT."""

from __future__ import annotations

import io
import time
from datetime import datetime

import astropy.units as u
import httpx
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from prov.model import ProvDocument

from ctanb.analysis import extract_spectrum, make_count_map
from ctanb.analysis.specs import CountMapSpec
from ctanb.config import Settings
from ctanb.jobs import JobClient, JobError
from ctanb.testing import ServiceProcess, free_port

pytestmark = pytest.mark.slow

CRAB = [23523, 23526]


@pytest.fixture(scope="module")
def alice(archive_url, tokens) -> JobClient:
    return JobClient(archive_url, token=tokens["alice"])


@pytest.fixture(scope="module")
def bob(archive_url, tokens) -> JobClient:
    return JobClient(archive_url, token=tokens["bob"])


def files(data_dir):
    return [
        data_dir / "hess-dl3-dr1" / "data" / f"hess_dl3_dr1_obs_id_{o:06d}.fits.gz" for o in CRAB
    ]


def test_job_types_are_described(alice, archive_url):
    assert set(alice.job_types()) >= {"countmap", "spectrum", "lightcurve", "copy", "tap"}
    text = httpx.get(archive_url + "/uws").text
    assert 'name="binsz" type="float" unit="deg" default="0.02"' in text


def test_countmap_job_equals_the_inline_analysis(alice, data_dir):
    job = alice.submit(
        "countmap",
        obs_ids=CRAB,
        ra=83.633,
        dec=22.014,
        width=3,
        binsz=0.05,
        energy_edges=[0.5, 5, 100],
    )
    job = alice.wait(job, timeout=180)
    assert set(job.results) == {"countmap", "provjson", "provxml", "provn", "provsvg"}
    remote = alice.product(job)
    inline = make_count_map(
        files(data_dir),
        skydir=SkyCoord(83.633, 22.014, unit="deg"),
        width=3 * u.deg,
        binsz=0.05 * u.deg,
        energy_edges=[0.5, 5, 100] * u.TeV,
    )
    np.testing.assert_array_equal(remote.map.data, inline.map.data)
    provenance = ProvDocument.deserialize(
        content=alice.fetch(job, "provjson").decode(), format="json"
    )
    assert provenance == remote.provenance
    assert alice.fetch(job, "provsvg").lstrip().startswith(b"<?xml")


def test_one_spec_runs_here_and_on_the_service_alike(alice, data_dir):
    spec = CountMapSpec(
        skydir=SkyCoord(l=184.557, b=-5.784, unit="deg", frame="galactic"),
        width=2 * u.deg,
        binsz=3 * u.arcmin,
        proj="TAN",
        energy_edges=[1, 100] * u.TeV,
    )
    job = alice.wait(alice.submit(spec, obs_ids=CRAB), timeout=180)
    assert job.parameters["glon"] == "184.557" and job.parameters["binsz"] == "0.05"
    remote, inline = alice.product(job), spec.run(files(data_dir))
    np.testing.assert_array_equal(remote.map.data, inline.map.data)
    assert remote.checksum() == inline.checksum()
    assert remote.checksum() in remote.provenance.serialize()  # the worker recorded it
    # Quantities and the spec's fields by name: converted to the declared units once
    pending = alice.submit(
        "countmap", run=False, obs_ids=CRAB, binsz=6 * u.arcmin, skydir=spec.skydir
    )
    assert pending.parameters["binsz"] == "0.1" and pending.parameters["glat"] == "-5.784"
    alice.delete(pending)


def test_spectrum_lightcurve_and_copy_jobs(alice, data_dir):
    spectrum = alice.wait(alice.submit("spectrum", obs_ids=CRAB, energy_edges=[0.5, 5, 100]))
    table = Table.read(io.BytesIO(alice.fetch(spectrum, "spectrum")), hdu="SPECTRUM")
    inline = extract_spectrum(files(data_dir), energy_edges=[0.5, 5, 100] * u.TeV)
    np.testing.assert_array_equal(table["n_on"], inline.n_on)
    np.testing.assert_array_equal(table["n_off"], inline.n_off)
    curve = alice.wait(alice.submit("lightcurve", obs_ids=CRAB, time_bins="run"))
    assert len(Table.read(io.BytesIO(alice.fetch(curve, "lightcurve")), hdu="LIGHTCURVE")) == 2
    copy = alice.wait(alice.submit("copy", obs_ids=CRAB[:1]))
    assert alice.fetch(copy, "events_23523") == files(data_dir)[0].read_bytes()


def test_bad_parameters_are_refused_with_their_name(alice):
    for parameters, name in [
        ({"binsz": -1}, "binsz"),
        ({"frame": "fk4"}, "frame"),
        ({"colour": "red"}, "COLOUR"),
        ({"proj": "AIT"}, "proj"),  # not one the binning kernel handles
        ({"ra": 83.6, "dec": 22, "glon": 184.5, "glat": -5.8}, "not both"),
        ({}, "obs_ids"),
    ]:
        with pytest.raises(JobError, match=name):
            alice.submit(
                "countmap", **({"obs_ids": CRAB} | parameters if name != "obs_ids" else parameters)
            )


def test_jobs_belong_to_their_owner_and_read_with_their_rights(alice, bob):
    job = alice.submit("copy", run=False, obs_ids=[110380])
    assert job.job_id not in [j.job_id for j in bob.list("copy")]
    with pytest.raises(JobError, match="404"):
        bob.get("copy", job.job_id)
    with pytest.raises(JobError, match="404"):
        bob.delete(job)
    assert alice.wait(alice.run(job)).phase == "COMPLETED"  # alice is in cta-consortium
    with pytest.raises(JobError, match="not yours to read"):
        bob.wait(bob.submit("copy", obs_ids=[110380]))


def test_wait_returns_within_a_second_of_the_phase_change(alice):
    job = alice.submit("copy", obs_ids=CRAB[:1], sleep=2)
    job = alice.get("copy", job.job_id, wait=20, phase="QUEUED")
    if job.phase == "EXECUTING":
        job = alice.get("copy", job.job_id, wait=20, phase="EXECUTING")
    returned = time.time()
    assert job.phase == "COMPLETED"
    ended = datetime.fromisoformat(job.end_time.replace("Z", "+00:00")).timestamp()
    assert returned - ended < 1.0


def test_a_hundred_jobs_all_end_none_lost(alice):
    before = {j.job_id for j in alice.list("copy")}
    submitted = [alice.submit("copy", obs_ids=CRAB[:1]).job_id for _ in range(100)]
    assert len(set(submitted)) == 100
    for job_id in submitted:
        assert alice.wait(alice.get("copy", job_id), timeout=300).phase == "COMPLETED"
    listed = {j.job_id for j in alice.list("copy")} - before
    assert listed == set(submitted)


def test_a_killed_service_keeps_its_jobs_and_says_the_truth(store, ctanb_settings, tokens):
    settings = Settings(
        home=ctanb_settings.home,
        data_dir=ctanb_settings.data_dir,
        service_url=f"http://127.0.0.1:{free_port()}",
    )
    service = ServiceProcess(settings).start()
    try:
        client = JobClient(service.url, token=tokens["alice"])
        pending = client.submit("copy", run=False, obs_ids=CRAB[:1])
        running = client.submit("copy", obs_ids=CRAB[:1], sleep=30)
        assert client.get("copy", running.job_id, wait=60, phase="QUEUED").phase == "EXECUTING"
        service.kill()
        service.start()
        assert client.get("copy", pending.job_id).phase == "PENDING"
        crashed = client.get("copy", running.job_id)
        assert crashed.phase == "ERROR" and "restarted" in crashed.error
        assert client.wait(client.run(pending)).phase == "COMPLETED"
    finally:
        service.stop()
