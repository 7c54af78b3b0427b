"""Provenance of products: PROV serialisations, FITS read-back, lineage, diff and replay."""

from __future__ import annotations

import json

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from prov.model import ProvDocument

from ctanb.analysis import CountMap, make_count_map
from ctanb.analysis.cache import file_sha256
from ctanb.prov import diff, lineage, replay, serialize, to_svg

CRAB = [23523, 23526]


@pytest.fixture(scope="module")
def files(crab_files):
    return crab_files[:2]


@pytest.fixture(scope="module")
def product(files):
    return make_count_map(
        files,
        skydir=SkyCoord(83.633, 22.014, unit="deg"),
        width=3 * u.deg,
        binsz=0.05 * u.deg,
        energy_edges=[0.5, 5, 100] * u.TeV,
    )


def test_serialisations_round_trip(product):
    doc = product.provenance
    for fmt in ("json", "xml"):
        assert ProvDocument.deserialize(content=serialize(doc, fmt), format=fmt) == doc
    assert serialize(doc, "provn").startswith("document")
    assert to_svg(doc).lstrip().startswith("<?xml") and "<svg" in to_svg(doc)
    assert "<svg" in doc._repr_svg_()


def test_provenance_names_every_input_and_parameter(product, files):
    text = serialize(product.provenance, "json")
    for obs_id, path in zip(CRAB, files, strict=True):
        assert f'"{obs_id}"' in text
        assert file_sha256(path) in text
    for name in ("skydir", "width", "binsz", "proj", "energy_edges", "frame"):
        assert f"ctanb:param_{name}" in text
    assert "0.05 [deg]" in text and "CAR" in text
    first_line = make_count_map.__doc__.strip().splitlines()[0]
    assert json.dumps(first_line)[1:-1] in text  # the ActivityDescription
    found = lineage(product)
    assert [int(f["obs_id"]) for f in found.event_lists] == CRAB
    assert found.software["gammapy"] and found.software["numpy"] == np.__version__


def test_fits_product_keeps_its_provenance(product, tmp_path):
    path = product.to_fits(tmp_path / "cube.fits")
    again = CountMap.read(path)
    assert again.provenance == product.provenance
    np.testing.assert_array_equal(again.map.data, product.map.data)


def test_replay_is_bit_identical(product):
    replayed = replay(product)
    assert replayed.checksum() == product.checksum()
    np.testing.assert_array_equal(replayed.map.data, product.map.data)


def test_diff_finds_exactly_the_changed_parameter(product, files):
    other = make_count_map(
        files,
        skydir=SkyCoord(83.633, 22.014, unit="deg"),
        width=3 * u.deg,
        binsz=0.1 * u.deg,
        energy_edges=[0.5, 5, 100] * u.TeV,
    )
    changes = diff(product, other)
    assert list(changes["parameters"]) == ["binsz"]
    assert changes["parameters"]["binsz"] == (0.05 * u.deg, 0.1 * u.deg)
    assert changes["inputs_only_in_a"] == changes["inputs_only_in_b"] == []
    assert diff(product, product)["parameters"] == {}


def test_count_map_checksum_is_the_digest_of_its_non_zero_bins(product):
    import hashlib

    data = product.map.data
    nonzero = np.flatnonzero(data)
    digest = hashlib.sha256(f"{data.shape}|{data.dtype.str}|".encode())
    digest.update(nonzero.astype(np.int64).tobytes())
    digest.update(data.ravel()[nonzero].tobytes())
    assert product.checksum() == "sha256:" + digest.hexdigest()
