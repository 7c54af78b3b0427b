"""What every analysis product shares: its activity record, checksum and provenance."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ctanb.prov.record import ActivityRecord

__all__ = ["Product", "SkippedRun"]


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
        """Return the arrays the product's checksum covers."""
        raise NotImplementedError

    def checksum(self) -> str:
        """``sha256:<hex>`` of the product's data arrays."""
        digest = hashlib.sha256()
        for array in self.data_arrays():
            digest.update(np.ascontiguousarray(array).tobytes())
        return "sha256:" + digest.hexdigest()

    @cached_property
    def provenance(self) -> Any:
        """The product's W3C PROV document (shown as a graph in notebooks)."""
        from ctanb.prov import build_document

        return build_document(
            self.record,
            product_id=self.product_id,
            product_checksum=self.checksum(),
            product_kind=self.kind,
        )
