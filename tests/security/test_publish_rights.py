"""Published DL4 products: members of the group see them, outsiders see nothing, attacks fail.

A real spectrum of the four Crab runs is published through the running service; ObsCore,
``/data``, ProvTAP and ``/provenance`` are then asked by a member, by a user of another
group, by a user of no group and anonymously.
"""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pytest
import pyvo
import requests
from astropy.io import fits
from astropy.table import Table
from prov.model import ProvActivity

from ctanb.analysis import extract_spectrum
from ctanb.search import ArchiveClient, ArchiveError
from ctanb.services.auth import create_token
from ctanb.services.publish import MAX_PRODUCT_BYTES

pytestmark = pytest.mark.slow

GROUP = "cta-consortium"  # alice's group
CTA_RUN = "110380"  # a CTA 1DC run, proprietary to cta-consortium until 2030


def tap(tap_url, token=None):
    session = requests.Session()
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return pyvo.dal.TAPService(tap_url, session=session)


def auth(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def people(store, tokens):
    """alice (cta-consortium), carol (hess-collaboration), bob (no group), anonymous."""
    return {
        "alice": tokens["alice"],
        "carol": create_token(store, "carol", ["hess-collaboration"]),
        "bob": tokens["bob"],
        "anonymous": None,
    }


@pytest.fixture(scope="module")
def spectrum(crab_files):
    return extract_spectrum(crab_files)


@pytest.fixture(scope="module")
def published(spectrum, archive_url, people):
    product = spectrum.publish(
        client=ArchiveClient(archive_url, token=people["alice"]),
        group=GROUP,
        title="Crab spectrum, four H.E.S.S. runs",
    )
    yield product
    # leave the session's archive as it was (other tests count its rows)
    response = httpx.delete(
        f"{archive_url}/products/{product.obs_id}", headers=auth(people["alice"])
    )
    assert response.status_code in (204, 404)


def withdraw_all(archive_url, token, obs_ids):
    for obs_id in obs_ids:
        httpx.delete(f"{archive_url}/products/{obs_id}", headers=auth(token))


def test_the_published_row_is_dl4_proprietary_and_linked_to_its_runs(
    published, spectrum, tap_url, people
):
    rows = (
        tap(tap_url, people["alice"])
        .run_sync(
            f"SELECT * FROM ivoa.obscore WHERE obs_publisher_did = '{published.obs_publisher_did}'"
        )
        .to_table()
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["dataproduct_type"] == "spectrum" and row["calib_level"] == 4
    assert row["dataproduct_subtype"] == "DL4" and row["obs_collection"] == "CTANB-DL4"
    assert row["owner_group"] == GROUP and row["data_rights"] == "proprietary"
    release = datetime.fromisoformat(str(row["obs_release_date"])).replace(tzinfo=UTC)
    assert abs(release - (datetime.now(UTC) + timedelta(days=365))) < timedelta(hours=1)
    assert sorted(published.runs) == sorted(
        str(i.obs_id) for i in spectrum.record.inputs if i.role == "events"
    )
    assert row["energy_min"] == pytest.approx(spectrum.energy_edges[0].value)
    assert row["event_count"] == int(spectrum.n_on.sum())
    # an ObsCore cone search around the Crab finds it, among the runs
    cone = (
        tap(tap_url, people["alice"])
        .run_sync(
            "SELECT obs_id, calib_level FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, "
            "CIRCLE('ICRS', 83.633, 22.0145, 0.1)) AND calib_level = 4"
        )
        .to_table()
    )
    assert published.obs_id in [str(o) for o in cone["obs_id"]]


def test_members_download_the_file_outsiders_do_not(published, spectrum, archive_url, people):
    response = httpx.get(published.access_url, headers=auth(people["alice"]))
    assert response.status_code == 200
    with fits.open(io.BytesIO(response.content)) as hdulist:
        table = Table.read(hdulist["SPECTRUM"])
        assert "PROVENANCE" in hdulist
    assert np.array_equal(table["n_on"], spectrum.n_on)
    for who in ("carol", "bob", "anonymous"):
        refused = httpx.get(published.access_url, headers=auth(people[who]))
        assert refused.status_code == 404, who
        assert refused.content != response.content


@pytest.mark.parametrize("who", ["carol", "bob", "anonymous"])
def test_outsiders_find_neither_the_row_nor_its_provenance(
    published, tap_url, archive_url, people, who
):
    did, entity = published.obs_publisher_did, published.provenance_entity
    queries = [
        f"SELECT obs_id FROM ivoa.obscore WHERE obs_publisher_did = '{did}'",
        "SELECT obs_id FROM ivoa.obscore WHERE calib_level = 4",
        "SELECT obs_id FROM cta.vo_obscore WHERE obs_collection = 'CTANB-DL4'",
        f"SELECT id FROM provenance.entity WHERE id = '{entity}'",
        f"SELECT id FROM provenance.entity WHERE obs_publisher_did = '{did}'",
        f"SELECT entity_id FROM provenance.wasgeneratedby WHERE entity_id = '{entity}'",
        f"SELECT activity_id FROM provenance.wasgeneratedby WHERE entity_id = '{entity}'",
        "SELECT gen.entity_id FROM provenance.entity AS ent JOIN provenance.used AS us ON "
        "us.entity_id = ent.id JOIN provenance.wasgeneratedby AS gen ON "
        "gen.activity_id = us.activity_id WHERE ent.obs_id = '23523'",
    ]
    member = tap(tap_url, people["alice"])
    outsider = tap(tap_url, people[who])
    for query in queries:
        seen = member.run_sync(query).to_table()
        assert len(seen) >= 1, query  # the query does find it for a member
        hidden = outsider.run_sync(query).to_table()
        values = {str(v) for name in hidden.colnames for v in hidden[name]}
        assert published.obs_id not in values and published.provenance_entity not in values, (
            who,
            query,
        )
    lineage = httpx.get(
        f"{archive_url}/provenance/{published.provenance_entity}", headers=auth(people[who])
    )
    assert lineage.status_code == 404


def test_provtap_finds_the_product_derived_from_a_run(published, tap_url, archive_url, people):
    query = (
        "SELECT DISTINCT prod.obs_publisher_did FROM provenance.entity AS run "
        "JOIN provenance.used AS us ON us.entity_id = run.id "
        "JOIN provenance.wasgeneratedby AS gen ON gen.activity_id = us.activity_id "
        "JOIN provenance.entity AS prod ON prod.id = gen.entity_id "
        "WHERE run.obs_id = '23523'"
    )
    found = tap(tap_url, people["alice"]).run_sync(query).to_table()
    assert published.obs_publisher_did in [str(v) for v in found["obs_publisher_did"]]
    graph = httpx.get(
        f"{archive_url}/provenance/{published.provenance_entity}",
        params={"depth": 1, "format": "json"},
        headers=auth(people["alice"]),
    )
    assert graph.status_code == 200
    document = graph.json()
    assert any(published.provenance_entity.split(":")[1] in key for key in document["entity"])
    run_entities = [e for e in document["entity"].values() if e.get("ctanb:obs_id") == "23523"]
    assert run_entities, "the run used is in the lineage"
    assert document["wasGeneratedBy"] and document["used"]
    for fmt, marker in (("xml", b"<prov:document"), ("svg", b"<svg")):
        other = httpx.get(
            f"{archive_url}/provenance/{published.provenance_entity}",
            params={"format": fmt},
            headers=auth(people["alice"]),
        )
        assert other.status_code == 200 and marker in other.content, fmt
    bad = httpx.get(
        f"{archive_url}/provenance/{published.provenance_entity}",
        params={"depth": 99},
        headers=auth(people["alice"]),
    )
    assert bad.status_code == 400


# ------------------------------------------------------------------------------ attacks
def post(archive_url, token, content, filename="spectrum.fits", **fields):
    return httpx.post(
        f"{archive_url}/products",
        files={"file": (filename, content, "application/fits")},
        data=fields,
        headers=auth(token),
        timeout=60,
    )


def fits_bytes(product, folder, doc=None):
    """The product as FITS, optionally with another provenance document inside."""
    from ctanb.prov.fits import add_provenance_hdu

    path = product.to_fits(folder / f"{product.product_id}.fits")
    if doc is None:
        return path.read_bytes()
    with fits.open(path) as hdulist:
        add_provenance_hdu(hdulist, doc)
        out = io.BytesIO()
        hdulist.writeto(out)
    return out.getvalue()


@pytest.fixture
def fresh(spectrum, tmp_path):
    """A new product (new id, new activity) with the spectrum's data."""
    return dataclasses.replace(spectrum, product_id=uuid.uuid4().hex)


@pytest.fixture
def spectrum_bytes(fresh, tmp_path):
    return fits_bytes(fresh, tmp_path)


def test_publishing_needs_a_token_and_a_group_of_the_caller(archive_url, people, spectrum_bytes):
    assert post(archive_url, None, spectrum_bytes).status_code == 401
    assert post(archive_url, "forged-token", spectrum_bytes).status_code == 401
    into_other = post(archive_url, people["alice"], spectrum_bytes, group="hess-collaboration")
    assert into_other.status_code == 403 and "not a member" in into_other.json()["detail"]
    no_group = post(archive_url, people["bob"], spectrum_bytes)
    assert no_group.status_code == 403


def test_no_product_of_runs_the_caller_may_not_read(archive_url, people, spectrum):
    # carol (hess-collaboration) claims a product of a proprietary CTA 1DC run
    inputs = [dataclasses.replace(i, obs_id=int(CTA_RUN)) for i in spectrum.record.inputs]
    forged = dataclasses.replace(
        spectrum, record=dataclasses.replace(spectrum.record, inputs=inputs), product_id="forged"
    )
    with pytest.raises(ArchiveError, match=f"403.*{CTA_RUN}"):
        forged.publish(client=ArchiveClient(archive_url, token=people["carol"]))


def test_only_fits_products_of_ctanb(archive_url, people, spectrum_bytes, tmp_path):
    alice = people["alice"]
    assert post(archive_url, alice, b"<html>not fits</html>").status_code == 400
    plain = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(np.zeros((4, 4)))]).writeto(plain)
    no_provenance = post(archive_url, alice, plain.getvalue())
    assert no_provenance.status_code == 400 and "PROVENANCE" in no_provenance.json()["detail"]
    truncated = post(archive_url, alice, spectrum_bytes[:5000])
    assert truncated.status_code == 400
    with fits.open(io.BytesIO(spectrum_bytes)) as hdulist:
        del hdulist["SPECTRUM"]
        stripped = io.BytesIO()
        hdulist.writeto(stripped)
    no_product = post(archive_url, alice, stripped.getvalue())
    assert no_product.status_code == 400 and "no product" in no_product.json()["detail"]
    bad_date = post(archive_url, alice, spectrum_bytes, release_date="tomorrow")
    assert bad_date.status_code == 400 and "ISO 8601" in bad_date.json()["detail"]
    bad_rights = post(archive_url, alice, spectrum_bytes, data_rights="secret")
    assert bad_rights.status_code == 400


def test_too_large_uploads_are_refused(archive_url, people):
    huge = b"SIMPLE  =" + b" " * (MAX_PRODUCT_BYTES + 1)
    response = post(archive_url, people["alice"], huge)
    assert response.status_code == 413

    def chunks():  # a chunked upload announces no length: refused before it is read
        yield b"--x\r\n"
        yield b"SIMPLE  =" + b" " * 1024

    chunked = httpx.post(
        f"{archive_url}/products",
        content=chunks(),
        headers={**auth(people["alice"]), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert chunked.status_code == 411


def test_file_names_choose_no_path(archive_url, people, spectrum_bytes, store, ctanb_settings):
    response = post(
        archive_url, people["alice"], spectrum_bytes, filename="../../../../tmp/evil.fits"
    )
    assert response.status_code == 201, response.text
    obs_id = response.json()["obs_id"]
    try:
        (path,) = (
            store.connect()
            .execute("SELECT file_path FROM archive.observation WHERE obs_id = %s", (obs_id,))
            .fetchone()
        )
        assert path == str(ctanb_settings.home / "products" / f"{obs_id}.fits")
        assert obs_id == response.json()["obs_id"] and len(obs_id) == 32 and obs_id.isalnum()
    finally:
        withdraw_all(archive_url, people["alice"], [obs_id])


def test_withdrawing_is_for_the_group_and_leaves_nothing(
    archive_url, tap_url, people, spectrum_bytes, store
):
    created = post(archive_url, people["alice"], spectrum_bytes, data_rights="public").json()
    obs_id, did = created["obs_id"], created["obs_publisher_did"]
    # public: everyone finds it, but only its group may withdraw it
    anyone = tap(tap_url).run_sync(f"SELECT obs_id FROM ivoa.obscore WHERE obs_id = '{obs_id}'")
    assert len(anyone.to_table()) == 1
    for who in ("carol", "bob"):
        refused = httpx.delete(f"{archive_url}/products/{obs_id}", headers=auth(people[who]))
        assert refused.status_code == 404
    assert httpx.delete(f"{archive_url}/products/{obs_id}").status_code == 401
    done = httpx.delete(f"{archive_url}/products/{obs_id}", headers=auth(people["alice"]))
    assert done.status_code == 204
    with store.connect() as conn:
        assert conn.execute(
            "SELECT count(*) FROM archive.observation WHERE obs_id = %s", (obs_id,)
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM archive.prov_entity WHERE obs_publisher_did = %s", (did,)
        ).fetchone() == (0,)


def test_a_product_is_published_once(published, spectrum, archive_url, people, tmp_path):
    again = post(archive_url, people["alice"], fits_bytes(spectrum, tmp_path))
    assert again.status_code == 409 and "already in the archive" in again.json()["detail"]


def test_provenance_cannot_write_another_products_lineage(
    published, fresh, archive_url, people, tmp_path
):
    doc = fresh.provenance
    activity = next(r for r in doc.get_records() if isinstance(r, ProvActivity))
    # claim that alice's published product was made by this activity
    doc.wasGeneratedBy(published.provenance_entity, activity)
    forged = fits_bytes(fresh, tmp_path, doc)
    refused = post(archive_url, people["carol"], forged)
    assert refused.status_code == 400 and "another entity was generated" in refused.json()["detail"]


def test_compressed_images_are_refused(archive_url, people, spectrum_bytes):
    with fits.open(io.BytesIO(spectrum_bytes)) as hdulist:
        hdulist.append(fits.CompImageHDU(np.zeros((512, 512), dtype=np.float32), name="COUNTS"))
        out = io.BytesIO()
        hdulist.writeto(out)
    refused = post(archive_url, people["alice"], out.getvalue())
    assert refused.status_code == 400 and "compressed" in refused.json()["detail"]


def test_the_authenticated_publisher_is_recorded(published, tap_url, people):
    rows = (
        tap(tap_url, people["alice"])
        .run_sync(
            "SELECT w.agent_id, w.role FROM provenance.wasassociatedwith AS w "
            "JOIN provenance.wasgeneratedby AS gen ON gen.activity_id = w.activity_id "
            f"WHERE gen.entity_id = '{published.provenance_entity}' AND w.role = 'publisher'"
        )
        .to_table()
    )
    assert [str(a) for a in rows["agent_id"]] == ["ctanb:user/alice"]


def test_datalink_links_the_product_to_its_runs_for_members_only(published, archive_url, people):
    from astropy.io.votable import parse_single_table

    def links(who):
        response = httpx.get(
            f"{archive_url}/datalink",
            params={"ID": published.obs_publisher_did},
            headers=auth(people[who]),
        )
        assert response.status_code == 200
        return parse_single_table(io.BytesIO(response.content)).to_table()

    member = links("alice")
    semantics = [str(s) for s in member["semantics"]]
    assert semantics.count("#this") == 1
    progenitors = member[np.asarray(semantics) == "#progenitor"]
    runs = sorted(str(url).rsplit("/", 1)[1] for url in progenitors["access_url"])
    assert runs == sorted(published.runs)
    for who in ("carol", "bob", "anonymous"):
        outsider = links(who)
        assert "#progenitor" not in [str(s) for s in outsider["semantics"]], who
        assert "NotFoundFault" in str(outsider["description"][0])
