"""Count maps and cubes: one compiled pass per run adds its events to the stacked cube.

The geometry is gammapy's (``WcsGeom`` or ``HpxGeom`` with an energy ``MapAxis``), and
the result is a gammapy ``Map``; only the binning is ours. For the common WCS projections
:class:`~ctanb.analysis.binning.FastWcsBinner` projects and adds each event in one pass
from the cached unit vectors; the few events within a rounding error of a pixel edge, and
other geometries, go through :func:`bin_indices`, which follows gammapy's conventions
exactly (WCSLIB's ``wcs_world2pix``, ``floor(pix + 0.5)``, ``digitize(energy, edges) - 1``).
Either way the counts equal ``MapDatasetMaker``'s bin for bin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.maps import HpxGeom, Map, MapAxis, WcsGeom

from ctanb.analysis.binning import FastWcsBinner
from ctanb.analysis.events import EventList, RunFile, expand_inputs, read_events
from ctanb.analysis.product import Product, SkippedRun
from ctanb.analysis.selection import EventSelection
from ctanb.analysis.specs import CountMapSpec
from ctanb.config import get_settings
from ctanb.errors import DataError
from ctanb.prov.record import ActivityRecord, InputFile

__all__ = ["CountMap", "bin_events", "bin_events_sparse", "make_count_map", "make_geom"]

ENTRY_POINT = "ctanb.analysis.countmap:make_count_map"
_DEFAULT = CountMapSpec()  # the defaults, written once in the spec


def make_geom(
    skydir: SkyCoord,
    *,
    frame: str = _DEFAULT.frame,
    width: Any = _DEFAULT.width,
    binsz: u.Quantity = _DEFAULT.binsz,
    proj: str = _DEFAULT.proj,
    energy_edges: u.Quantity | None = None,
    healpix_nside: int | None = None,
) -> WcsGeom | HpxGeom:
    """Build the gammapy geometry of a count map (WCS, or HEALPix with ``healpix_nside``).

    Geometries are remembered (the last 256): the same arguments give the same geometry
    object, whose compiled binner is then made once (building both costs ~3 ms).
    """
    data = skydir.frame.data  # the coordinates as given (SkyCoord attributes cost ~1 ms)
    if not hasattr(data, "lon"):
        data = data.represent_as("unitspherical")
    frame_name = skydir.frame.name
    if frame_name not in ("icrs", "galactic"):  # frames with attributes (FK5's equinox ...)
        frame_name = repr(skydir.frame.replicate_without_data())
    key = (
        frame_name,
        float(data.lon.deg),
        float(data.lat.deg),
        frame,
        tuple(np.atleast_1d(u.Quantity(width, u.deg).value).tolist()),
        float(u.Quantity(binsz, u.deg).value),
        proj,
        None if energy_edges is None else tuple(u.Quantity(energy_edges, u.TeV).value.tolist()),
        healpix_nside,
    )
    geom = _GEOMS.get(key)
    if geom is None:
        geom = _remembered_geom(key, skydir)
        if len(_GEOMS) >= 256:
            _GEOMS.clear()  # (simpler than LRU, and safe with threads)
        _GEOMS[key] = geom
    return geom


_GEOMS: dict[tuple[Any, ...], WcsGeom | HpxGeom] = {}


def _remembered_geom(key: tuple[Any, ...], skydir: SkyCoord) -> WcsGeom | HpxGeom:
    _, _, _, frame, width, binsz, proj, edges, nside = key
    return _create_geom(
        skydir,
        frame=frame,
        width=width[0] * u.deg if len(width) == 1 else u.Quantity(width, u.deg),
        binsz=binsz * u.deg,
        proj=proj,
        energy_edges=None if edges is None else u.Quantity(edges, u.TeV),
        healpix_nside=nside,
    )


def _create_geom(
    skydir: SkyCoord,
    *,
    frame: str = "icrs",
    width: Any = 5 * u.deg,
    binsz: u.Quantity = 0.02 * u.deg,
    proj: str = "CAR",
    energy_edges: u.Quantity | None = None,
    healpix_nside: int | None = None,
) -> WcsGeom | HpxGeom:
    """Build the gammapy geometry of a count map (WCS, or HEALPix with ``healpix_nside``)."""
    axes = []
    if energy_edges is not None:
        edges = u.Quantity(energy_edges, u.TeV)
        if edges.size < 2 or np.any(np.diff(edges.value) <= 0):
            raise ValueError("energy_edges must be at least two increasing energies")
        axes.append(MapAxis.from_edges(edges, name="energy", interp="log"))
    if frame not in ("icrs", "galactic"):
        raise ValueError(f"frame must be 'icrs' or 'galactic', not {frame!r}")
    centre = skydir.transform_to(frame)
    widths = u.Quantity(width, u.deg)
    if healpix_nside is not None:
        return HpxGeom.create(
            nside=healpix_nside,
            skydir=centre,
            frame=frame,
            width=float(np.max(widths.value)),
            axes=axes,
        )
    if u.Quantity(binsz, u.deg).value <= 0 or np.any(widths.value <= 0):
        raise ValueError("a geometry with no pixels: width and binsz must be positive")
    return WcsGeom.create(
        skydir=centre,
        width=tuple(np.atleast_1d(widths.value)) if widths.size > 1 else float(widths.value),
        binsz=u.Quantity(binsz, u.deg).value,
        frame=frame,
        proj=proj,
        axes=axes,
    )


def bin_events(
    events: EventList,
    geom: WcsGeom | HpxGeom,
    out: np.ndarray | None = None,
    binner: FastWcsBinner | bool | None = True,
) -> np.ndarray:
    """Add one run's events to ``out`` (flat, ``geom.data_shape``'s size; new if None).

    ``binner`` is the geometry's :class:`FastWcsBinner` (made here when True; False or
    None bins every event through WCSLIB, as gammapy does).
    """
    if out is None:
        out = np.zeros(int(np.prod(geom.data_shape)))
    if binner is True:
        binner = FastWcsBinner.for_geom(geom) if isinstance(geom, WcsGeom) else None
    if not binner:
        out += np.bincount(bin_indices(events, geom), minlength=out.size)
        return out
    _fast_add(events, geom, binner, out, track=False)
    return out


def bin_events_sparse(
    events: EventList, geom: WcsGeom, binner: FastWcsBinner, work: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bin one run; return its non-empty bins (sorted flat indices) and their counts.

    ``work`` is a zeroed flat cube of ``geom``'s size, lent for the binning and returned
    zeroed: only the bins the run filled are read and reset, so a run's cube costs its
    events, not the cube's size (for one cube per run over many runs).
    """
    index = np.sort(_fast_add(events, geom, binner, work, track=True)[0])  # distinct bins
    counts = work[index].copy()
    work[index] = 0.0
    return index, counts


def _fast_add(
    events: EventList, geom: WcsGeom, binner: FastWcsBinner, out: np.ndarray, track: bool
) -> tuple[np.ndarray, bool]:
    """Add events with the compiled binner; return the bins it filled first, and if WCSLIB binned.

    The bins are distinct: each was empty before these events.
    """
    energy = events.energy if geom.axes else None
    if geom.frame == "icrs" and events.vectors is not None:
        added = binner.add(None, None, energy, out, vectors=events.vectors, track=track)
    else:
        lon, lat = _map_frame_coordinates(events, geom.frame)
        added = binner.add(lon, lat, energy, out, track=track)
    exact = np.zeros(0, dtype=np.int64)
    new = exact
    if len(added.doubtful):  # within a rounding error of a pixel edge: WCSLIB decides
        exact = bin_indices(events.subset(added.doubtful), geom)
        new = np.unique(exact[out[exact] == 0])  # the bins these few fill first
        np.add.at(out, exact, 1.0)
    if added.touched is None:
        return new, bool(len(exact))
    return np.concatenate([added.touched, new]), bool(len(exact))


def _map_frame_coordinates(events: EventList, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """The events' longitudes and latitudes in ``frame``, computed exactly as gammapy does."""
    if frame == "galactic":
        # the file's float32 values, transformed as gammapy does, for identical pixels
        coords = SkyCoord(
            events.ra.astype(np.float32), events.dec.astype(np.float32), unit="deg", frame="icrs"
        ).galactic
        return coords.l.deg, coords.b.deg
    # the file's float32 values, wrapped to [0, 360) as gammapy passes them
    return np.mod(events.ra.astype(np.float32), np.float32(360)), events.dec.astype(np.float32)


def bin_indices(events: EventList, geom: WcsGeom | HpxGeom) -> np.ndarray:
    """Return the flat bin index of every event that falls inside ``geom``."""
    shape = geom.data_shape
    if isinstance(geom, WcsGeom):
        lon, lat = _map_frame_coordinates(events, geom.frame)
        px, py = geom.wcs.wcs_world2pix(lon, lat, 0)
        ix = np.floor(px + 0.5).astype(np.int64)
        iy = np.floor(py + 0.5).astype(np.int64)
        nx, ny = shape[-1], shape[-2]
        valid = np.isfinite(px) & np.isfinite(py) & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        flat = iy * nx + ix
        npix = nx * ny
    else:  # HEALPix: gammapy's own vectorised pixel look-up
        coords = SkyCoord(events.ra, events.dec, unit="deg", frame="icrs")
        image = geom.to_image()
        index = image.coord_to_idx({"skycoord": coords})
        flat = np.asarray(image.global_to_local(index, ravel=True), dtype=np.int64)
        npix = int(np.prod(shape[-1:]))
        valid = flat >= 0
    if geom.axes:
        edges = geom.axes["energy"].edges.to_value(u.TeV)
        ie = np.digitize(events.energy, edges) - 1
        valid &= (ie >= 0) & (ie < len(edges) - 1)
        flat = ie * npix + flat
    return flat[valid]


def _bin_runs(
    runs: list[RunFile],
    geom: WcsGeom | HpxGeom,
    cache_dir: str | None,
    selection: EventSelection | None = None,
) -> tuple[np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Add runs to one cube; return it, its non-zero bins, and each run's details or error.

    The details are what the provenance needs. Runs one after the other, on the caller's
    core or on a dask worker: only one run's columns are in memory at a time. The non-zero
    bins come from binning (the kernel notes the bins it fills), so neither the checksum
    nor a worker's reply scans the cube.
    """
    selection = selection or EventSelection()
    out = np.zeros(int(np.prod(geom.data_shape)), dtype=np.float32)
    binned = 0  # events binned so far: float32 counts are exact below 2**24
    filled: list[np.ndarray] = []
    binner = _binner(geom)
    edges = geom.axes["energy"].edges.to_value(u.TeV) if geom.axes else None
    infos: list[dict[str, Any]] = []
    for run in runs:
        try:
            events = read_events(run.path, cache_dir)
        except DataError as exc:
            infos.append({"path": str(run.path), "error": str(exc)})
            continue
        if len(events) and edges is not None:
            first = int(np.searchsorted(events.energy, edges[0]))  # events sorted by energy
            if first == len(events) or not events.energy[first] < edges[-1]:
                infos.append(
                    {
                        "path": str(run.path),
                        "error": f"{run.path}: obs_id {events.obs_id}: no event inside the "
                        f"energy axis {edges[0]:.3g}-{edges[-1]:.3g} TeV",
                    }
                )
                continue
        # a few events out of good time (as past a GTI's rounded end): bin all, take those
        # few out again (the same bins: WCSLIB's, as the kernel's), instead of copying
        # every column of the run without them
        good = selection.time_mask(events)
        few_bad = (
            good is not None
            and binner is not None
            and selection.safe_mask is None
            and (len(good) - np.count_nonzero(good)) * 100 < len(good)
        )
        try:
            if few_bad:
                mask = None
            else:
                events, mask = selection.apply(events, run, geom, good)
        except DataError as exc:
            infos.append({"path": str(run.path), "error": str(exc)})
            continue
        binned += len(events)
        if binned >= FLOAT32_EXACT and out.dtype == np.float32:
            out = out.astype(np.float64)
        target = out if mask is None else np.zeros_like(out)
        if binner is not None:
            touched = _fast_add(events, geom, binner, target, track=True)[0]
            if few_bad:
                assert good is not None
                np.add.at(out, bin_indices(events.subset(~good), geom), -1.0)
                touched = touched[out[touched] != 0]
        else:
            flat = bin_indices(events, geom)
            target += np.bincount(flat, minlength=out.size)
            touched = np.unique(flat)
        if mask is not None:  # the run's safe range only
            touched = touched[mask[touched]]
            out[touched] += target[touched]
        filled.append(touched)
        infos.append(
            {
                "path": str(run.url or run.path),
                "obs_id": events.obs_id,
                "checksum": events.checksum,
                "collection": run.collection,
                "pointing": (events.meta["RA_PNT"], events.meta["DEC_PNT"]),
            }
        )
    return _counts_dtype(out), _union(filled, out), infos


#: float32 (gammapy's dtype for counts) holds whole numbers exactly up to this
FLOAT32_EXACT = 2**24


def _counts_dtype(cube: np.ndarray) -> np.ndarray:
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


_BINNERS: dict[int, tuple[Any, FastWcsBinner | None]] = {}


def _binner(geom: WcsGeom | HpxGeom) -> FastWcsBinner | None:
    """The geometry's compiled binner, made once per geometry object (it costs ~1 ms)."""
    known = _BINNERS.get(id(geom))
    if known is not None and known[0] is geom:
        return known[1]
    binner = FastWcsBinner.for_geom(geom) if isinstance(geom, WcsGeom) else None
    if len(_BINNERS) > 256:
        _BINNERS.clear()
    _BINNERS[id(geom)] = (geom, binner)  # the geometry is held: its id is not reused
    return binner


@dataclass
class CountMap(Product):
    """A counts map or cube (a gammapy ``Map``) with its provenance."""

    map: Map | None = None
    occupied: np.ndarray | None = None  # sorted flat indices of the non-zero bins, from binning

    def occupied_bins(self) -> np.ndarray:
        """Sorted flat indices of the non-zero bins (noted while binning, else found now)."""
        assert self.map is not None
        if self.occupied is None:
            self.occupied = np.flatnonzero(self.map.data)
        return self.occupied

    kind = "countmap"

    def checksum(self) -> str:
        """``sha256:<hex>`` of the counts (the digest of :meth:`Product.checksum`).

        The non-zero bins are known from binning, so the digest needs no scan of the cube.
        """
        assert self.map is not None
        data = self.map.data
        if self.occupied is None or np.any(data.ravel()[self.occupied] == 0):
            return super().checksum()
        digest = hashlib.sha256()
        digest.update(f"{data.shape}|{data.dtype.str}|".encode())
        digest.update(self.occupied.astype(np.int64).tobytes())
        digest.update(data.ravel()[self.occupied].tobytes())
        return "sha256:" + digest.hexdigest()

    def data_arrays(self) -> list[np.ndarray]:
        """Return the counts array."""
        assert self.map is not None
        return [self.map.data]

    @property
    def total(self) -> int:
        """Total number of counts."""
        assert self.map is not None
        return int(self.map.data.sum())

    def to_fits(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the map (readable by ``gammapy.maps.Map.read``) with a PROVENANCE HDU."""
        from ctanb.prov.fits import add_provenance_hdu

        assert self.map is not None
        hdulist = self.map.to_hdulist(hdu="COUNTS")
        add_provenance_hdu(hdulist, self.provenance)
        hdulist.writeto(path, overwrite=overwrite)
        return Path(path)

    @classmethod
    def read(cls, path: str | Path) -> CountMap:
        """Read a count map written by :meth:`to_fits`, with its provenance."""
        from ctanb.prov.fits import read_provenance_hdu
        from ctanb.prov.tools import _activity, _parameters, _value, lineage

        with fits.open(path) as hdulist:
            counts = Map.from_hdulist(hdulist, hdu="COUNTS")
            doc = read_provenance_hdu(hdulist)
        # FITS is big-endian: native order, so the checksum equals the written product's
        counts.data = counts.data.astype(counts.data.dtype.newbyteorder("="))
        if doc is None:
            raise DataError(f"{path}: no PROVENANCE HDU: not written by ctanb")
        activity = _activity(doc)
        record = ActivityRecord(
            name=str(_value(activity, "entry_point")).rsplit(":", 1)[-1],
            entry_point=str(_value(activity, "entry_point")),
            inputs=[
                InputFile(
                    f["path"],
                    int(f["obs_id"]) if f["obs_id"] != "None" else None,
                    f["role"],
                    f["checksum"],
                    f["collection"] or None,
                )
                for f in lineage(doc).files
            ],
            parameters=_parameters(doc),
            started=activity.get_startTime(),
            ended=activity.get_endTime(),
        )
        product = cls(record=record, map=counts)
        product.__dict__["provenance"] = doc
        return product

    def to_gammapy(self, irfs: bool = True, energy_true: Any = None) -> Any:
        """Hand over to gammapy: a ``MapDataset`` with these counts, ready to fit.

        Parameters
        ----------
        irfs : bool
            Add exposure, background model, PSF and energy dispersion, made by gammapy's
            ``MapDatasetMaker`` from each run's IRFs and stacked (default). With False, the
            dataset holds the counts only.
        energy_true : gammapy MapAxis, optional
            True-energy axis for exposure and dispersion (default 0.05 to 150 TeV, 60 bins).

        Notes
        -----
        The counts are this product's; gammapy's maker would find the same, bin for bin.
        A 2D map has no energy axis for the IRF maps: it raises DataError unless
        ``irfs=False``.
        """
        from gammapy.datasets import MapDataset

        from ctanb.analysis.handover import IRF_TYPES, load_observations

        assert self.map is not None
        name = self.product_id[:8]
        if not irfs:
            return MapDataset(counts=self.map, name=name)
        from gammapy.makers import MapDatasetMaker
        from gammapy.maps import MapAxis

        geom = self.map.geom
        if not geom.axes:
            raise DataError(
                "a 2D count map has no energy axis for the IRF maps: make a cube "
                "(energy_edges) for to_gammapy(irfs=True), or use irfs=False"
            )
        if energy_true is None:
            energy_true = MapAxis.from_energy_bounds(0.05, 150, 60, unit="TeV", name="energy_true")
        stacked = MapDataset.create(geom, energy_axis_true=energy_true, name=name)
        maker = MapDatasetMaker(selection=["exposure", "background", "psf", "edisp"])
        for observation in load_observations(self.record.inputs, required=IRF_TYPES):
            stacked.stack(
                maker.run(MapDataset.create(geom, energy_axis_true=energy_true), observation)
            )
        stacked.counts = self.map.copy()
        return stacked

    def plot(self, energy_index: int | None = None) -> Any:
        """Return a bokeh image (summed over energy unless ``energy_index``)."""
        from ctanb.analysis.plots import image_figure

        assert self.map is not None
        image = (
            self.map.sum_over_axes(keepdims=False)
            if energy_index is None and self.map.geom.axes
            else self.map
        )
        if energy_index is not None:
            image = self.map.slice_by_idx({"energy": energy_index})
        return image_figure(image, title=f"Counts ({self.total} events)")


def make_count_map(
    inputs: Iterable[Any] | str | Path,
    *,
    skydir: SkyCoord | None = None,
    frame: str = _DEFAULT.frame,
    width: Any = _DEFAULT.width,
    binsz: u.Quantity = _DEFAULT.binsz,
    proj: str = _DEFAULT.proj,
    energy_edges: u.Quantity | Sequence[float] | None = None,
    healpix_nside: int | None = None,
    on_error: str = "raise",
    archive: str | None = None,
    client: Any = None,
    apply_gti: bool = True,
    bad_time_intervals: Any = None,
    safe_mask: Any = None,
) -> CountMap:
    """Stack the counts of runs into a map (2D) or a cube (with ``energy_edges``).

    Parameters
    ----------
    inputs : paths, GADF folders or obs_ids
        Event lists; obs_ids are fetched from ``archive`` (default ``CTANB_SERVICE_URL``).
    skydir : SkyCoord, optional
        Map centre; default the mean pointing of the runs.
    frame : {"icrs", "galactic"}
        Frame of the map.
    width : Quantity
        Width (one value or two) of the map.
    binsz : Quantity
        Pixel size.
    proj : str
        WCS projection (CAR, TAN, AIT, ... any gammapy supports).
    energy_edges : Quantity, optional
        Energy bin edges (TeV if plain numbers) for a cube.
    healpix_nside : int, optional
        Make a HEALPix map of this NSIDE instead of a WCS one.
    on_error : {"raise", "skip"}
        For a bad run: stop with its error, or leave it out and list it in ``skipped``.
    archive : str, optional
        Archive URL for obs_id inputs.
    client : dask.distributed.Client, optional
        Bin the runs on dask workers (partial histograms summed); ``True`` uses
        ``CTANB_DASK_SCHEDULER`` or a LocalCluster.
    apply_gti : bool
        Count only the events inside each run's good time intervals (default).
    bad_time_intervals : Time (n, 2) or sequence of (Time, Time), optional
        Time intervals to leave out of every run, each ``[start, stop)``.
    safe_mask : list of str or SafeMask, optional
        gammapy ``SafeMaskMaker`` methods (``aeff-max``, ``edisp-bias``, ``offset-max``,
        ...) applied to each run's cube before stacking, from the run's IRFs.

    Returns
    -------
    CountMap
        ``.map`` is a gammapy Map; ``.provenance`` says how it was made.

    Raises
    ------
    DataError
        For a bad run with ``on_error="raise"``, naming the run and the problem.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    started = datetime.now(UTC)
    edges = None if energy_edges is None else u.Quantity(energy_edges, u.TeV)
    selection = EventSelection.create(apply_gti, bad_time_intervals, safe_mask)
    parameters: dict[str, Any] = {
        "skydir": skydir,
        "frame": frame,
        "width": width,
        "binsz": binsz,
        "proj": proj,
        "energy_edges": edges,
        "healpix_nside": healpix_nside,
        "on_error": on_error,
        **selection.parameters(),
    }
    runs = expand_inputs(inputs, archive=archive)
    if skydir is None:
        skydir = _mean_pointing(runs)
    geom = make_geom(
        skydir,
        frame=frame,
        width=width,
        binsz=binsz,
        proj=proj,
        energy_edges=edges,
        healpix_nside=healpix_nside,
    )
    cache_dir = None  # here: read_events's default, CTANB_CACHE (looked up only on a miss)
    if client is not None and client is not False:  # workers are told where it is
        settings_cache = get_settings().cache_dir
        cache_dir = str(settings_cache / "events") if settings_cache else None
    total, occupied, infos = _map_runs(runs, geom, cache_dir, client, selection)
    inputs_used, skipped = [], []
    for info in infos:
        if "error" in info:
            if on_error == "raise":
                raise DataError(info["error"])
            skipped.append(SkippedRun(info["path"], info["error"]))
            continue
        inputs_used.append(
            InputFile(info["path"], info["obs_id"], "events", info["checksum"], info["collection"])
        )
    if not inputs_used:
        raise DataError("no run could be binned: " + "; ".join(s.reason for s in skipped))
    record = ActivityRecord(
        name="countmap",
        entry_point=ENTRY_POINT,
        inputs=inputs_used,
        parameters=parameters,
        started=started,
        ended=datetime.now(UTC),
    )
    counts_map = Map.from_geom(geom, data=total.reshape(geom.data_shape), unit="")
    return CountMap(record=record, skipped=skipped, map=counts_map, occupied=occupied)


def _mean_pointing(runs: list[RunFile]) -> SkyCoord:
    """Mean pointing of the readable runs (the default map centre)."""
    pointings, errors = [], []
    for run in runs:
        try:
            pointings.append(read_events(run.path).pointing)
        except DataError as exc:
            errors.append(str(exc))
    if not pointings:
        raise DataError("none of the inputs could be read: " + "; ".join(errors))
    mean = SkyCoord(pointings).cartesian.mean()
    centre = SkyCoord(mean, frame="icrs", representation_type="cartesian")
    centre.representation_type = "spherical"
    return SkyCoord(centre.ra, centre.dec, frame="icrs")


def _bin_runs_sparse(
    runs: list[RunFile],
    geom: WcsGeom | HpxGeom,
    cache_dir: str | None,
    selection: EventSelection | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], list[dict[str, Any]]]:
    """:func:`_bin_runs` returning only the filled bins: less to send back from a worker."""
    cube, index, infos = _bin_runs(runs, geom, cache_dir, selection)
    if index is None:
        index = np.flatnonzero(cube)
    return (index, cube[index]), infos


def _map_runs(
    runs: list[RunFile],
    geom: Any,
    cache_dir: str | None,
    client: Any,
    selection: EventSelection | None = None,
) -> tuple[np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Bin the runs here, or in batches on dask workers (partial cubes summed, exactly)."""
    if client is None or client is False:
        return _bin_runs(runs, geom, cache_dir, selection)
    if client is True:
        from ctanb.analysis.parallel import get_client

        client = get_client()
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    stride = min(len(runs), workers)  # one batch per worker: batch b holds runs b, b + stride...
    batches = [runs[b::stride] for b in range(stride)]
    futures = client.map(
        _bin_runs_sparse,
        batches,
        geom=geom,
        cache_dir=cache_dir,
        selection=selection,
        pure=False,
    )
    total = np.zeros(int(np.prod(geom.data_shape)))  # float64: the batches' sum is exact
    infos: list[dict[str, Any]] = [{} for _ in runs]
    filled = []
    for b, ((index, counts), batch_infos) in enumerate(client.gather(futures)):
        total[index] += counts
        filled.append(index)
        for j, info in enumerate(batch_infos):
            infos[b + j * stride] = info
    return _counts_dtype(total), _union(filled, total), infos
