"""The bookkeeping every analysis shares: on_error, the runs used and skipped, the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctanb.analysis.activity import Activity
from ctanb.analysis.events import RunFile, read_events
from ctanb.errors import DataError


def test_on_error_is_checked_first():
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip', not 'ignore'"):
        Activity("countmap", "ctanb.analysis.countmap:make_count_map", on_error="ignore")


def test_a_bad_run_raises_or_is_listed(crab_files):
    strict = Activity("countmap", "m:f")
    error = DataError("run.fits: no GTI")
    with pytest.raises(DataError) as raised:
        strict.skip("run.fits", error)
    assert raised.value is error
    with pytest.raises(DataError, match="as text"):
        strict.skip("run.fits", "as text")
    lenient = Activity("countmap", "m:f", on_error="skip")
    lenient.skip("a.fits", "a: broken")
    lenient.skip("b.fits", DataError("b: no events"))
    assert [(s.path, s.reason) for s in lenient.skipped] == [
        ("a.fits", "a: broken"),
        ("b.fits", "b: no events"),
    ]
    with pytest.raises(DataError, match=r"^no run could be binned: a: broken; b: no events$"):
        lenient.require_inputs("could be binned")


def test_the_record_holds_the_runs_used_and_the_parameters(crab_files):
    activity = Activity("spectrum", "ctanb.analysis.spectrum:extract_spectrum")
    run = RunFile(Path(crab_files[0]), None, "hess-dl3-dr1")
    events = read_events(run.path)
    activity.use(run, events)
    activity.require_inputs("could be used")  # one run: no error
    record = activity.record({"energy_edges": None})
    (used,) = record.inputs
    assert (used.path, used.obs_id, used.role) == (str(run.path), events.obs_id, "events")
    assert used.checksum == events.checksum and used.checksum.startswith("sha256:")
    assert used.collection == "hess-dl3-dr1"
    assert record.parameters == {"energy_edges": None}
    assert record.started <= record.ended
    assert (record.name, record.entry_point) == (
        "spectrum",
        "ctanb.analysis.spectrum:extract_spectrum",
    )
