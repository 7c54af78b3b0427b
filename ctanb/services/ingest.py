"""Ingestion of GADF DL3 event lists into the ObsCore store.

``ingest(paths, store)`` reads GADF folders (with ``obs-index``/``hdu-index``) or bare
DL3 files from any instrument, builds one ObsCore row per observation from what the data
says (headers, obs-index columns, the events themselves, the IRF's offset range) and the
collection defaults where it is silent, and upserts the rows: ingesting twice leaves one
row per observation. A file that cannot be read is reported with its reason and skipped;
each batch is one transaction.

Finding the files is :mod:`ctanb.services.ingest_files`, building a row
:mod:`ctanb.services.ingest_row` (through the GADF reader :mod:`ctanb.gadf`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctanb.errors import DataError
from ctanb.services import obscore
from ctanb.services.ingest_coverage import DEFAULT_FOV_RADIUS
from ctanb.services.ingest_files import EventFile, find_event_files
from ctanb.services.ingest_row import (
    TargetClasses,
    load_defaults,
    normalise_name,
    observation_row,
    sha256_file,
)
from ctanb.services.store import Store

__all__ = [
    "DEFAULT_FOV_RADIUS",
    "EventFile",
    "IngestReport",
    "find_event_files",
    "ingest",
    "load_defaults",
    "normalise_name",
    "observation_row",
    "sha256_file",
]

BATCH_SIZE = 50


@dataclass
class IngestReport:
    """What an ingestion did: observations written and files skipped (with reasons)."""

    ingested: list[tuple[str, str]] = field(default_factory=list)  # (collection, obs_id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def __str__(self) -> str:
        lines = [f"ingested {len(self.ingested)} observations, skipped {len(self.skipped)} files"]
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        return "\n".join(lines)


_COLUMNS = [c.name for c in obscore.COLUMNS] + ["file_path", "file_sha256"]


def _upsert_sql() -> str:
    names = ", ".join(_COLUMNS)
    values = ", ".join(
        "scircle(spoint(radians(%(s_ra)s), radians(%(s_dec)s)), radians(%(s_fov)s / 2.0))"
        if name == "s_region"
        else f"%({name})s"
        for name in _COLUMNS
    )
    updates = ", ".join(
        f"{name} = EXCLUDED.{name}" for name in _COLUMNS if name not in ("obs_collection", "obs_id")
    )
    return (
        f"INSERT INTO {obscore.BASE_TABLE} ({names}) VALUES ({values}) "
        f"ON CONFLICT (obs_collection, obs_id) DO UPDATE SET {updates}, ingested_at = now()"
    )


class _Batches:
    """Rows upserted ``BATCH_SIZE`` at a time, each batch one transaction."""

    def __init__(self, store: Store, report: IngestReport) -> None:
        self.store, self.report = store, report
        self.statement = _upsert_sql()
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with self.store.connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(self.statement, self.rows)
        self.report.ingested.extend((r["obs_collection"], r["obs_id"]) for r in self.rows)
        self.rows.clear()


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    *,
    collection: str | None = None,
    defaults_file: str | Path | None = None,
    catalogs_dir: Path | None = None,
    progress: Callable[[int, int, Path], Any] | None = None,
) -> IngestReport:
    """Ingest DL3 event lists into the store.

    Parameters
    ----------
    paths : iterable of path
        GADF folders (with obs-index/hdu-index) or DL3 files.
    store : Store
        The ObsCore store.
    collection : str, optional
        Force the collection (and its defaults); by default chosen from the headers.
    defaults_file : path, optional
        A TOML file of per-collection defaults replacing the packaged one.
    catalogs_dir : Path, optional
        Folder with gamma-cat, used for target_class.
    progress : callable, optional
        Called with ``(done, total, path)`` after each file.

    Returns
    -------
    IngestReport
        Observations written and files skipped with their reasons.
    """
    defaults = load_defaults(defaults_file)
    classes = TargetClasses(catalogs_dir)
    report = IngestReport()
    batches = _Batches(store, report)
    found = list(find_event_files(paths))
    for done, item in enumerate(found, start=1):
        if isinstance(item, tuple):
            report.skipped.append((str(item[0]), item[1]))
            continue
        try:
            batches.add(
                observation_row(item, defaults, collection=collection, target_classes=classes)
            )
        except DataError as exc:
            report.skipped.append((str(item.path), str(exc)))
        if progress:
            progress(done, len(found), item.path)
    batches.flush()
    return report
