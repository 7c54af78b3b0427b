"""Fuzzing every operation of the service's OpenAPI schema as an anonymous caller.

schemathesis generates requests from ``/openapi.json`` (valid ones and edge cases of every
parameter); the running service must answer none of them with a 5xx, and no answer may hold
anything of the proprietary runs (their obs_ids as values, their file paths) or any file
path of the store.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CTANB_SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def secrets_of_the_store(store) -> tuple[set[str], set[str]]:
    with store.connection() as conn:
        ids = {
            r[0]
            for r in conn.execute(
                "SELECT obs_id FROM archive.observation WHERE data_rights = 'proprietary'"
            )
        }
        paths = {r[0] for r in conn.execute("SELECT file_path FROM archive.observation")}
    assert ids and paths
    return ids, paths


def test_no_server_error_and_no_secret(archive_url, secrets_of_the_store):
    ids, paths = secrets_of_the_store
    schema = schemathesis.openapi.from_url(archive_url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # TAP, VOSI, data, DataLink, UWS ...
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(timeout=60)
            where = f"{case.method} {case.formatted_path} {case.query or ''}"
            if response.status_code >= 500:
                failures.append(f"{response.status_code} for {where}: {response.content[:200]!r}")
            body = response.content.decode(errors="replace")  # FITS tiles too
            for obs_id in ids:
                if any(f in body for f in (f">{obs_id}<", f'"{obs_id}"', f"/{obs_id}")):
                    failures.append(f"proprietary run {obs_id} in the answer to {where}")
            failures.extend(f"a file path in the answer to {where}" for p in paths if p in body)

        check()
    assert not failures, "\n".join(failures[:20])
