"""Excess and significance maps: ring background and Li & Ma, vectorised with FFTs.

The method is gammapy's ``RingBackgroundMaker`` followed by ``ExcessMapEstimator``, and
the maps equal theirs within float rounding:

1. each run's counts (ctanb's binning, in good time) and background model (gammapy's
   ``MapDatasetMaker`` from the run's IRFs) in one energy band, kept within the run's
   safe mask (``offset-max`` and any ``safe_mask`` methods, gammapy's ``SafeMaskMaker``),
   stacked;
2. OFF counts and OFF acceptance: counts and background outside the exclusion mask,
   correlated with a ring (inner radius ``r_in``, width ``ring_width``);
3. ON, OFF and background correlated with a top-hat of ``correlation_radius``; the
   significance is WStat's signed sqrt(TS), which for ON/OFF counts is Li & Ma (1983)
   eq. 17.

Steps 2 and 3 are :func:`~ctanb.analysis.ring.ring_significance` (re-exported here): every
correlation is one ``scipy.signal.fftconvolve`` of the whole image, so a 500 x 500 map
takes milliseconds, not a loop over pixels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker
from gammapy.maps import Map, WcsGeom

from ctanb.analysis.activity import Activity
from ctanb.analysis.events import RunFile, expand_inputs, read_events
from ctanb.analysis.exclusion import as_exclusion_mask, exclusion_parameter
from ctanb.analysis.geometry import runs_geom
from ctanb.analysis.histogram import bin_events, binner_for
from ctanb.analysis.plots import image_figure
from ctanb.analysis.product import Product
from ctanb.analysis.ring import ring_kernel, ring_significance, tophat_kernel
from ctanb.analysis.safe import SafeMask, load_observation
from ctanb.analysis.selection import EventSelection
from ctanb.errors import DataError
from ctanb.prov.fits import add_provenance_hdu

__all__ = [
    "SignificanceMap",
    "make_significance_map",
    "ring_kernel",
    "ring_significance",
    "tophat_kernel",
]

ENTRY_POINT = "ctanb.analysis.significance:make_significance_map"


@dataclass
class SignificanceMap(Product):
    """Counts, background, excess and Li & Ma significance maps, with their provenance.

    Attributes
    ----------
    maps : dict of gammapy Map
        ``counts``, ``background`` (the ring's estimate in the correlation disc),
        ``excess``, ``sqrt_ts`` (the significance), ``n_off``, ``alpha`` (2D, NaN outside
        the stacked safe mask), ``exclusion`` (True where background may be measured).
    """

    maps: dict[str, Any] | None = None
    kind = "significance"

    def data_arrays(self) -> list[np.ndarray]:
        """The counts, background and significance."""
        assert self.maps is not None
        return [np.nan_to_num(self.maps[k].data) for k in ("counts", "background", "sqrt_ts")]

    @property
    def significance(self) -> Any:
        """The Li & Ma significance map (gammapy Map)."""
        assert self.maps is not None
        return self.maps["sqrt_ts"]

    @property
    def excess(self) -> Any:
        """The excess map (ON minus background in the correlation disc)."""
        assert self.maps is not None
        return self.maps["excess"]

    def peak(self) -> tuple[float, SkyCoord]:
        """The highest significance and where it is."""
        data = np.nan_to_num(self.significance.data, nan=-np.inf)
        index = np.unravel_index(int(np.argmax(data)), data.shape)
        position = self.significance.geom.pix_to_coord(index[::-1])
        coord = SkyCoord(position[0], position[1], frame=self.significance.geom.frame)
        return float(data[index]), coord

    def to_fits(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write every map (one HDU each, read by ``gammapy.maps.Map.read``) and PROVENANCE."""
        assert self.maps is not None
        hdulist = fits.HDUList([fits.PrimaryHDU()])
        for name, image in self.maps.items():
            data = image.data.astype(np.uint8) if image.data.dtype == bool else image.data
            for hdu in image.__class__(image.geom, data=data).to_hdulist(hdu=name.upper())[1:]:
                hdulist.append(hdu)
        add_provenance_hdu(hdulist, self.provenance)
        hdulist.writeto(path, overwrite=overwrite)
        return Path(path)

    def plot(self, exclusion: bool = True) -> Any:
        """A bokeh image of the significance, with the exclusion mask's edge drawn."""
        assert self.maps is not None
        peak, _ = self.peak()
        fig = image_figure(self.significance, title=f"Li & Ma significance (peak {peak:.1f} sigma)")
        if exclusion:
            mask = np.asarray(self.maps["exclusion"].data, dtype=float)
            fig.contour(
                x=np.arange(mask.shape[1]) + 0.5,
                y=np.arange(mask.shape[0]) + 0.5,
                z=mask,
                levels=[0.5],
                line_color="white",
                line_width=2,
            )
        return fig


def _stack_run(
    events: Any,
    observation: Any,
    geom: Any,
    safe: SafeMask,
    stacked: dict[str, np.ndarray],
) -> None:
    """Add one run's counts and background model, within its safe mask, to the stack."""
    counts = bin_events(events, geom, binner=binner_for(geom))
    dataset = MapDatasetMaker(selection=["background"]).run(
        MapDataset.create(geom, name="run"), observation
    )
    mask = safe.maker(geom.center_skydir).run(dataset, observation).mask_safe.data
    image = geom.data_shape[-2:]
    run_mask = np.asarray(mask, dtype=bool).reshape(geom.data_shape)[0]
    stacked["counts"] += counts.reshape(geom.data_shape)[0] * run_mask
    stacked["background"] += (
        np.asarray(dataset.background.data, float).reshape(geom.data_shape)[0] * run_mask
    )
    stacked["safe"] |= run_mask
    assert stacked["counts"].shape == image


def make_significance_map(
    inputs: Iterable[Any] | str | Path,
    *,
    skydir: SkyCoord | None = None,
    frame: str = "icrs",
    width: Any = 5 * u.deg,
    binsz: u.Quantity = 0.02 * u.deg,
    proj: str = "CAR",
    energy_range: tuple[u.Quantity, u.Quantity] = (0.5 * u.TeV, 100 * u.TeV),
    r_in: u.Quantity = 0.5 * u.deg,
    ring_width: u.Quantity = 0.3 * u.deg,
    correlation_radius: u.Quantity = 0.1 * u.deg,
    offset_max: u.Quantity = 2.5 * u.deg,
    exclusion: Any = "catalogs",
    apply_gti: bool = True,
    bad_time_intervals: Any = None,
    safe_mask: Any = None,
    on_error: str = "raise",
    archive: str | None = None,
) -> SignificanceMap:
    """Make excess and Li & Ma significance maps with the ring background method.

    Parameters
    ----------
    inputs : paths, GADF folders or obs_ids
        Event lists with their IRFs (the background model comes from them).
    skydir, frame, width, binsz, proj
        The map's geometry (as :func:`~ctanb.analysis.make_count_map`); default centre the
        mean pointing.
    energy_range : (Quantity, Quantity)
        Reconstructed energies counted (one band).
    r_in, ring_width, correlation_radius : Quantity
        Inner radius and width of the background ring; radius of the disc the
        significance is computed in.
    offset_max : Quantity
        Each run counts only within this offset from its pointing (gammapy's
        ``offset-max`` safe mask).
    exclusion : "catalogs", None, sky regions or WcsNDMap
        Where no background may be measured: gamma-cat and HGPS sources in the field
        (default), nothing, those plus your regions, or a boolean mask (True = usable).
    apply_gti, bad_time_intervals, safe_mask, on_error, archive
        Good time and safe range of each run, what to do with a bad run, and the archive
        of obs_id inputs, as in :func:`~ctanb.analysis.make_count_map`.

    Returns
    -------
    SignificanceMap
        The maps and their provenance (``peak()`` gives the highest significance).
    """
    activity = Activity("significance", ENTRY_POINT, on_error)
    low, high = _energy_band(energy_range)
    angles = _angles(r_in, ring_width, correlation_radius, offset_max)
    selection = EventSelection.create(apply_gti, bad_time_intervals, safe_mask)
    runs = expand_inputs(inputs, archive=archive)
    geometry = {"frame": frame, "width": width, "binsz": binsz, "proj": proj}
    skydir, geom = runs_geom(runs, skydir, **geometry, energy_edges=u.Quantity([low, high]))
    safe = _with_offset_max(selection.safe_mask, offset_max)
    stacked = _stack_runs(runs, geom, selection, safe, activity)
    maps = _ring_maps(stacked, geom.to_image(), exclusion, r_in, ring_width, correlation_radius)
    parameters = {"skydir": skydir, **geometry, "energy_range": (low, high), **angles}
    parameters.update(exclusion=exclusion_parameter(exclusion), on_error=on_error)
    parameters.update(selection.parameters())
    return SignificanceMap(record=activity.record(parameters), skipped=activity.skipped, maps=maps)


def _angles(
    r_in: u.Quantity, ring_width: u.Quantity, correlation_radius: u.Quantity, offset_max: u.Quantity
) -> dict[str, u.Quantity]:
    """The map's angles in deg, as its provenance records them (the ring's checked)."""
    angles = {
        "r_in": u.Quantity(r_in, u.deg),
        "ring_width": u.Quantity(ring_width, u.deg),
        "correlation_radius": u.Quantity(correlation_radius, u.deg),
        "offset_max": u.Quantity(offset_max, u.deg),
    }
    if angles["r_in"] <= 0 * u.deg or angles["ring_width"] <= 0 * u.deg:
        raise ValueError("r_in and ring_width must be positive angles")
    return angles


def _ring_maps(
    stacked: dict[str, np.ndarray],
    image: WcsGeom,
    exclusion: Any,
    r_in: u.Quantity,
    ring_width: u.Quantity,
    correlation_radius: u.Quantity,
) -> dict[str, Map]:
    """The ring background and Li & Ma maps of the stacked images, and the exclusion."""
    excluded = _usable_pixels(exclusion, image)
    pixel = image.pixel_scales[0].to(u.deg)
    result = ring_significance(
        stacked["counts"],
        stacked["background"],
        stacked["safe"],
        excluded,
        ring_kernel(r_in, ring_width, pixel),
        tophat_kernel(correlation_radius, u.Quantity(np.mean(np.abs(image.wcs.wcs.cdelt)), u.deg)),
    )
    maps = {name: Map.from_geom(image, data=values) for name, values in result.items()}
    maps["exclusion"] = Map.from_geom(image, data=excluded)
    return maps


def _energy_band(energy_range: tuple[u.Quantity, u.Quantity]) -> tuple[u.Quantity, u.Quantity]:
    """The band's (low, high) in TeV, checked."""
    low, high = (u.Quantity(e, u.TeV) for e in energy_range)
    if not low < high:
        raise ValueError("energy_range must be (low, high) with low < high")
    return low, high


def _with_offset_max(safe_mask: SafeMask | None, offset_max: u.Quantity) -> SafeMask:
    """The safe mask with ``offset-max`` first: each run counts only near its pointing."""
    methods = tuple(safe_mask.methods) if safe_mask else ()
    base = safe_mask or SafeMask(())
    return SafeMask(
        tuple(dict.fromkeys(("offset-max", *methods))),
        offset_max=u.Quantity(offset_max, u.deg),
        aeff_percent=base.aeff_percent,
        bias_percent=base.bias_percent,
    )


def _stack_runs(
    runs: list[RunFile],
    geom: WcsGeom,
    selection: EventSelection,
    safe: SafeMask,
    activity: Activity,
) -> dict[str, np.ndarray]:
    """Stack the runs' counts, background and safe masks (2D), noting each run used."""
    shape = geom.data_shape[-2:]
    stacked = {
        "counts": np.zeros(shape),
        "background": np.zeros(shape),
        "safe": np.zeros(shape, dtype=bool),
    }
    for run in runs:
        try:
            events = selection.good_events(read_events(run.path))
            observation = load_observation(run.path, events.obs_id)
            _stack_run(events, observation, geom, safe, stacked)
        except DataError as exc:
            activity.skip(str(run.path), exc)
            continue
        activity.use(run, events)
    activity.require_inputs("could be used")
    return stacked


def _usable_pixels(exclusion: Any, image: WcsGeom) -> np.ndarray:
    """Where background may be measured, on the map's pixels (True = usable)."""
    mask_map = as_exclusion_mask(exclusion, image.center_skydir)
    if mask_map is None:
        return np.ones(image.data_shape, dtype=bool)
    # reprojected onto the map as gammapy's RingBackgroundMaker does
    return np.asarray(mask_map.get_by_coord(image.get_coord()), dtype=bool)
