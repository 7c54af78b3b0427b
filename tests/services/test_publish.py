"""Each kind of product becomes the right DL4 ObsCore row: cube, image, timeseries, a job's file."""

from __future__ import annotations

import astropy.units as u
import httpx
import numpy as np
import pytest
import pyvo
import requests
from astropy.coordinates import SkyCoord

from ctanb.analysis import make_count_map, make_light_curve, make_significance_map
from ctanb.jobs import JobClient
from ctanb.search import ArchiveClient, ArchiveError
from ctanb.search.publish import publish, withdraw
from ctanb.services.auth import create_token

pytestmark = pytest.mark.slow


def row_of(tap_url, token, published):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    table = (
        pyvo.dal.TAPService(tap_url, session=session)
        .run_sync(f"SELECT * FROM ivoa.obscore WHERE obs_id = '{published.obs_id}'")
        .to_table()
    )
    assert len(table) == 1
    return table[0]


def test_count_cube_image_and_light_curve(crab_files, archive_url, tap_url, tokens):
    alice = ArchiveClient(archive_url, token=tokens["alice"])
    centre = SkyCoord(83.633, 22.014, unit="deg")
    cube = make_count_map(
        crab_files,
        skydir=centre,
        width=2 * u.deg,
        binsz=0.05 * u.deg,
        energy_edges=[0.5, 5, 100] * u.TeV,
    )
    image = make_count_map(crab_files, skydir=centre, width=1 * u.deg, binsz=0.1 * u.deg)
    curve = make_light_curve(crab_files, time_bins="run")
    significance = make_significance_map(
        crab_files, skydir=centre, width=2 * u.deg, binsz=0.05 * u.deg, exclusion=None
    )
    published = [p.publish(client=alice) for p in (cube, image, curve, significance)]
    try:
        rows = [row_of(tap_url, tokens["alice"], p) for p in published]
        types = [r["dataproduct_type"] for r in rows]
        assert types == ["cube", "image", "timeseries", "image"]
        assert {r["calib_level"] for r in rows} == {4}
        cube_row, image_row, curve_row, significance_row = rows
        assert "significance" in str(significance_row["obs_title"])
        assert significance_row["event_count"] == int(np.nansum(significance.maps["counts"].data))
        assert (cube_row["s_xel1"], cube_row["s_xel2"], cube_row["em_xel"]) == (40, 40, 2)
        assert cube_row["energy_min"] == pytest.approx(0.5)
        assert cube_row["energy_max"] == pytest.approx(100)
        assert (
            SkyCoord(cube_row["s_ra"], cube_row["s_dec"], unit="deg").separation(centre).deg < 1e-6
        )
        assert cube_row["s_fov"] == pytest.approx(2.0)
        assert cube_row["event_count"] == cube.total
        assert (image_row["s_xel1"], image_row["s_xel2"]) == (10, 10)
        assert curve_row["t_xel"] == len(curve.time_min)
        assert curve_row["t_min"] == pytest.approx(np.min(curve.time_min))
        assert curve_row["t_max"] == pytest.approx(np.max(curve.time_max))
    finally:
        for p in published:
            withdraw(p, client=alice)


def test_a_jobs_result_file_is_published_as_it_is(archive_url, tap_url, tokens, tmp_path, store):
    jobs = JobClient(archive_url, token=tokens["alice"])
    job = jobs.wait(jobs.submit("spectrum", obs_ids=["23523", "23526"], energy_edges=[1, 10]))
    path = tmp_path / "spectrum.fits"
    path.write_bytes(jobs.fetch(job, "spectrum"))
    alice = ArchiveClient(archive_url, token=tokens["alice"])
    # the job's provenance is alice's group's: another group cannot publish its product
    carol = ArchiveClient(archive_url, token=create_token(store, "carol2", ["hess-collaboration"]))
    with pytest.raises(ArchiveError, match="409"):
        publish(path, client=carol)
    published = publish(path, client=alice)
    try:
        # ProvTAP now shows the job's product with its ObsCore identifier
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens['alice']}"
        entity = (
            pyvo.dal.TAPService(tap_url, session=session)
            .run_sync(
                "SELECT obs_publisher_did FROM provenance.entity "
                f"WHERE id = '{published.provenance_entity}'"
            )
            .to_table()
        )
        assert [str(d) for d in entity["obs_publisher_did"]] == [published.obs_publisher_did]
        assert sorted(published.runs) == ["23523", "23526"]
        downloaded = httpx.get(
            published.access_url, headers={"Authorization": f"Bearer {tokens['alice']}"}
        )
        assert downloaded.content == path.read_bytes()  # the very file, byte for byte
        row = row_of(tap_url, tokens["alice"], published)
        assert row["dataproduct_type"] == "spectrum" and row["em_xel"] == 1
    finally:
        withdraw(published, client=alice)
