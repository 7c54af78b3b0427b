"""Provenance inside FITS products (an HDU named PROVENANCE) and beside other files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from astropy.io import fits
from prov.model import ProvDocument

from ctanb import __version__
from ctanb.prov.document import Provenance, serialize

__all__ = ["add_provenance_hdu", "read_provenance_hdu", "read_sidecar", "write_sidecar"]

EXTNAME = "PROVENANCE"


def add_provenance_hdu(hdulist: fits.HDUList, doc: ProvDocument) -> fits.HDUList:
    """Add the PROV-JSON of ``doc`` as a table HDU named PROVENANCE, and CREATOR/DATE keys."""
    text = serialize(doc, "json")
    column = fits.Column(name="PROV_JSON", format=f"{max(1, len(text))}A", array=np.array([text]))
    hdu = fits.BinTableHDU.from_columns([column], name=EXTNAME)
    hdu.header["HDUCLASS"] = ("W3C-PROV", "provenance of this file's product")
    hdu.header["CONTENT"] = ("PROV-JSON", "https://www.w3.org/submissions/prov-json/")
    if EXTNAME in hdulist:
        del hdulist[EXTNAME]
    hdulist.append(hdu)
    primary = hdulist[0].header
    primary["CREATOR"] = (f"ctanb {__version__}", "software that made this product")
    primary["DATE"] = (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "file creation (UTC)")
    primary["CTANBVER"] = (__version__, "ctanb version")
    return hdulist


def read_provenance_hdu(hdulist: fits.HDUList) -> Provenance | None:
    """Return the provenance stored in a PROVENANCE HDU, or None when there is none."""
    if EXTNAME not in hdulist:
        return None
    text = hdulist[EXTNAME].data["PROV_JSON"][0]
    text = text.decode() if isinstance(text, bytes) else str(text)
    doc = ProvDocument.deserialize(content=text, format="json")
    result = Provenance()
    result.update(doc)
    return result


def write_sidecar(path: str | Path, doc: ProvDocument) -> Path:
    """Write ``<path>.prov.json`` beside a product that is not FITS."""
    sidecar = Path(f"{path}.prov.json")
    sidecar.write_text(serialize(doc, "json"))
    return sidecar


def read_sidecar(path: str | Path) -> Provenance | None:
    """Read the provenance written by :func:`write_sidecar`, if any."""
    sidecar = Path(f"{path}.prov.json")
    if not sidecar.exists():
        return None
    result = Provenance()
    result.update(ProvDocument.deserialize(content=sidecar.read_text(), format="json"))
    return result
