"""The ObsCore row of a product published back into the archive (DL4).

Its field, times and energies come from the runs it used (which the publisher must be
allowed to read), unless the product knows them itself (a map its field, a spectrum its
energies); the rest from the product, the publisher and the rights asked for.
"""

from __future__ import annotations

import collections
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ctanb.services.auth import Identity
from ctanb.services.store import Store
from ctanb.services.uploaded_product import UploadedProduct, bad_request

__all__ = ["COLLECTION", "HC_TEV_M", "Publication", "obscore_row", "product_values"]

#: The collection of published products.
COLLECTION = "CTANB-DL4"
HC_TEV_M = 1.239841984e-18  # h c in TeV m: wavelength = HC / energy
_MAX_TITLE = 300


@dataclass(frozen=True)
class Publication:
    """Who publishes a product, into which group, under which rights and title."""

    identity: Identity
    group: str
    data_rights: str
    release: datetime | None
    title: str | None


def _field_of(rows: list[tuple[Any, ...]]) -> tuple[float, float, float]:
    """Centre (RA, Dec) and width, deg, of the fields of view of runs (s_ra, s_dec, s_fov)."""
    ra = np.radians([r[2] for r in rows])
    dec = np.radians([r[3] for r in rows])
    vector = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)]).mean(1)
    c_ra = float(np.degrees(np.arctan2(vector[1], vector[0])) % 360)
    c_dec = float(np.degrees(np.arctan2(vector[2], np.hypot(vector[0], vector[1]))))
    cos_sep = np.sin(np.radians(c_dec)) * np.sin(dec) + np.cos(np.radians(c_dec)) * np.cos(
        dec
    ) * np.cos(ra - np.radians(c_ra))
    reach = np.degrees(np.arccos(np.clip(cos_sep, -1, 1))) + np.array([r[4] or 0 for r in rows]) / 2
    return c_ra, c_dec, float(2 * np.max(reach))


def _visible_runs(
    store: Store, product: UploadedProduct, groups: frozenset[str]
) -> list[tuple[Any, ...]]:
    """ObsCore rows of the runs the product used; every one of them the caller must see."""
    obs_ids = sorted({obs_id for _, obs_id in product.runs})
    with store.reader(groups) as cur:
        rows = cur.execute(
            "SELECT obs_collection, obs_id, s_ra, s_dec, s_fov, t_min, t_max, t_exptime, "
            "energy_min, energy_max, target_name, facility_name, instrument_name "
            "FROM ivoa.obscore WHERE obs_id = ANY(%s) AND calib_level < 4",
            (obs_ids,),
        ).fetchall()
    found = {row[1] for row in rows}
    missing = [o for o in obs_ids if o not in found]
    if missing:
        raise bad_request(
            "you may publish only products of runs you may read; not in the archive or not "
            f"yours to read: {', '.join(missing[:10])}",
            403,
        )
    return rows


def _runs_row(store: Store, product: UploadedProduct, groups: frozenset[str]) -> dict[str, Any]:
    """ObsCore values of the product taken from the runs it used (which the caller must see)."""
    rows = _visible_runs(store, product, groups)

    def joined(index: int) -> str | None:
        values = sorted({str(r[index]) for r in rows if r[index]})
        return ", ".join(values) or None

    targets = collections.Counter(r[10] for r in rows if r[10])
    s_ra, s_dec, s_fov = _field_of(rows)
    return {
        "s_ra": s_ra,
        "s_dec": s_dec,
        "s_fov": s_fov,
        "t_min": min((r[5] for r in rows if r[5] is not None), default=None),
        "t_max": max((r[6] for r in rows if r[6] is not None), default=None),
        "t_exptime": float(sum(r[7] or 0 for r in rows)),
        "energy_min": min((r[8] for r in rows if r[8] is not None), default=None),
        "energy_max": max((r[9] for r in rows if r[9] is not None), default=None),
        "target_name": targets.most_common(1)[0][0] if targets else None,
        "facility_name": joined(11),
        "instrument_name": joined(12),
        "runs": sorted({row[1] for row in rows}),
    }


def product_values(
    store: Store, product: UploadedProduct, groups: frozenset[str]
) -> tuple[dict[str, Any], list[str]]:
    """ObsCore values from the runs, with what the product knows of itself; and the runs."""
    values = _runs_row(store, product, groups)
    runs = values.pop("runs")
    if product.centre is not None:  # a map knows its own field
        values["s_ra"], values["s_dec"], values["s_fov"] = product.centre
    if product.energy is not None:
        values["energy_min"], values["energy_max"] = product.energy
    if product.time is not None:
        values["t_min"], values["t_max"] = product.time
    return values, runs


def obscore_row(
    product: UploadedProduct,
    values: dict[str, Any],
    runs: list[str],
    publication: Publication,
    *,
    product_id: str,
    data: bytes,
    path: Path,
) -> dict[str, Any]:
    """The ``archive.observation`` row of a published product (all but its s_region)."""
    energy_min, energy_max = values["energy_min"], values["energy_max"]
    release = publication.release
    title = publication.title or f"{product.kind} of runs {', '.join(runs[:8])}"
    return {
        **values,
        "dataproduct_type": product.dataproduct_type,
        "dataproduct_subtype": "DL4",
        "calib_level": 4,
        "obs_collection": COLLECTION,
        "obs_id": product_id,
        "obs_publisher_did": f"ivo://ctanb/{COLLECTION}?{product_id}",
        "obs_creator_did": product.entity_id,
        "obs_creator_name": publication.identity.name,
        "obs_title": title[:_MAX_TITLE],
        "access_url": f"/data/{COLLECTION}/{product_id}",
        "access_format": "application/fits",
        "access_estsize": max(1, len(data) // 1024),
        "s_xel1": product.shape.get("s_xel1", -1),
        "s_xel2": product.shape.get("s_xel2", -1),
        "em_xel": product.shape.get("em_xel", -1),
        "t_xel": product.shape.get("t_xel", -1),
        "em_min": HC_TEV_M / energy_max if energy_max else None,
        "em_max": HC_TEV_M / energy_min if energy_min else None,
        "o_ucd": "phot.count",
        "event_count": product.shape.get("event_count"),
        "owner_group": publication.group,
        "data_rights": publication.data_rights,
        "obs_release_date": release.astimezone(UTC).replace(tzinfo=None) if release else None,
        "file_path": str(path),
        "file_sha256": hashlib.sha256(data).hexdigest(),
    }
