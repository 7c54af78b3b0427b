"""Each analysis test module gets a columnar event cache of its own (a fresh folder)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def own_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CTANB_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def gti_parts(observation):
    """gammapy's own restriction of a run to its GTIs: one observation per interval."""
    from astropy.time import Time

    gti = observation.gti
    return [
        observation.select_time(Time([start, stop]))
        for start, stop in zip(gti.time_start, gti.time_stop, strict=True)
    ]


@pytest.fixture(scope="session")
def in_gti():
    """Turn gammapy observations into their GTI-restricted parts (as ctanb counts)."""

    def restrict(observations):
        return [part for observation in observations for part in gti_parts(observation)]

    return restrict
