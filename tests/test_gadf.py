"""The GADF reader: one time convention for ingestion and analysis, checked against gammapy.

Small DL3 files are written here with astropy (the same run counted in seconds and in
days, with the epoch as one keyword or two, in TT or UTC); the real H.E.S.S. DR1 runs are
compared with gammapy's own reading.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.time import Time

from ctanb.analysis.events import RunEvents, read_events
from ctanb.analysis.gti import good_time_mask
from ctanb.config import get_settings
from ctanb.errors import DataError
from ctanb.gadf import Keywords, read_header, read_run_header, time_reference
from ctanb.services.ingest import EventFile, load_defaults, observation_row

HESS_RUN = get_settings().data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz"
MJDREFI, MJDREFF = 51910, 7.428703703703703e-4  # H.E.S.S. DR1's epoch (TT)
TSTART, TSTOP = 123890826.0, 123892513.0  # run 23523, s
ONE_MICROSECOND = 1e-6 * u.s


def write_run(path, unit="s", *, epoch=None, timesys="TT", gti_epoch=None, time_unit=None):
    """A small run (five events, two GTIs) whose times are counted in ``unit``.

    ``time_unit``: the TIME column's own unit (TUNIT), when not ``unit`` (TIMEUNIT).
    """
    per_unit = (1 * u.Unit(unit)).to_value(u.s)
    per_time_unit = (1 * u.Unit(time_unit or unit)).to_value(u.s)
    epoch = {"MJDREFI": MJDREFI, "MJDREFF": MJDREFF} if epoch is None else epoch
    seconds = TSTART + np.array([1.5, 400.25, 700.0, 1200.125, 1686.75])
    events = fits.BinTableHDU.from_columns(
        [
            fits.Column("TIME", "D", unit=time_unit or unit, array=seconds / per_time_unit),
            fits.Column("RA", "E", unit="deg", array=np.full(5, 83.6)),
            fits.Column("DEC", "E", unit="deg", array=np.full(5, 22.0)),
            fits.Column("ENERGY", "E", unit="TeV", array=[0.5, 1.0, 2.0, 4.0, 8.0]),
        ],
        name="EVENTS",
    )
    header = {"OBS_ID": 23523, "RA_PNT": 83.63, "DEC_PNT": 21.51, "OBJECT": "Crab Nebula"}
    header |= {"TSTART": TSTART / per_unit, "TSTOP": TSTOP / per_unit, "LIVETIME": 1581.7}
    header |= {**epoch, "TIMESYS": timesys, "TIMEUNIT": unit, "TIMEREF": "local"}
    events.header.update(header)
    gti = fits.BinTableHDU.from_columns(
        [
            fits.Column("START", "D", unit=unit, array=np.array([TSTART, TSTART + 900]) / per_unit),
            fits.Column("STOP", "D", unit=unit, array=np.array([TSTART + 600, TSTOP]) / per_unit),
        ],
        name="GTI",
    )
    gti.header.update({**(gti_epoch or epoch), "TIMESYS": timesys, "TIMEUNIT": unit})
    fits.HDUList([fits.PrimaryHDU(), events, gti]).writeto(path)
    return path


def event_times(path):
    with fits.open(path) as hdulist:
        run = read_run_header(hdulist, where=str(path))
        return run, run.time_reference.to_time(hdulist["EVENTS"].data["TIME"])


def assert_same_times(a, b, tolerance=ONE_MICROSECOND):
    assert np.max(np.abs((a - b).to(u.s))) < tolerance


def test_a_run_counted_in_days_has_the_times_of_the_run_in_seconds(tmp_path):
    seconds, s_times = event_times(write_run(tmp_path / "s.fits"))
    days, d_times = event_times(write_run(tmp_path / "d.fits", "d"))
    assert days.time_reference.unit == u.d and seconds.time_reference.unit == u.s
    assert_same_times(d_times, s_times)
    assert_same_times(days.start, seconds.start)
    assert_same_times(days.stop, seconds.stop)
    assert days.start.isot == "2004-12-04T22:08:10.184"  # the header's DATE-OBS, TIME-OBS
    assert_same_times(
        days.time_reference.to_time(days.gti_stop),
        seconds.time_reference.to_time(seconds.gti_stop),
    )


def test_the_time_columns_own_unit_wins_over_timeunit(tmp_path):
    seconds, s_times = event_times(write_run(tmp_path / "s.fits"))
    mixed, m_times = event_times(write_run(tmp_path / "m.fits", "d", time_unit="s"))
    assert mixed.time_reference.unit == u.s  # TSTART, TSTOP and the GTI converted to it
    assert_same_times(m_times, s_times)
    assert mixed.tstart == pytest.approx(TSTART, abs=1e-6)
    np.testing.assert_allclose(mixed.gti_stop, seconds.gti_stop, rtol=0, atol=1e-6)


def test_analysis_and_ingest_read_days_as_seconds(tmp_path):
    s_file, d_file = write_run(tmp_path / "s.fits"), write_run(tmp_path / "d.fits", "d")
    s_events = read_events(s_file, cache=tmp_path / "cache")
    d_events = read_events(d_file, cache=tmp_path / "cache")
    assert isinstance(d_events, RunEvents)
    mjd_s = s_events.time_reference.to_mjd(s_events.time)
    np.testing.assert_allclose(d_events.time_reference.to_mjd(d_events.time), mjd_s, atol=1e-11)
    assert 1433 < d_events.time.min() < d_events.time.max() < 1435  # days since MJDREF
    # the GTI gap (600 s to 900 s after the start) and a bad interval select the same events
    bad = Time(mjd_s[[1, 3]], format="mjd", scale="tt").reshape(1, 2)
    s_mask = good_time_mask(s_events.time, s_events.meta, bad)
    d_mask = good_time_mask(d_events.time, d_events.meta, bad)
    np.testing.assert_array_equal(s_mask, [True, False, False, False, True])
    np.testing.assert_array_equal(d_mask, s_mask)
    defaults = load_defaults()
    s_row = observation_row(EventFile(s_file), defaults, collection="TEST")
    d_row = observation_row(EventFile(d_file), defaults, collection="TEST")
    assert s_row["t_min"] == MJDREFI + MJDREFF + TSTART / 86400.0
    assert d_row["t_min"] == pytest.approx(s_row["t_min"], abs=1e-11)
    assert d_row["t_max"] == pytest.approx(s_row["t_max"], abs=1e-11)


def test_one_mjdref_keyword_or_an_integer_and_a_fraction():
    split = time_reference({"MJDREFI": MJDREFI, "MJDREFF": MJDREFF, "TIMESYS": "TT"})
    single = time_reference({"MJDREF": MJDREFI + MJDREFF, "TIMESYS": "TT"})
    values = np.array([0.0, TSTART, TSTOP])
    assert_same_times(single.to_time(values), split.to_time(values))
    np.testing.assert_allclose(single.to_mjd(values), split.to_mjd(values), rtol=0, atol=1e-11)
    with pytest.raises(DataError, match="needs MJDREFI and MJDREFF \\(or MJDREF\\)"):
        time_reference({"TIMESYS": "TT", "TIMEUNIT": "s"}, where="run.fits")


def test_utc_and_tt_differ_by_the_leap_seconds():
    tt = time_reference({"MJDREFI": MJDREFI, "MJDREFF": MJDREFF, "TIMESYS": "TT"})
    utc = time_reference({"MJDREFI": MJDREFI, "MJDREFF": MJDREFF, "TIMESYS": "UTC"})
    # TT - UTC = 32.184 s + TAI - UTC, which was 32 s (leap seconds) from 1999 to 2005
    assert (utc.to_time(TSTART) - tt.to_time(TSTART)).to_value(u.s) == pytest.approx(64.184)
    # the elapsed seconds of a UTC file count the leap seconds of 2005-12-31 and 2008-12-31
    later = Time("2009-06-01T00:00:00", scale="utc")
    elapsed_utc, elapsed_tt = utc.from_time(later), tt.from_time(later)
    assert elapsed_tt - elapsed_utc == pytest.approx(64.184, abs=1e-5)
    naive = (later.mjd - utc.mjdref) * 86400  # UTC days taken as 86400 s each
    assert elapsed_utc - naive == pytest.approx(2.0, abs=1e-5)
    assert utc.from_time(utc.to_time(elapsed_utc)) == pytest.approx(elapsed_utc, abs=1e-6)
    assert utc.to_mjd(elapsed_utc) == pytest.approx(later.tt.mjd, abs=1e-11)


def test_a_gti_with_an_epoch_of_its_own_is_counted_from_the_events_epoch(tmp_path):
    shifted = {"MJDREFI": MJDREFI + 1, "MJDREFF": MJDREFF}  # one day later: values 86400 s less
    path = write_run(tmp_path / "gti.fits", gti_epoch={"MJDREF": MJDREFI + MJDREFF})
    other = write_run(tmp_path / "other.fits", gti_epoch=shifted)
    run, moved = read_header(path), read_header(other)
    np.testing.assert_allclose(run.gti_start, [TSTART, TSTART + 900], rtol=0, atol=1e-6)
    np.testing.assert_allclose(moved.gti_start, run.gti_start + 86400, rtol=0, atol=1e-6)


def test_missing_or_wrong_keywords_say_what_to_write(tmp_path):
    path = write_run(tmp_path / "run.fits")
    with fits.open(path) as hdulist:
        header = hdulist["EVENTS"].header
        for key, message in [
            ("OBS_ID", "no OBS_ID in the EVENTS header: add the run number"),
            ("RA_PNT", "add the pointing position in degrees"),
        ]:
            value = header[key]
            del header[key]
            with pytest.raises(DataError, match=message):
                read_run_header(hdulist, where="run.fits")
            header[key] = value
        # an obs-index row fills in what the header lacks
        del header["OBS_ID"]
        assert read_run_header(hdulist, index_row={"OBS_ID": 7}).obs_id == 7
    with pytest.raises(DataError, match="TIMESYS = 'MARS' is not a time scale"):
        time_reference({"MJDREF": 51910.0, "TIMESYS": "MARS"})
    with pytest.raises(DataError, match="TIMEUNIT = 'm' is not a unit of time: use 's' or 'd'"):
        time_reference({"MJDREF": 51910.0, "TIMEUNIT": "m"})
    keys = Keywords({"A": " ", "B": np.float64("nan")}, {"A": "x ", "B": 2.0})
    assert (keys["A"], keys["B"], keys.get("C")) == ("x", 2.0, None)


def test_a_hess_run_reads_as_gammapy_reads_it():
    from gammapy.data import GTI, EventList  # gammapy takes seconds to import

    run, times = event_times(HESS_RUN)
    expected = EventList.read(HESS_RUN).time
    assert len(times) == len(expected) > 1000
    assert_same_times(times, expected)
    with fits.open(HESS_RUN) as hdulist:
        mjd = run.time_reference.to_mjd(hdulist["EVENTS"].data["TIME"])
    assert np.max(np.abs(mjd - expected.tt.mjd)) * 86400 < 1e-6
    gti = GTI.read(HESS_RUN)
    assert_same_times(run.time_reference.to_time(run.gti_start), gti.time_start)
    assert_same_times(run.time_reference.to_time(run.gti_stop), gti.time_stop)
    assert run.obs_id == 23523 and run.pointing.dec.deg == pytest.approx(21.514444444444)
    assert run.livetime is not None and run.livetime.to_value(u.s) == 1581.73681640625
    assert (run.telescope, run.target) == ("HESS", "Crab Nebula")
