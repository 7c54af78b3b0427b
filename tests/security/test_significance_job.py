"""The significance job type: no path, no code and no other group's runs through it."""

from __future__ import annotations

import pytest

from ctanb.jobs import JobClient, JobError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bob(archive_url, tokens) -> JobClient:
    return JobClient(archive_url, token=tokens["bob"])


def test_parameters_outside_their_declaration_are_refused(bob):
    for parameters, name in [
        ({"exclusion": "/etc/passwd"}, "exclusion"),
        ({"exclusion": "mask:sha256:00"}, "exclusion"),
        ({"safe_mask": "__import__('os')"}, "safe_mask"),
        ({"r_in": -1}, "r_in"),
        ({"correlation_radius": 1e9}, "correlation_radius"),
    ]:
        with pytest.raises(JobError, match=name):
            bob.submit("significance", obs_ids=[23523], **parameters)


def test_runs_of_another_group_are_not_analysed(bob):
    # 110380 is a CTA 1DC run: cta-consortium's, and bob is in no group
    with pytest.raises(JobError, match="not yours to read"):
        bob.wait(bob.submit("significance", obs_ids=[110380], width=2, binsz=0.1), timeout=120)
