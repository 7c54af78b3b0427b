"""DataLink ``{links}`` documents (IVOA DataLink 1.1), written by astropy's VOTable writer.

A link is one row of the document's table: the dataset's identifier, where its file is (or
the error saying why not), what it is to the dataset (``#this``, ``#progenitor``) and its
media type and size.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from astropy.io.votable.exceptions import E24
from astropy.io.votable.tree import Field, Resource, TableElement, VOTableFile

__all__ = ["MEDIA_TYPE", "Link", "links_document"]

MEDIA_TYPE = "application/x-votable+xml;content=datalink"

#: The fields of the document: (name, datatype, unit, UCD), in its order.
_FIELDS = (
    ("ID", "char", None, "meta.id;meta.main"),
    ("access_url", "char", None, "meta.ref.url"),
    ("service_def", "char", None, "meta.ref"),
    ("semantics", "char", None, "meta.code"),
    ("content_type", "char", None, "meta.code.mime"),
    ("content_length", "long", "byte", "phys.size;meta.file"),
    ("description", "char", None, "meta.note"),
)


@dataclass(frozen=True, kw_only=True)
class Link:
    """One row of a DataLink document.

    Parameters
    ----------
    id : str
        The dataset's identifier (the ``ID`` asked for).
    semantics : str
        What the link is to the dataset: ``#this``, ``#progenitor`` ...
    access_url : str
        URL of the linked file; empty for a fault.
    description : str
        What the linked file is, or the fault (``NotFoundFault: ...``) saying why there
        is none.
    content_type : str
        Media type of the linked file.
    content_length : int or None
        Its size in bytes, if known.
    """

    id: str
    semantics: str
    access_url: str = ""
    description: str = ""
    content_type: str = ""
    content_length: int | None = None


def links_document(links: Iterable[Link]) -> bytes:
    """Return the DataLink ``{links}`` VOTable of ``links`` (TABLEDATA, VOTable 1.3)."""
    rows = list(links)
    votable = VOTableFile(version="1.3")
    resource = Resource(type="results")
    votable.resources.append(resource)
    table = TableElement(votable)
    resource.tables.append(table)
    for name, datatype, unit, ucd in _FIELDS:
        arraysize = "*" if datatype == "char" else None
        table.fields.append(
            Field(votable, name=name, datatype=datatype, arraysize=arraysize, unit=unit, ucd=ucd)
        )
    table.create_arrays(len(rows))
    for i, link in enumerate(rows):
        length = link.content_length
        table.array[i] = (
            link.id,
            link.access_url,
            "",
            link.semantics,
            link.content_type,
            0 if length is None else length,
            link.description,
        )
        table.array.mask[i] = (False,) * 5 + (length is None, False)
    out = io.BytesIO()
    with warnings.catch_warnings():
        # an identifier asked for may hold any character: it is written back as UTF-8, as
        # the service always wrote it, without astropy's warning that VOTable char is ASCII
        warnings.simplefilter("ignore", E24)
        votable.to_xml(out, tabledata_format="tabledata")
    return out.getvalue()
