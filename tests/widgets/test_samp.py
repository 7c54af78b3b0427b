"""SAMP from the kernel: a hub and a receiver started here get the table by a URL that works."""

from __future__ import annotations

import gzip

import httpx
import pytest
import pyvo
from astropy.io.votable import parse_single_table

from ctanb.widgets.samp import SampSender, data_urls

from tests_support import CRAB_QUERY, expected_crab_runs

pytestmark = pytest.mark.slow


def test_send_result_table_and_data(samp_hub, tap_url, data_dir):
    samp_hub.received.clear()
    table = pyvo.dal.TAPService(tap_url).run_sync(CRAB_QUERY).to_table()
    table.meta["adql"] = CRAB_QUERY
    sender = SampSender(hub_params=samp_hub.hub.params)
    try:
        url = sender.send_table(table, name="crab")
        received = samp_hub.wait(1)
        assert received, "the receiver got no table.load.votable"
        mtype, params = received[0]
        assert (mtype, params["url"]) == ("table.load.votable", url)
        response = httpx.get(params["url"], timeout=30)
        response.raise_for_status()
        from io import BytesIO

        fetched = parse_single_table(BytesIO(response.content)).to_table()
        assert sorted(str(o) for o in fetched["obs_id"]) == expected_crab_runs(data_dir)

        urls = sender.send_data(table[:2])
        received = samp_hub.wait(3)
        assert sorted(p["url"] for m, p in received[1:]) == sorted(urls)
        assert {m for m, p in received[1:]} == {"table.load.fits"}
        events = httpx.get(urls[0], timeout=30)
        assert events.status_code == 200
        content = events.content
        assert (gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content)[
            :6
        ] == b"SIMPLE"
    finally:
        sender.close()


def test_data_urls_fall_back_to_service(ctanb_settings):
    from astropy.table import Table

    rows = Table({"obs_collection": ["HESS-DL3-DR1"], "obs_id": ["23523"]})
    assert data_urls(rows) == [("23523", f"{ctanb_settings.service_url}/data/HESS-DL3-DR1/23523")]


def test_no_hub_is_a_clear_error(tmp_path, monkeypatch):
    from ctanb.errors import ConfigurationError

    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{tmp_path}/missing")
    monkeypatch.setenv("HOME", str(tmp_path))
    from astropy.table import Table

    with pytest.raises(ConfigurationError, match="no SAMP hub"):
        SampSender().send_table(Table({"a": [1]}))
