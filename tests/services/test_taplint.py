"""STILTS taplint, the IVOA's TAP validator, against the running service."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow


def test_taplint_reports_no_errors(tap_url):
    stilts = shutil.which("stilts")
    assert stilts, "STILTS is missing: run `make setup` (Debian package stilts)"
    result = subprocess.run(
        [stilts, "taplint", f"tapurl={tap_url}", "maxrepeat=3", "report=EWFS"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith("Totals")]
    print(
        "\n".join(
            line
            for line in result.stdout.splitlines()
            if line.startswith(("E-", "F-", "S-", "Totals"))
        )
    )
    assert summary, result.stdout[-3000:] + result.stderr[-3000:]
    errors = int(re.search(r"Errors: (\d+)", summary[0]).group(1))
    warnings = int(re.search(r"Warnings: (\d+)", summary[0]).group(1))
    assert errors == 0, "\n".join(x for x in result.stdout.splitlines() if x.startswith("E-"))
    assert warnings == 0, "\n".join(x for x in result.stdout.splitlines() if x.startswith("W-"))
