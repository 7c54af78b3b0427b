"""The ObsCore model of DL3 event lists, shared by the archive service and its clients.

Neutral: no database, no web framework. The service builds its SQL table and TAP_SCHEMA
from it (:mod:`ctanb.services.obscore`); the search functions and widgets use it to check
column names and read units; the documentation's column table is generated from it.
"""

from ctanb.obscore.column import Column, Group
from ctanb.obscore.cta import CTA
from ctanb.obscore.mandatory import MANDATORY
from ctanb.obscore.optional import OPTIONAL

__all__ = [
    "COLUMNS",
    "COLUMN_BY_NAME",
    "PRINCIPAL_COLUMNS",
    "PROTOTYPE_COLUMNS",
    "RESULT_COLUMNS",
    "TABLE",
    "VIEW",
    "Column",
    "Group",
]

#: The published ObsCore table, and the same table under the CTA prototype's name.
TABLE = "ivoa.obscore"
VIEW = "cta.vo_obscore"

#: Every column, in the table's order: ObsCore mandatory, ObsCore optional, CTA.
COLUMNS: tuple[Column, ...] = (*MANDATORY, *OPTIONAL, *CTA)
COLUMN_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}

#: The columns the CTA Data Distiller prototype showed.
PROTOTYPE_COLUMNS: tuple[str, ...] = (
    "dataproduct_type",
    "obs_collection",
    "obs_id",
    "target_name",
    "s_ra",
    "s_dec",
)

#: Columns TAP_SCHEMA marks ``principal`` (what a client shows first).
PRINCIPAL_COLUMNS: tuple[str, ...] = (
    *PROTOTYPE_COLUMNS,
    "t_min",
    "t_max",
    "access_url",
    "energy_min",
    "energy_max",
    "instrument_name",
)

#: A search's default result columns: the prototype's, then what an analysis needs.
RESULT_COLUMNS: tuple[str, ...] = (
    *PROTOTYPE_COLUMNS,
    "s_region",
    "t_min",
    "t_max",
    "t_exptime",
    "energy_min",
    "energy_max",
    "instrument_name",
    "data_rights",
    "access_url",
    "access_format",
    "access_estsize",
    "obs_publisher_did",
)
