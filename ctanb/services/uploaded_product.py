"""What the service learns from an uploaded FITS product before publishing it.

A product ctanb made holds one product HDU (a map or cube, ``SPECTRUM`` or
``LIGHTCURVE``) and a ``PROVENANCE`` HDU saying which archive runs it used.
:func:`inspect_product` checks both and describes the product as an
:class:`UploadedProduct`; anything else is refused with a 400 saying what is wrong.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Table
from fastapi import HTTPException

from ctanb.prov.fits import read_provenance_hdu
from ctanb.services import provtap

__all__ = ["MAP_HDUS", "UploadedProduct", "bad_request", "inspect_product"]

#: Map HDUs of a product, in the order that names it (a significance map also holds COUNTS)
MAP_HDUS = ("SQRT_TS", "SIGNIFICANCE", "EXCESS", "FLUX", "COUNTS")
_MAP_KINDS = {"SQRT_TS": "significance", "SIGNIFICANCE": "significance", "COUNTS": "countmap"}


@dataclass
class UploadedProduct:
    """What the service learnt from an uploaded product (the server's record of it).

    Parameters
    ----------
    dataproduct_type : str
        ObsCore ``dataproduct_type``: ``image``, ``cube``, ``spectrum`` or ``timeseries``.
    kind : str
        What ctanb calls it: ``countmap``, ``significance``, ``spectrum``, ``lightcurve`` ...
    doc : prov.model.ProvDocument
        Its provenance, read from the ``PROVENANCE`` HDU.
    entity_id, activity_id : str
        The product's and its activity's identifiers in that provenance.
    runs : list of (str or None, str)
        ``(collection, obs_id)`` of the runs it used.
    energy : (float, float), optional
        Energy range, TeV.
    time : (float, float), optional
        Time range, MJD.
    centre : (float, float, float), optional
        Map centre RA, Dec and width, deg.
    shape : dict
        ObsCore ``s_xel1``, ``s_xel2``, ``em_xel``, ``t_xel`` and ``event_count``, as known.
    """

    dataproduct_type: str
    kind: str
    doc: Any = None
    entity_id: str = ""
    runs: list[tuple[str | None, str]] = field(default_factory=list)
    activity_id: str = ""
    energy: tuple[float, float] | None = None
    time: tuple[float, float] | None = None
    centre: tuple[float, float, float] | None = None
    shape: dict[str, int] = field(default_factory=dict)


def bad_request(message: str, status: int = 400) -> HTTPException:
    """The HTTP error refusing a publication, with the message saying what to do."""
    return HTTPException(status, message)


#: Table products: HDU -> (dataproduct_type, kind, columns of its range, ObsCore bins).
_TABLE_PRODUCTS = {
    "SPECTRUM": ("spectrum", "spectrum", ("e_min", "e_max"), "em_xel"),
    "LIGHTCURVE": ("timeseries", "lightcurve", ("time_min", "time_max"), "t_xel"),
}


def _table_product(hdulist: fits.HDUList, hdu: str) -> UploadedProduct:
    """A spectrum (its energy range, TeV) or a light curve (its time range, MJD)."""
    dataproduct_type, kind, (low, high), bins = _TABLE_PRODUCTS[hdu]
    table = Table.read(hdulist[hdu])
    span = (float(np.min(table[low])), float(np.max(table[high])))
    product = UploadedProduct(dataproduct_type, kind)
    if hdu == "SPECTRUM":
        product.energy = span
    else:
        product.time = span
    product.shape.update({bins: len(table), "event_count": int(np.sum(table["n_on"]))})
    return product


def _map(hdulist: fits.HDUList, names: set[str]) -> UploadedProduct:
    # gammapy takes ~1.8 s to import beside the service; only map products need it
    from gammapy.maps import Map

    hdu = next(n for n in MAP_HDUS if n in names)
    image = Map.from_hdulist(hdulist, hdu=hdu)
    geom = image.geom
    width = float(np.max(geom.width.to_value("deg")))
    centre = geom.center_skydir.icrs
    energy_axes = [a for a in geom.axes if a.name == "energy"]
    cube = any(a.nbin > 1 for a in geom.axes)
    product = UploadedProduct(
        "cube" if cube else "image",
        _MAP_KINDS.get(hdu, hdu.lower()),
        centre=(float(centre.ra.deg), float(centre.dec.deg), width),
    )
    if energy_axes:
        edges = energy_axes[0].edges.to_value("TeV")
        product.energy = (float(edges[0]), float(edges[-1]))
        product.shape["em_xel"] = energy_axes[0].nbin
    ny, nx = image.data.shape[-2:]
    product.shape.update(s_xel1=int(nx), s_xel2=int(ny))
    if "COUNTS" in names:
        counts = image if hdu == "COUNTS" else Map.from_hdulist(hdulist, hdu="COUNTS")
        product.shape["event_count"] = int(np.nansum(counts.data))
    return product


def _describe(hdulist: fits.HDUList) -> UploadedProduct:
    """The product of an open file, by the HDU that holds it."""
    names = {hdu.name for hdu in hdulist}
    try:
        for hdu in _TABLE_PRODUCTS:  # a file holding both is a spectrum
            if hdu in names:
                return _table_product(hdulist, hdu)
        if names & set(MAP_HDUS):
            return _map(hdulist, names)
    except Exception as exc:
        raise bad_request(f"the product in the file cannot be read: {exc}") from exc
    raise bad_request(
        "no product in the file: expected an HDU named SPECTRUM, LIGHTCURVE or "
        f"one of {', '.join(MAP_HDUS)} (found {', '.join(sorted(names))})"
    )


def _open(data: bytes) -> fits.HDUList:
    if not data.startswith(b"SIMPLE  ="):
        raise bad_request(
            "the file is not FITS: publish a product written by ctanb (product.publish())"
        )
    try:
        return fits.open(io.BytesIO(data), memmap=False, lazy_load_hdus=False)
    except Exception as exc:
        raise bad_request(f"the FITS file cannot be read: {exc}") from exc


def _provenance(hdulist: fits.HDUList) -> Any:
    try:
        doc = read_provenance_hdu(hdulist)
    except Exception as exc:
        raise bad_request(f"the PROVENANCE HDU cannot be read as PROV-JSON: {exc}") from exc
    if doc is None:
        raise bad_request(
            "the file has no PROVENANCE HDU: publish products made by ctanb (count maps, "
            "spectra, light curves), whose provenance says which runs they used"
        )
    return doc


def _runs(doc: Any) -> list[tuple[str | None, str]]:
    """``(collection, obs_id)`` of the event lists the provenance says were used."""
    runs: list[tuple[str | None, str]] = []
    for record in doc.get_records():
        attributes = {k.localpart: v for k, v in record.attributes}
        if attributes.get("role") == "events" and attributes.get("obs_id") not in (None, "None"):
            collection = attributes.get("collection") or None
            runs.append((str(collection) if collection else None, str(attributes["obs_id"])))
    if not runs:
        raise bad_request(
            "the product's provenance names no run of the archive: publish products made "
            "from archive runs (their obs_ids link the product to them)"
        )
    return runs


def inspect_product(data: bytes) -> UploadedProduct:
    """Check that ``data`` is a FITS product ctanb can read; describe it.

    Raises
    ------
    HTTPException
        400 naming what is wrong (not FITS, no product HDU, no provenance, no runs).
    """
    with _open(data) as hdulist:
        if any(isinstance(hdu, fits.CompImageHDU) for hdu in hdulist):
            # a few MiB of tile-compressed zeros can expand to gigabytes when read
            raise bad_request(
                "compressed image HDUs are not accepted: write the product uncompressed"
            )
        doc = _provenance(hdulist)
        product = _describe(hdulist)
    product.doc = doc
    try:
        product.entity_id, product.activity_id = provtap.check_product_document(doc)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    product.runs = _runs(doc)
    return product
