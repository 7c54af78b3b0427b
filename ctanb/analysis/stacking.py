"""Runs stacked into one counts cube: one compiled pass per run, here or on dask workers.

Runs are binned one after the other (on the caller's core or on a dask worker): only one
run's columns are in memory at a time. The non-zero bins come from binning (the kernel
notes the bins it fills), so neither a product's checksum nor a worker's reply scans the
cube. Each run gives back the details its product's provenance needs, or its error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u
from gammapy.maps import HpxGeom, WcsGeom

from ctanb.analysis.events import RunEvents, RunFile, read_events
from ctanb.analysis.histogram import add_events, bin_indices, binner_for
from ctanb.analysis.parallel import get_client
from ctanb.analysis.selection import EventSelection
from ctanb.errors import DataError

__all__ = ["FLOAT32_EXACT", "bin_runs", "bin_runs_sparse", "counts_dtype", "map_runs"]

#: float32 (gammapy's dtype for counts) holds whole numbers exactly up to this
FLOAT32_EXACT = 2**24


class _RunStack:
    """The cube runs are added to, the bins they filled, and what each run gave."""

    def __init__(self, geom: WcsGeom | HpxGeom, selection: EventSelection) -> None:
        self.geom = geom
        self.selection = selection
        self.out = np.zeros(int(np.prod(geom.data_shape)), dtype=np.float32)
        self.binned = 0  # events binned so far: float32 counts are exact below 2**24
        self.filled: list[np.ndarray] = []
        self.binner = binner_for(geom)
        self.edges = geom.axes["energy"].edges.to_value(u.TeV) if geom.axes else None
        self.infos: list[dict[str, Any]] = []

    def add(self, run: RunFile, cache_dir: str | None) -> None:
        """Bin one run, or note why it cannot be."""
        try:
            events = read_events(run.path, cache_dir)
            self._check_energies(events, run)
        except DataError as exc:
            self.infos.append({"path": str(run.path), "error": str(exc)})
            return
        good = self.selection.time_mask(events)
        bad = self._few_bad(events, good)
        try:
            events, mask = (
                (events, None)
                if bad is not None
                else self.selection.apply(events, run, self.geom, good)
            )
        except DataError as exc:
            self.infos.append({"path": str(run.path), "error": str(exc)})
            return
        self._add(events, mask, bad)
        self.infos.append(
            {
                "path": str(run.url or run.path),
                "obs_id": events.obs_id,
                "checksum": events.checksum,
                "collection": run.collection,
                "pointing": (events.meta["RA_PNT"], events.meta["DEC_PNT"]),
            }
        )

    def _check_energies(self, events: RunEvents, run: RunFile) -> None:
        if not len(events) or self.edges is None:
            return
        edges = self.edges
        first = int(np.searchsorted(events.energy, edges[0]))  # events sorted by energy
        if first == len(events) or not events.energy[first] < edges[-1]:
            raise DataError(
                f"{run.path}: obs_id {events.obs_id}: no event inside the energy axis "
                f"{edges[0]:.3g}-{edges[-1]:.3g} TeV"
            )

    def _few_bad(self, events: RunEvents, good: np.ndarray | None) -> RunEvents | None:
        """The events out of good time, when they are a few (under 1 %) and no safe mask.

        A few (as past a GTI's rounded end) are binned with the others and taken out
        again (the same bins: WCSLIB's, as the kernel's), instead of copying every column
        of the run without them.
        """
        if good is None or self.binner is None or self.selection.safe_mask is not None:
            return None
        if (len(good) - np.count_nonzero(good)) * 100 < len(good):
            return events.subset(~good)
        return None

    def _add(
        self, events: RunEvents, mask: np.ndarray | None, bad: RunEvents | None = None
    ) -> None:
        """Add events (taking ``bad`` out again), within the flat safe ``mask`` if any."""
        out = self.out
        self.binned += len(events)
        if self.binned >= FLOAT32_EXACT and out.dtype == np.float32:
            out = self.out = out.astype(np.float64)
        target = out if mask is None else np.zeros_like(out)
        if self.binner is not None:
            touched = add_events(events, self.geom, self.binner, target, track=True)
            if bad is not None:
                np.add.at(out, bin_indices(bad, self.geom), -1.0)
                touched = touched[out[touched] != 0]
        else:
            flat = bin_indices(events, self.geom)
            target += np.bincount(flat, minlength=out.size)
            touched = np.unique(flat)
        if mask is not None:  # the run's safe range only
            touched = touched[mask[touched]]
            out[touched] += target[touched]
        self.filled.append(touched)


def bin_runs(
    runs: list[RunFile],
    geom: WcsGeom | HpxGeom,
    cache_dir: str | None,
    selection: EventSelection | None = None,
) -> tuple[np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Add runs to one cube; return it, its non-zero bins, and each run's details or error.

    The details (path, obs_id, checksum, collection, pointing) are what the provenance
    needs; a run that cannot be binned gives ``{"path", "error"}`` instead.
    """
    stack = _RunStack(geom, selection or EventSelection())
    for run in runs:
        stack.add(run, cache_dir)
    return counts_dtype(stack.out), _union(stack.filled, stack.out), stack.infos


def counts_dtype(cube: np.ndarray) -> np.ndarray:
    """The cube as float32 unless a bin holds 2**24 counts or more (then float64).

    The rule depends only on the counts, so serial and dask binning give the same dtype.
    """
    if cube.dtype == np.float32:
        return cube
    if cube.size == 0 or cube.max() < FLOAT32_EXACT:
        return cube.astype(np.float32)
    return cube


def _union(parts: list[np.ndarray], cube: np.ndarray) -> np.ndarray | None:
    """Sorted distinct bins of ``parts``; None when a scan of ``cube`` is cheaper.

    A well-filled cube's non-zero bins are then found only if its checksum is asked for.
    """
    count = sum(len(p) for p in parts)
    if count > cube.size // 16:  # a well-filled cube: one pass beats sorting
        return None
    if len(parts) == 1:  # one run's bins are distinct already: sorting them is enough
        return np.sort(parts[0])
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def bin_runs_sparse(
    runs: list[RunFile],
    geom: WcsGeom | HpxGeom,
    cache_dir: str | None,
    selection: EventSelection | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], list[dict[str, Any]]]:
    """:func:`bin_runs` returning only the filled bins: less to send back from a worker."""
    cube, index, infos = bin_runs(runs, geom, cache_dir, selection)
    if index is None:
        index = np.flatnonzero(cube)
    return (index, cube[index]), infos


def map_runs(
    runs: list[RunFile],
    geom: Any,
    cache_dir: str | None,
    client: Any,
    selection: EventSelection | None = None,
) -> tuple[np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Bin the runs here, or in batches on dask workers (partial cubes summed, exactly).

    ``client`` is None or False (here), a ``dask.distributed`` Client, or True (the
    client of :func:`~ctanb.analysis.parallel.get_client`).
    """
    if client is None or client is False:
        return bin_runs(runs, geom, cache_dir, selection)
    if client is True:
        client = get_client()
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    stride = min(len(runs), workers)  # one batch per worker: batch b holds runs b, b + stride...
    batches = [runs[b::stride] for b in range(stride)]
    futures = client.map(
        bin_runs_sparse, batches, geom=geom, cache_dir=cache_dir, selection=selection, pure=False
    )
    total = np.zeros(int(np.prod(geom.data_shape)))  # float64: the batches' sum is exact
    infos: list[dict[str, Any]] = [{} for _ in runs]
    filled = []
    for b, ((index, counts), batch_infos) in enumerate(client.gather(futures)):
        total[index] += counts
        filled.append(index)
        for j, info in enumerate(batch_infos):
            infos[b + j * stride] = info
    return counts_dtype(total), _union(filled, total), infos
