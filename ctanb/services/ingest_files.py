"""Finding the DL3 event lists to ingest: GADF folders (obs-index, hdu-index) or bare files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astropy.table import Table

from ctanb.gadf import keyword_value

__all__ = ["EventFile", "find_event_files"]


@dataclass(frozen=True)
class EventFile:
    """An event list to ingest, with its obs-index row and IRF file when known."""

    path: Path
    index_row: dict[str, Any] = field(default_factory=dict)
    irf_path: Path | None = None


def find_event_files(paths: Iterable[str | Path]) -> Iterator[EventFile | tuple[Path, str]]:
    """Yield the event lists below ``paths``, or ``(path, reason)`` for unusable inputs.

    A folder with ``obs-index`` files is read through its indexes (each with the
    ``hdu-index`` beside it); any other folder gives every FITS file below it.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield path, "no such file or folder"
        elif path.is_dir():
            indexes = sorted(path.rglob("obs-index.fits*"))
            if indexes:
                for index in indexes:
                    yield from _from_index(index)
            else:
                for file in sorted(path.rglob("*.fits*")):
                    yield EventFile(file)
        else:
            yield EventFile(path)


def _from_index(obs_index: Path) -> Iterator[EventFile | tuple[Path, str]]:
    folder = obs_index.parent
    hdu_index = next(iter(sorted(folder.glob("hdu-index.fits*"))), None)
    if hdu_index is None:
        yield obs_index, "obs-index without an hdu-index beside it"
        return
    obs_table = Table.read(obs_index)
    hdus = Table.read(hdu_index)
    rows = {
        int(r["OBS_ID"]): {k: keyword_value(r[k]) for k in obs_table.colnames} for r in obs_table
    }
    base = Path(hdus.meta.get("BASE_DIR", "."))
    by_obs: dict[int, dict[str, Path]] = {}
    for r in hdus:
        file = _resolve(folder, base, str(r["FILE_DIR"]).strip(), str(r["FILE_NAME"]).strip())
        by_obs.setdefault(int(r["OBS_ID"]), {})[str(r["HDU_TYPE"]).strip().lower()] = file
    for obs_id, files in sorted(by_obs.items()):
        if "events" not in files:
            yield folder, f"obs_id {obs_id}: no events HDU in {hdu_index.name}"
            continue
        yield EventFile(files["events"], rows.get(obs_id, {}), files.get("aeff"))


def _resolve(folder: Path, base: Path, file_dir: str, name: str) -> Path:
    direct = (folder / base / file_dir / name).resolve()
    if direct.exists():
        return direct
    # Index files copied without their tree (as the CTA 1DC index is): find the file by name.
    root = folder
    for _ in range(3):
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0].resolve()
        root = root.parent
    return direct
