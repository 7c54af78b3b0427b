"""What every analysis product shares: its activity record, checksum and provenance.

:class:`Product` is the one base of ctanb's products (count maps, significance maps,
ON/OFF spectra, light curves) and the interface code showing them relies on:

- ``kind``: ``"countmap"``, ``"significance"``, ``"spectrum"`` or ``"lightcurve"``;
- ``record`` (the :class:`~ctanb.prov.record.ActivityRecord`: inputs, parameters, times),
  ``skipped`` runs, ``product_id``;
- ``provenance`` (the W3C PROV document, drawn as a graph in notebooks), ``checksum()``;
- ``to_fits(path)`` (FITS with a PROVENANCE HDU), ``plot()`` (a bokeh figure),
  ``publish()`` (into the archive).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from ctanb.prov.document import build_document
from ctanb.prov.fits import add_provenance_hdu
from ctanb.prov.record import ActivityRecord
from ctanb.search.publish import publish

__all__ = ["Product", "SkippedRun", "TableProduct"]


@dataclass(frozen=True)
class SkippedRun:
    """A run left out of a stacked product, and why."""

    path: str
    reason: str


@dataclass
class Product:
    """Base of analysis products.

    Attributes
    ----------
    record : ActivityRecord
        How the product was made (inputs, parameters, times).
    skipped : list of SkippedRun
        Runs left out with ``on_error="skip"``.
    product_id : str
        Identifier of this product in its provenance.
    """

    record: ActivityRecord
    skipped: list[SkippedRun] = field(default_factory=list)
    product_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    kind = "product"

    def data_arrays(self) -> list[np.ndarray]:
        """Return the arrays the product's checksum covers (each product says which)."""
        raise NotImplementedError(f"{type(self).__name__} does not say which data it holds")

    def to_fits(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the product as FITS with a PROVENANCE HDU; return the path written."""
        raise NotImplementedError(f"{type(self).__name__} cannot be written as FITS")

    def plot(self) -> Any:
        """Return a bokeh figure of the product."""
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    def checksum(self) -> str:
        """``sha256:<hex>`` of the product's data arrays.

        Each array is hashed as its shape, dtype, and the positions and values of its
        non-zero elements: the same digest for the same array, at a fraction of the cost
        for the mostly empty cubes of event counts (5 ms instead of 50 ms for 500x500x20).
        """
        digest = hashlib.sha256()
        for array in self.data_arrays():
            values = np.ascontiguousarray(array)
            nonzero = np.flatnonzero(values)
            digest.update(f"{values.shape}|{values.dtype.str}|".encode())
            digest.update(nonzero.astype(np.int64).tobytes())
            digest.update(values.ravel()[nonzero].tobytes())
        return "sha256:" + digest.hexdigest()

    def publish(self, **options: Any) -> Any:
        """Publish this product into the archive as a DL4 ObsCore row (proprietary by default).

        Takes the keywords of :func:`ctanb.search.publish.publish` (``group``,
        ``release_date``, ``public``, ``title``, ``client``, ``token``) and returns its
        :class:`~ctanb.search.publish.PublishedProduct`.
        """
        return publish(self, **options)

    @cached_property
    def provenance(self) -> Any:
        """The product's W3C PROV document (shown as a graph in notebooks)."""
        return build_document(
            self.record,
            product_id=self.product_id,
            product_checksum=self.checksum(),
            product_kind=self.kind,
        )


class TableProduct(Product):
    """A product that is a table (spectrum, light curve): FITS with a PROVENANCE HDU."""

    hdu_name = "PRODUCT"

    def to_table(self) -> Any:
        """Return the product as an astropy Table with units."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it is a table")

    def to_fits(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the table (HDU named after the product) with a PROVENANCE HDU."""
        hdulist = fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(self.to_table())])
        hdulist[1].name = self.hdu_name
        add_provenance_hdu(hdulist, self.provenance)
        hdulist.writeto(path, overwrite=overwrite)
        return Path(path)
