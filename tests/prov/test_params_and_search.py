"""Parameter encoding round trips, search-result provenance and sidecars."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time
from prov.model import ProvDocument
from regions import CircleSkyRegion, PolygonSkyRegion

from ctanb.prov import (
    ActivityRecord,
    InputFile,
    build_document,
    diff,
    lineage,
    read_sidecar,
    search_provenance,
    search_record,
    serialize,
    write_sidecar,
)
from ctanb.prov.params import decode, encode


def test_every_parameter_type_decodes_to_an_equal_value():
    centre = SkyCoord(83.633, 22.014, unit="deg")
    values = {
        "n": 3,
        "x": 0.1,
        "name": "CAR",
        "flag": True,
        "none": None,
        "width": 3 * u.deg,
        "edges": np.geomspace(0.5, 100, 7) * u.TeV,
        "pair": (1 * u.deg, "galactic"),
        "skydir": SkyCoord(184.557, -5.784, unit="deg", frame="galactic"),
        "t0": Time("2004-12-04T22:00:00", scale="utc"),
        "on": CircleSkyRegion(centre, 0.11 * u.deg),
        "poly": PolygonSkyRegion(SkyCoord([83, 84, 84] * u.deg, [21, 21, 23] * u.deg)),
    }
    back = decode(encode(values))
    assert set(back) == set(values)
    for name in ("n", "x", "name", "flag", "none"):
        assert back[name] == values[name] and type(back[name]) is type(values[name])
    assert back["width"] == values["width"]
    np.testing.assert_array_equal(back["edges"].to_value(u.TeV), values["edges"].to_value(u.TeV))
    assert back["pair"] == values["pair"]
    assert back["skydir"].frame.name == "galactic"
    assert back["skydir"].separation(values["skydir"]) == 0 * u.deg
    assert back["t0"] == values["t0"] and back["t0"].scale == "utc"
    assert back["on"].center.separation(centre) < 1e-9 * u.deg
    assert back["on"].radius.to_value(u.deg) == 0.11
    np.testing.assert_allclose(back["poly"].vertices.ra.deg, [83, 84, 84])


def test_search_result_provenance_names_query_and_obs_ids(data_dir):
    obs_index = Table.read(data_dir / "hess-dl3-dr1" / "obs-index.fits.gz")
    crab = obs_index[np.char.startswith(obs_index["OBJECT"].astype(str), "Crab")]
    table = Table({"obs_id": np.asarray(crab["OBS_ID"], dtype=int)})
    adql = "SELECT obs_id FROM ivoa.obscore WHERE target_name LIKE 'Crab%'"
    url = "http://127.0.0.1:8000/tap"
    record = search_record(adql, url, [], parameters={"target": "Crab", "radius": 0.1 * u.deg})
    doc = search_provenance(table, record)
    found = lineage(doc)
    assert found.query["adql"] == adql and found.query["service_url"] == url
    assert found.query["obs_ids"].split() == [str(o) for o in crab["OBS_ID"]]
    text = serialize(doc, "json")
    assert ProvDocument.deserialize(content=text, format="json") == doc
    assert "0.1 [deg]" in text and "Crab" in text
    table.meta["activity"] = record
    other = Table({"obs_id": table["obs_id"][:1]}, meta={"activity": record})
    assert search_provenance(table) != search_provenance(other)


def test_sidecar_and_one_changed_input(data_dir, tmp_path):
    paths = sorted((data_dir / "hess-dl3-dr1" / "data").glob("*.fits.gz"))[:3]
    inputs = [
        InputFile(
            str(p),
            obs_id=int(p.name.split("_")[-1].split(".")[0]),
            checksum="sha256:" + hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in paths
    ]
    started = datetime.now(UTC)
    base = dict(name="countmap", entry_point="ctanb.analysis:make_count_map", started=started)
    params = {"binsz": 0.02 * u.deg}
    a = build_document(
        ActivityRecord(inputs=inputs[:2], parameters=params, **base),
        product_id="a",
        product_checksum=None,
    )
    b = build_document(
        ActivityRecord(inputs=inputs[1:], parameters=params, **base),
        product_id="b",
        product_checksum=None,
    )
    changes = diff(a, b)
    assert changes["parameters"] == {}
    assert changes["inputs_only_in_a"] == [str(paths[0])]
    assert changes["inputs_only_in_b"] == [str(paths[2])]
    sidecar = write_sidecar(tmp_path / "product.csv", a)
    assert sidecar.exists() and read_sidecar(tmp_path / "product.csv") == a


def test_each_parameter_is_a_provenancedm_parameter(data_dir):
    path = data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz"
    parameters = {"binsz": 0.05 * u.deg, "proj": "TAN", "energy_edges": [1, 10] * u.TeV}
    record = ActivityRecord(
        name="countmap",
        entry_point="ctanb.analysis:make_count_map",
        inputs=[InputFile(str(path), obs_id=23523)],
        parameters=parameters,
        started=datetime.now(UTC),
    )
    doc = build_document(record, product_id="p", product_checksum=None)
    found = {}
    for entity in doc.get_records():
        types = {str(t) for t in entity.get_asserted_types()}
        if "voprov:Parameter" in types:
            attrs = {k.localpart: str(v) for k, v in entity.attributes}
            found[attrs["name"]] = (attrs["value"], attrs["unit"])
    assert set(found) == set(parameters)
    assert found["proj"] == ("TAN", "")
    assert found["binsz"][1] == "deg" and float(found["binsz"][0]) == 0.05
    assert found["energy_edges"][1] == "TeV"
    assert [float(v) for v in found["energy_edges"][0].strip("[]").split(",")] == [1, 10]
    used = [r for r in doc.get_records() if r.get_type().localpart == "Usage"]
    assert len(used) == len(parameters) + 1


def test_lineage_reaches_the_archive_query(data_dir):
    from ctanb.prov import ArchiveQuery

    path = data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz"
    query = ArchiveQuery("SELECT * FROM ivoa.obscore", "http://127.0.0.1:8000/tap", (23523,))
    record = ActivityRecord(
        name="countmap",
        entry_point="ctanb.analysis:make_count_map",
        inputs=[InputFile(str(path), obs_id=23523), InputFile(str(path), 23523, "irf:aeff")],
        parameters={},
        started=datetime.now(UTC),
        query=query,
    )
    doc = build_document(record, product_id="p", product_checksum="sha256:0")
    derivations = [r for r in doc.get_records() if r.get_type().localpart == "Derivation"]
    pairs = {tuple(q.localpart.split("/")[0] for q in r.args[:2]) for r in derivations}
    assert ("file", "query") in pairs and ("product", "file") in pairs
    assert ("product", "query") in pairs
    found = lineage(doc)
    assert found.query["obs_ids"] == "23523" and found.query["service_url"] == query.service_url
    assert [f["role"] for f in found.irfs] == ["irf:aeff"]
    assert doc._repr_html_().startswith("<svg")
