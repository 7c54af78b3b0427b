"""Remote spectra and light curves: their table and provenance, read as a product.

A spectrum or light-curve job returns a FITS table with its provenance; :class:`TableResult`
gives it the attributes the Explorer's figures read (``energy_edges``, ``time_min``,
``n_on``, ``excess``...) and the checksum the worker recorded in the provenance, so a remote
result is shown and compared as a local product is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy import units as u
from astropy.table import Table

__all__ = ["TableResult"]

_HDUS = {"spectrum": "SPECTRUM", "lightcurve": "LIGHTCURVE"}


@dataclass
class TableResult:
    """A spectrum or light curve made by a job: its table and its provenance document."""

    kind: str
    table: Table
    provenance: Any

    @classmethod
    def from_bytes(cls, kind: str, fits_bytes: bytes, provenance_json: bytes) -> TableResult:
        """Read a job's FITS result and its PROV-JSON."""
        from prov.model import ProvDocument

        table = Table.read(io.BytesIO(fits_bytes), hdu=_HDUS[kind])
        doc = ProvDocument.deserialize(content=provenance_json.decode(), format="json")
        return cls(kind, table, doc)

    def checksum(self) -> str:
        """The product's checksum as the worker recorded it in the provenance."""
        for record in self.provenance.get_records():
            if "ctanb:product/" not in str(record.identifier):
                continue
            for key, value in record.attributes:
                if str(key) == "ctanb:checksum" and str(value).startswith("sha256:"):
                    return str(value)
        raise ValueError("no product checksum in this provenance")

    def _column(self, name: str) -> np.ndarray:
        return np.asarray(self.table[name], dtype=float)

    @property
    def n_on(self) -> np.ndarray:
        """ON counts per bin."""
        return self._column("n_on")

    @property
    def n_off(self) -> np.ndarray:
        """OFF counts per bin."""
        return self._column("n_off")

    @property
    def alpha(self) -> np.ndarray:
        """ON/OFF exposure ratio per bin."""
        return self._column("alpha")

    @property
    def excess(self) -> np.ndarray:
        """Excess counts per bin."""
        return self._column("excess")

    @property
    def energy_edges(self) -> u.Quantity:
        """Energy bin edges (spectra)."""
        e_min, e_max = self.table["e_min"], self.table["e_max"]
        unit = e_min.unit or u.TeV
        return u.Quantity(np.append(np.asarray(e_min), np.asarray(e_max)[-1]), unit)

    @property
    def time_min(self) -> np.ndarray:
        """Bin starts, MJD (TT) (light curves)."""
        return self._column("time_min")

    @property
    def time_max(self) -> np.ndarray:
        """Bin ends, MJD (TT) (light curves)."""
        return self._column("time_max")

    on_region = None
