"""A columnar cache of event lists: the first read of a run stores its columns as .npy files.

Entries are keyed by the file's sha256, so a changed file gets a new entry; the cache
keeps under a size limit by removing the least recently used entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ctanb.config import get_settings

__all__ = ["EventCache", "file_sha256"]


def file_sha256(path: str | Path) -> str:
    """Return ``"sha256:<hex>"`` of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


#: bytes in each cache folder, as this process last knew them
_SIZES: dict[str, int] = {}


@dataclass
class EventCache:
    """Columns of event lists as uncompressed NumPy files.

    Parameters
    ----------
    folder : Path, optional
        Cache folder (default ``<CTANB_CACHE>/events``).
    limit_bytes : int, optional
        Size above which the least recently used entries are removed (default
        ``CTANB_CACHE_LIMIT_GB``, 20 GB).
    """

    folder: Path | None = None
    limit_bytes: int | None = None

    def __post_init__(self) -> None:
        settings = get_settings()
        if self.limit_bytes is None:
            self.limit_bytes = int(settings.cache_limit_gb * 1e9)
        if self.folder is None:
            self.folder = Path(settings.cache_dir or ".") / "events"
        self.folder.mkdir(parents=True, exist_ok=True)

    # -- checksums: recomputed only when a file's size or mtime changes
    def checksum(self, path: Path) -> str:
        """Return the file's sha256, remembered by (path, size, mtime)."""
        assert self.folder is not None
        stat = path.stat()
        key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        memo = self.folder / "checksums" / key.hexdigest()
        if memo.exists():
            return memo.read_text()
        value = file_sha256(path)
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(value)
        return value

    def entry(self, checksum: str) -> Path:
        """The folder of an entry (present or not)."""
        return self._entry(checksum)

    def _entry(self, checksum: str) -> Path:
        assert self.folder is not None
        return self.folder / checksum.split(":", 1)[1]

    def get(self, checksum: str, columns: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """Return the cached columns and header of an entry, or None on a miss."""
        entry = self._entry(checksum)
        if (
            not all((entry / f"{c}.npy").exists() for c in columns)
            or not (entry / "meta.json").exists()
        ):
            return None
        os.utime(entry)  # least recently used bookkeeping
        # memory-mapped: a column is read (from the page cache) only where it is used
        data: dict[str, np.ndarray] = {
            c: np.load(entry / f"{c}.npy", mmap_mode="r") for c in columns
        }
        return data

    def meta(self, checksum: str) -> dict[str, object] | None:
        """Return the cached header values of an entry."""
        path = self._entry(checksum) / "meta.json"
        return json.loads(path.read_text()) if path.exists() else None

    def put(self, checksum: str, columns: dict[str, np.ndarray], meta: dict[str, object]) -> None:
        """Store columns and header values (atomically: a half-written entry is never read)."""
        entry = self._entry(checksum)
        # a folder of its own per writer: several dask workers may cache the same run at once
        tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=entry.name + ".tmp"))
        written = 0
        for name, values in columns.items():
            array = np.ascontiguousarray(values)
            np.save(tmp / f"{name}.npy", array)
            written += array.nbytes
        (tmp / "meta.json").write_text(json.dumps(meta))
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        try:
            os.replace(tmp, entry)
        except OSError:  # another writer put the same entry first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
        # the folder's size is summed once per process, then counted up as entries are put:
        # a full walk of the cache per put made filling it quadratic in its runs
        key = str(self.folder)
        if key not in _SIZES:
            _SIZES[key] = self.size()
        else:
            _SIZES[key] += written
        assert self.limit_bytes is not None
        if _SIZES[key] > self.limit_bytes:
            self.prune()

    def size(self) -> int:
        """Bytes used by the cached columns."""
        assert self.folder is not None
        return sum(p.stat().st_size for p in self.folder.rglob("*.npy"))

    def prune(self) -> None:
        """Remove least recently used entries until the cache is under its limit."""
        assert self.folder is not None
        entries = [
            p
            for p in self.folder.iterdir()
            if p.is_dir() and p.name != "checksums" and ".tmp" not in p.name
        ]
        total = self.size()
        assert self.limit_bytes is not None
        for entry in sorted(entries, key=lambda p: p.stat().st_mtime):
            if total <= self.limit_bytes:
                break
            total -= sum(p.stat().st_size for p in entry.glob("*.npy"))
            shutil.rmtree(entry, ignore_errors=True)
        _SIZES[str(self.folder)] = total

    def clear(self) -> None:
        """Remove every entry."""
        assert self.folder is not None
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        _SIZES.pop(str(self.folder), None)
