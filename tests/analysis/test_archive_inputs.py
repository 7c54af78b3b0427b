"""Analyses on obs_ids: files fetched from the archive (once), with the caller's rights."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from ctanb.analysis import make_count_map
from ctanb.errors import DataError

pytestmark = pytest.mark.slow


def test_obs_ids_from_the_archive_equal_local_files(archive_url, data_dir):
    kwargs = {"skydir": SkyCoord(83.633, 22.014, unit="deg"), "width": 3 * u.deg}
    remote = make_count_map(["23523", "23526"], archive=archive_url, **kwargs)
    local = make_count_map(
        [
            data_dir / "hess-dl3-dr1" / "data" / f"hess_dl3_dr1_obs_id_{o:06d}.fits.gz"
            for o in (23523, 23526)
        ],
        **kwargs,
    )
    np.testing.assert_array_equal(remote.map.data, local.map.data)
    assert remote.record.inputs[0].path.startswith(archive_url + "/data/")


def test_proprietary_runs_need_the_owners_rights(archive_url):
    with pytest.raises(DataError, match="110380 not in the archive"):
        make_count_map(["110380"], archive=archive_url)
