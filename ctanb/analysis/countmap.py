"""Count maps and cubes: the runs' counts stacked into a gammapy ``Map``, with provenance.

The geometry is gammapy's (``WcsGeom`` or ``HpxGeom`` with an energy ``MapAxis``,
:mod:`~ctanb.analysis.geometry`); only the binning is ours (:mod:`~ctanb.analysis.histogram`,
one compiled pass per run, :mod:`~ctanb.analysis.stacking`), and the counts equal
``MapDatasetMaker``'s bin for bin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker
from gammapy.maps import Map, MapAxis

from ctanb.analysis.activity import Activity
from ctanb.analysis.events import expand_inputs
from ctanb.analysis.geometry import make_geom, runs_geom
from ctanb.analysis.handover import IRF_TYPES, load_observations
from ctanb.analysis.histogram import bin_events, bin_events_sparse, bin_indices
from ctanb.analysis.plots import image_figure
from ctanb.analysis.product import Product
from ctanb.analysis.selection import EventSelection
from ctanb.analysis.specs import CountMapSpec
from ctanb.analysis.stacking import map_runs
from ctanb.config import get_settings
from ctanb.errors import DataError
from ctanb.prov.fits import add_provenance_hdu, read_provenance_hdu
from ctanb.prov.record import InputFile
from ctanb.prov.tools import activity_record

# make_geom and the binning functions are re-exported: notebooks import them from here
__all__ = [
    "CountMap",
    "bin_events",
    "bin_events_sparse",
    "bin_indices",
    "make_count_map",
    "make_geom",
]

ENTRY_POINT = "ctanb.analysis.countmap:make_count_map"
_DEFAULT = CountMapSpec()  # the defaults, written once in the spec


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
        assert self.map is not None
        hdulist = self.map.to_hdulist(hdu="COUNTS")
        add_provenance_hdu(hdulist, self.provenance)
        hdulist.writeto(path, overwrite=overwrite)
        return Path(path)

    @classmethod
    def read(cls, path: str | Path) -> CountMap:
        """Read a count map written by :meth:`to_fits`, with its provenance."""
        with fits.open(path) as hdulist:
            counts = Map.from_hdulist(hdulist, hdu="COUNTS")
            doc = read_provenance_hdu(hdulist)
        # FITS is big-endian: native order, so the checksum equals the written product's
        counts.data = counts.data.astype(counts.data.dtype.newbyteorder("="))
        if doc is None:
            raise DataError(f"{path}: no PROVENANCE HDU: not written by ctanb")
        product = cls(record=activity_record(doc), map=counts)
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
        assert self.map is not None
        name = self.product_id[:8]
        if not irfs:
            return MapDataset(counts=self.map, name=name)
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
    frame, width, binsz, proj, energy_edges, healpix_nside
        The map's geometry, as :func:`~ctanb.analysis.geometry.make_geom` takes it:
        ``energy_edges`` (TeV if plain numbers) make a cube, ``healpix_nside`` a HEALPix map.
    on_error : {"raise", "skip"}
        For a bad run: stop with its error, or leave it out and list it in ``skipped``.
    archive : str, optional
        Archive URL for obs_id inputs.
    client : dask.distributed.Client, optional
        Bin the runs on dask workers (partial histograms summed); ``True`` uses
        ``CTANB_DASK_SCHEDULER`` or a LocalCluster.
    apply_gti, bad_time_intervals, safe_mask
        Each run's good time and safe range (applied to its cube before stacking), as
        :meth:`~ctanb.analysis.selection.EventSelection.create` takes them.

    Returns
    -------
    CountMap
        ``.map`` is a gammapy Map; ``.provenance`` says how it was made.

    Raises
    ------
    DataError
        For a bad run with ``on_error="raise"``, naming the run and the problem.
    """
    activity = Activity("countmap", ENTRY_POINT, on_error)
    selection = EventSelection.create(apply_gti, bad_time_intervals, safe_mask)
    geometry = {"frame": frame, "width": width, "binsz": binsz, "proj": proj}
    geometry["energy_edges"] = None if energy_edges is None else u.Quantity(energy_edges, u.TeV)
    geometry["healpix_nside"] = healpix_nside
    parameters = {"skydir": skydir, **geometry, "on_error": on_error, **selection.parameters()}
    runs = expand_inputs(inputs, archive=archive)
    geom = runs_geom(runs, skydir, **geometry)[1]
    total, occupied, infos = map_runs(runs, geom, _workers_cache(client), client, selection)
    _note_runs(activity, infos)
    counts_map = Map.from_geom(geom, data=total.reshape(geom.data_shape), unit="")
    record = activity.record(parameters)
    return CountMap(record=record, skipped=activity.skipped, map=counts_map, occupied=occupied)


def _note_runs(activity: Activity, infos: list[dict[str, Any]]) -> None:
    """Note each run binned (its provenance details) or not (its error) in ``activity``."""
    for info in infos:
        if "error" in info:
            activity.skip(info["path"], info["error"])
        else:
            activity.inputs.append(
                InputFile(
                    info["path"], info["obs_id"], "events", info["checksum"], info["collection"]
                )
            )
    activity.require_inputs("could be binned")


def _workers_cache(client: Any) -> str | None:
    """Where dask workers find the event cache (None here: read_events's own default).

    Here the default, ``CTANB_CACHE``, is looked up only on a miss; workers are told.
    """
    if client is None or client is False:
        return None
    settings_cache = get_settings().cache_dir
    return str(settings_cache / "events") if settings_cache else None
