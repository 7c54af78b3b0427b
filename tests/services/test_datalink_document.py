"""DataLink documents written by astropy: read back by pyvo, escaped once."""

from __future__ import annotations

import io
import warnings

from astropy.io.votable import parse
from pyvo.dal.adhoc import DatalinkResults

from ctanb.services.datalink import Link, links_document

AWKWARD_ID = 'ivo://ctanb/A&B?<run "1">'
AWKWARD_URL = 'https://archive.example/data/A&B/<run "1">?x=1&y=2'


def _read(document: bytes) -> DatalinkResults:
    return DatalinkResults(parse(io.BytesIO(document)))


def test_pyvo_reads_the_links_with_their_text_unchanged():
    document = links_document(
        [
            Link(
                id=AWKWARD_ID,
                semantics="#this",
                access_url=AWKWARD_URL,
                description="DL3 & <event list>",
                content_type="application/fits",
                content_length=2048,
            ),
            Link(id=AWKWARD_ID, semantics="#progenitor", access_url="https://h/data/X/1"),
        ]
    )
    assert b"&amp;amp;" not in document and b'<run "1">' not in document
    rows = list(_read(document))
    assert [row["ID"] for row in rows] == [AWKWARD_ID, AWKWARD_ID]
    assert rows[0]["access_url"] == AWKWARD_URL
    assert rows[0]["description"] == "DL3 & <event list>"
    assert rows[0]["content_length"] == 2048
    assert [row["semantics"] for row in rows] == ["#this", "#progenitor"]


def test_a_fault_has_no_url_and_no_length():
    table = _read(
        links_document([Link(id="ivo://x", semantics="#this", description="NotFoundFault: no")])
    ).to_table()
    assert str(table["description"][0]).startswith("NotFoundFault")
    assert table["access_url"][0] == "" and table["content_length"].mask[0]
    assert table["content_length"].unit == "byte"


def test_an_identifier_of_any_characters_is_written_back_as_asked():
    asked = "ivo://ctanb/Kätzchen?😀"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without a warning from the writer
        document = links_document([Link(id=asked, semantics="#this", description="NotFoundFault")])
    assert [row["ID"] for row in _read(document)] == [asked]
