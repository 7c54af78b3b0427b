"""Remote spectra and light curves: their table and provenance, read as a product.

A spectrum or light-curve job returns a FITS table with its provenance;
:meth:`TableResult.from_bytes` reads it as a :class:`RemoteSpectrum` or a
:class:`RemoteLightCurve`, which have the attributes the Explorer's figures read
(``energy_edges``, ``time_min``, ``n_on``, ``excess``...) and the checksum the worker recorded
in the provenance, so a remote result is shown and compared as a local product is.

These are not :class:`ctanb.analysis.product.Product` subclasses: a local product builds its
provenance from its activity record, a remote one only reads the document the worker wrote.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from astropy import units as u
from astropy.table import Table
from prov.model import ProvDocument

__all__ = ["RemoteLightCurve", "RemoteSpectrum", "TableResult"]


class _Column:
    """A column of the result's table, read as a float array (a read-only attribute)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, result: TableResult | None, owner: type | None = None) -> Any:
        if result is None:
            return self
        return np.asarray(result.table[self.name], dtype=float)


@dataclass
class TableResult:
    """A spectrum or light curve made by a job: its table and its provenance document.

    Attributes
    ----------
    table : astropy.table.Table
        The job's result table.
    provenance : prov.model.ProvDocument
        The provenance the worker wrote beside it.
    """

    table: Table
    provenance: Any

    #: The job type (and product kind) this result comes from.
    kind: ClassVar[str] = ""
    #: The FITS extension holding the table.
    hdu: ClassVar[str] = ""

    n_on = _Column("ON counts per bin.")
    n_off = _Column("OFF counts per bin.")
    alpha = _Column("ON/OFF exposure ratio per bin.")
    excess = _Column("Excess counts per bin.")

    @staticmethod
    def from_bytes(kind: str, fits_bytes: bytes, provenance_json: bytes) -> TableResult:
        """Read a job's FITS result and its PROV-JSON.

        Parameters
        ----------
        kind : {"spectrum", "lightcurve"}
            The job type.
        fits_bytes, provenance_json : bytes
            The job's ``spectrum``/``lightcurve`` and ``provjson`` results.

        Returns
        -------
        RemoteSpectrum or RemoteLightCurve
        """
        if kind not in RESULTS:
            raise ValueError(f"no table result for {kind!r} jobs: one of {', '.join(RESULTS)}")
        result_class = RESULTS[kind]
        table = Table.read(io.BytesIO(fits_bytes), hdu=result_class.hdu)
        doc = ProvDocument.deserialize(content=provenance_json.decode(), format="json")
        return result_class(table, doc)

    def checksum(self) -> str:
        """The product's checksum as the worker recorded it in the provenance."""
        for record in self.provenance.get_records():
            if "ctanb:product/" not in str(record.identifier):
                continue
            for key, value in record.attributes:
                if str(key) == "ctanb:checksum" and str(value).startswith("sha256:"):
                    return str(value)
        raise ValueError("no product checksum in this provenance")


class RemoteSpectrum(TableResult):
    """An ON/OFF spectrum made by a job (read as :class:`ctanb.analysis.OnOffSpectrum` is)."""

    kind = "spectrum"
    hdu = "SPECTRUM"
    on_region = None

    @property
    def energy_edges(self) -> u.Quantity:
        """Energy bin edges."""
        e_min, e_max = self.table["e_min"], self.table["e_max"]
        unit = e_min.unit or u.TeV
        return u.Quantity(np.append(np.asarray(e_min), np.asarray(e_max)[-1]), unit)


class RemoteLightCurve(TableResult):
    """A light curve made by a job (read as :class:`ctanb.analysis.LightCurve` is)."""

    kind = "lightcurve"
    hdu = "LIGHTCURVE"

    time_min = _Column("Bin starts, MJD (TT).")
    time_max = _Column("Bin ends, MJD (TT).")


#: Job type -> the class of its table result.
RESULTS: dict[str, type[TableResult]] = {
    "spectrum": RemoteSpectrum,
    "lightcurve": RemoteLightCurve,
}
