"""Publish a product into the archive (DL4): the client of the service's ``POST /products``.

``product.publish()`` calls :func:`publish`: the product is written as FITS with its
provenance, uploaded with the user's token, and comes back as an ObsCore row that ObsCore
searches and ProvTAP queries find, readable by the publisher's group only until its release
date.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from ctanb.search.client import ArchiveClient, ArchiveError, archive_client

__all__ = ["PublishedProduct", "publish", "withdraw"]


@dataclass(frozen=True)
class PublishedProduct:
    """A product as the archive published it: the server's record of it, not the product.

    What ``POST /products`` answers (the DL4 ObsCore row and its provenance links); the
    product itself (a :class:`ctanb.analysis.product.Product`) stays where it was made.

    Attributes
    ----------
    obs_collection, obs_id, obs_publisher_did : str
        Its ObsCore identifiers (collection ``CTANB-DL4``).
    access_url : str
        Where members of ``owner_group`` download it.
    dataproduct_type : str
        ``cube``, ``image``, ``spectrum`` or ``timeseries``.
    owner_group, data_rights : str
        Who may read it, and whether it is proprietary.
    obs_release_date : str or None
        When it becomes public (ISO 8601, UTC).
    runs : tuple of str
        obs_ids of the runs it was made from.
    provenance_entity, provenance_url : str
        Its ProvTAP entity identifier and lineage graph URL.
    """

    obs_collection: str
    obs_id: str
    obs_publisher_did: str
    access_url: str
    dataproduct_type: str
    owner_group: str
    data_rights: str
    obs_release_date: str | None
    runs: tuple[str, ...]
    provenance_entity: str
    provenance_url: str


def publish(
    product: Any,
    *,
    group: str | None = None,
    release_date: date | datetime | str | None = None,
    public: bool = False,
    title: str | None = None,
    client: ArchiveClient | str | None = None,
    token: str | None = None,
    timeout: float = 120.0,
) -> PublishedProduct:
    """Publish an analysis product (count map, spectrum, light curve) into the archive.

    Parameters
    ----------
    product : ctanb.analysis.product.Product, str or Path
        A product with ``to_fits`` (its provenance goes inside the file), or the path of a
        FITS product ctanb wrote (e.g. a UWS job's result).
    group : str, optional
        Group that owns it; required when the token's user is in several groups.
    release_date : date, datetime or str, optional
        When it becomes public; default one year from now (the service's default).
    public : bool
        Publish as public data right away.
    title : str, optional
        ``obs_title`` of the ObsCore row.
    client : ArchiveClient or str, optional
        The archive (default ``CTANB_SERVICE_URL`` with ``CTANB_TOKEN``).
    token : str, optional
        API token, when ``client`` is a URL or None.
    timeout : float
        Seconds to wait for the upload.

    Raises
    ------
    ArchiveError
        With the service's reason (no token, not your group, not a ctanb product ...).

    Examples
    --------
    >>> published = spectrum.publish(group="cta-consortium")  # doctest: +SKIP
    >>> published.obs_publisher_did  # doctest: +SKIP
    'ivo://ctanb/CTANB-DL4?...'
    """
    archive = archive_client(client, token)
    fields = _form_fields(group, release_date, public, title)
    with tempfile.TemporaryDirectory(prefix="ctanb-publish-") as folder:
        if isinstance(product, (str, Path)):  # a FITS product already written (a job's)
            path = Path(product)
        else:
            path = product.to_fits(Path(folder) / f"{product.kind}.fits")
        response = _upload(archive, path, fields, timeout)
    if response.status_code != 201:
        raise _refused(response, "publish")
    body: dict[str, Any] = response.json()
    fields_of = PublishedProduct.__dataclass_fields__
    values: dict[str, Any] = {name: body[name] for name in fields_of}
    values["runs"] = tuple(values["runs"])
    return PublishedProduct(**values)


def _form_fields(
    group: str | None, release_date: date | datetime | str | None, public: bool, title: str | None
) -> dict[str, str]:
    """The form fields of ``POST /products`` (those given only)."""
    fields: dict[str, str] = {"data_rights": "public" if public else "proprietary"}
    if group:
        fields["group"] = group
    if release_date is not None:
        fields["release_date"] = (
            release_date if isinstance(release_date, str) else release_date.isoformat()
        )
    if title:
        fields["title"] = title
    return fields


def _upload(
    archive: ArchiveClient, path: Path, fields: dict[str, str], timeout: float
) -> requests.Response:
    """Post the FITS file with the form fields to ``/products``."""
    url = archive.base_url + "/products"
    with open(path, "rb") as stream:
        try:
            return archive.session.post(
                url,
                data=fields,
                files={"file": (path.name, stream, "application/fits")},
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise ArchiveError(f"cannot reach the archive at {url}: {exc}") from exc


def withdraw(
    product: PublishedProduct | str,
    *,
    client: ArchiveClient | str | None = None,
    token: str | None = None,
) -> None:
    """Withdraw a published product: its ObsCore row, its file and its provenance go.

    Parameters
    ----------
    product : PublishedProduct or str
        The product, or its ``obs_id``.
    client : ArchiveClient or str, optional
        The archive (default ``CTANB_SERVICE_URL`` with ``CTANB_TOKEN``); the token's user
        must be a member of the product's group.
    token : str, optional
        API token, when ``client`` is a URL or None.

    Raises
    ------
    ArchiveError
        When the product is not one of your groups' (or does not exist).
    """
    archive = archive_client(client, token)
    obs_id = product.obs_id if isinstance(product, PublishedProduct) else str(product)
    url = f"{archive.base_url}/products/{quote(obs_id, safe='')}"
    try:
        response = archive.session.delete(url, timeout=archive.timeout)
    except requests.RequestException as exc:
        raise ArchiveError(f"cannot reach the archive at {url}: {exc}") from exc
    if response.status_code != 204:
        raise _refused(response, "withdraw")


def _refused(response: requests.Response, what: str) -> ArchiveError:
    """The service's reason for refusing, as an ArchiveError."""
    try:
        reason = response.json().get("detail", response.text)
    except ValueError:
        reason = response.text[:500]
    return ArchiveError(f"the archive refused to {what} ({response.status_code}): {reason}")
