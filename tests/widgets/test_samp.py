"""SAMP from the kernel: a hub and a receiver started here get the table by a URL that works."""

from __future__ import annotations

import gzip
import threading
import time

import httpx
import pytest
import pyvo
from astropy.io.votable import parse_single_table

from tests_support import CRAB_QUERY, expected_crab_runs

from ctanb.widgets.samp import SampSender, data_urls

pytestmark = pytest.mark.slow


@pytest.fixture
def samp_hub(tmp_path):
    from pyvo.samp import SAMPHubServer, SAMPIntegratedClient

    hub = SAMPHubServer(web_profile=False, lockfile=str(tmp_path / "samp"), pool_size=4)
    hub.start()
    received: list[tuple[str, dict]] = []
    got = threading.Event()
    receiver = SAMPIntegratedClient(name="receiver")
    receiver.connect(hub_params=hub.params)

    def on_message(private_key, sender_id, msg_id, mtype, params, extra):
        received.append((mtype, params))
        got.set()

    for mtype in ("table.load.votable", "table.load.fits"):
        receiver.bind_receive_notification(mtype, on_message)
    yield hub, received, got
    receiver.disconnect()
    hub.stop()


def test_send_result_table_and_data(samp_hub, tap_url, data_dir):
    hub, received, got = samp_hub
    table = pyvo.dal.TAPService(tap_url).run_sync(CRAB_QUERY).to_table()
    table.meta["adql"] = CRAB_QUERY
    sender = SampSender(hub_params=hub.params)
    try:
        url = sender.send_table(table, name="crab")
        assert got.wait(10), "the receiver got no table.load.votable"
        mtype, params = received[0]
        assert (mtype, params["url"]) == ("table.load.votable", url)
        response = httpx.get(params["url"], timeout=30)
        response.raise_for_status()
        from io import BytesIO

        fetched = parse_single_table(BytesIO(response.content)).to_table()
        assert sorted(str(o) for o in fetched["obs_id"]) == expected_crab_runs(data_dir)

        urls = sender.send_data(table[:2])
        deadline = time.monotonic() + 10
        while len(received) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
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
