"""One ObsCore column: its name and the metadata every side publishes or reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Column", "Group"]

#: ``mandatory`` and ``optional`` are ObsCore 1.1's; ``cta`` is the CTA extension. The
#: service's other tables (ProvTAP, TAP_SCHEMA) use the same shape: ``mandatory`` for a
#: standard column (TAP_SCHEMA ``std`` 1), ``cta`` for an extension.
Group = Literal["mandatory", "optional", "cta"]


@dataclass(frozen=True, kw_only=True)
class Column:
    """One ObsCore column, as TAP_SCHEMA, result VOTables, the search form and the docs see it.

    The one column shape of the archive: the service's ProvTAP and TAP_SCHEMA tables are
    described with it too, and the SQL side (types, indexes) is keyed on it
    (:mod:`ctanb.services.obscore`).

    Parameters
    ----------
    name : str
        Column name.
    group : {"mandatory", "optional", "cta"}
        ObsCore 1.1 mandatory, ObsCore 1.1 optional, or the CTA extension.
    datatype : str
        VOTable/TAP datatype (``char``, ``short``, ``int``, ``long``, ``double``).
    unit, ucd, utype, xtype : str
        VOTable metadata (empty when there is none).
    description : str
        What the column means.
    source : str
        Where ingestion takes the value from (documentation).
    indexed : bool
        Whether the archive indexes the column (TAP_SCHEMA ``indexed``).

    Examples
    --------
    >>> from ctanb.obscore import COLUMN_BY_NAME
    >>> COLUMN_BY_NAME["s_ra"].unit
    'deg'
    """

    name: str
    group: Group
    datatype: str
    unit: str = ""
    ucd: str = ""
    utype: str = ""
    xtype: str = ""
    description: str = ""
    source: str = ""
    indexed: bool = False

    @property
    def arraysize(self) -> str | None:
        """VOTable arraysize: ``*`` for strings."""
        return "*" if self.datatype == "char" else None
