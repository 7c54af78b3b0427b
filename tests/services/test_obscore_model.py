"""The service publishes the neutral ObsCore model (ctanb.obscore) as it is."""

from __future__ import annotations

import pytest
import pyvo

from ctanb.obscore import COLUMNS, PRINCIPAL_COLUMNS

pytestmark = pytest.mark.slow


def test_tap_schema_describes_the_model(tap_url):
    rows = (
        pyvo.dal.TAPService(tap_url)
        .run_sync(
            "SELECT column_name, datatype, unit, ucd, utype, principal, std, indexed "
            "FROM tap_schema.columns WHERE table_name = 'ivoa.obscore' ORDER BY column_index"
        )
        .to_table()
    )
    assert list(rows["column_name"]) == [c.name for c in COLUMNS]
    for row, column in zip(rows, COLUMNS, strict=True):
        assert row["datatype"] == column.datatype
        assert (row["unit"] or "") == column.unit and (row["ucd"] or "") == column.ucd
        assert (row["utype"] or "") == column.utype
        assert bool(row["principal"]) == (column.name in PRINCIPAL_COLUMNS)
        assert bool(row["std"]) == (column.group != "cta")
        assert bool(row["indexed"]) == column.indexed


def test_result_fields_carry_the_model_metadata(tap_url):
    table = (
        pyvo.dal.TAPService(tap_url)
        .run_sync("SELECT TOP 1 s_ra, t_exptime, energy_min FROM ivoa.obscore")
        .votable.get_first_table()
    )
    by_name = {c.name: c for c in COLUMNS}
    for field in table.fields:
        assert str(field.unit) == by_name[field.name].unit
        assert field.ucd == by_name[field.name].ucd
