"""A hostile DataLink ``ID`` comes back as text in a VOTable, never as markup.

``/datalink?ID=...`` writes the identifier it was asked for into its answer (a
NotFoundFault row for an unknown one). The document is written by astropy's VOTable
writer; these checks go through the running service, as a caller would.
"""

from __future__ import annotations

import io

import httpx
import pytest
from astropy.io.votable import parse
from pyvo.dal.adhoc import DatalinkResults

pytestmark = pytest.mark.slow

HOSTILE = (
    'ivo://ctanb/hess-dl3-dr1?23523"><script>alert(1)</script>',
    "ivo://ctanb/x?]]><!ENTITY e SYSTEM 'file:///etc/passwd'>&e;",
    "ivo://ctanb/x?</TD></TR></TABLEDATA><INFO name='QUERY_STATUS' value='OK'/>",
)


@pytest.mark.parametrize("asked", HOSTILE)
def test_a_hostile_identifier_is_written_back_as_text(archive_url, asked):
    answer = httpx.get(f"{archive_url}/datalink", params={"ID": asked}, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-votable+xml")
    body = answer.content
    assert b"<script>" not in body and b"<!ENTITY" not in body and b"</TD></TR>" not in body
    assert b"root:" not in body  # no entity was expanded
    rows = list(DatalinkResults(parse(io.BytesIO(body))))
    assert [row["ID"] for row in rows] == [asked]
    assert str(rows[0]["description"]).startswith("NotFoundFault")
    assert not rows[0]["access_url"]
