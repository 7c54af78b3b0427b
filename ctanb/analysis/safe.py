"""Safe data ranges per run: gammapy's ``SafeMaskMaker`` methods, as an analysis option.

Every analysis (count maps, ON/OFF spectra, light curves, significance maps) takes
``safe_mask=SafeMask(["aeff-max", "edisp-bias", "offset-max"])`` (or just the list of
methods). The masks are gammapy's own, made from each run's DL3 IRFs (``irfs="DL3"``), so
a product's counts equal those of gammapy's makers followed by the same ``SafeMaskMaker``.
Which methods, with which options, are recorded in the product's provenance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from gammapy.datasets import MapDataset, SpectrumDataset
from gammapy.makers import SafeMaskMaker
from gammapy.maps import Map, MapAxis, RegionGeom, RegionNDMap

from ctanb.analysis.handover import load_observations
from ctanb.errors import DataError
from ctanb.prov.record import InputFile

__all__ = ["SAFE_METHODS", "SafeMask", "as_safe_mask", "load_observation"]

#: the methods offered (gammapy's names)
SAFE_METHODS = ("aeff-default", "aeff-max", "edisp-bias", "offset-max", "bkg-peak")
#: energies on which an event-level threshold is found (100 bins per decade)
THRESHOLD_GRID = np.logspace(-2, 3, 501) * u.TeV
#: default largest offset of ``offset-max``
OFFSET_MAX = Angle(2.5, "deg")


@dataclass(frozen=True)
class SafeMask:
    """Which safe-range methods to apply to every run, with their options.

    Parameters
    ----------
    methods : tuple of str
        gammapy ``SafeMaskMaker`` methods: ``aeff-default`` (the IRF's declared threshold),
        ``aeff-max`` (effective area above ``aeff_percent`` % of its maximum),
        ``edisp-bias`` (energy bias below ``bias_percent`` %), ``offset-max`` (pixels or
        regions within ``offset_max`` of the pointing), ``bkg-peak``.
    offset_max : Angle
        Largest offset from the pointing for ``offset-max``.
    aeff_percent, bias_percent : float
        Thresholds of ``aeff-max`` and ``edisp-bias``.
    """

    methods: tuple[str, ...]
    offset_max: Angle = OFFSET_MAX
    aeff_percent: float = 10.0
    bias_percent: float = 10.0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.methods) - set(SAFE_METHODS))
        if unknown:
            raise ValueError(
                f"safe_mask: unknown method(s) {', '.join(unknown)}; choose from "
                + ", ".join(SAFE_METHODS)
            )
        object.__setattr__(self, "methods", tuple(self.methods))
        object.__setattr__(self, "offset_max", Angle(self.offset_max))

    def maker(self, position: SkyCoord | None = None) -> Any:
        """The ``SafeMaskMaker`` of gammapy with these settings (DL3 IRFs, at ``position``)."""
        return SafeMaskMaker(
            methods=list(self.methods),
            aeff_percent=self.aeff_percent,
            bias_percent=self.bias_percent,
            offset_max=self.offset_max,
            position=position,
            irfs="DL3",
        )

    def as_parameter(self) -> dict[str, Any]:
        """The settings as a provenance parameter (units kept)."""
        return {
            "methods": list(self.methods),
            "offset_max": u.Quantity(self.offset_max.to(u.deg)),
            "aeff_percent": self.aeff_percent,
            "bias_percent": self.bias_percent,
        }

    def map_mask(self, observation: Any, geom: Any) -> np.ndarray:
        """The run's safe mask on a map geometry (WCS or HEALPix, with energy axis)."""
        dataset = MapDataset(counts=Map.from_geom(geom, dtype=np.float32), name="safe")
        masked = self.maker(geom.center_skydir).run(dataset, observation)
        return np.asarray(masked.mask_safe.data, dtype=bool)

    def region_mask(self, observation: Any, region: Any, energy_edges: u.Quantity) -> np.ndarray:
        """The run's safe mask per energy bin of an ON region (a spectrum's bins)."""
        axis = MapAxis.from_edges(energy_edges, name="energy", interp="log")
        geom = RegionGeom.create(region=region, axes=[axis])
        dataset = SpectrumDataset(counts=RegionNDMap.from_geom(geom), name="safe")
        masked = self.maker(region.center).run(dataset, observation)
        return np.asarray(masked.mask_safe.data, dtype=bool).ravel()

    def energy_threshold(self, observation: Any, region: Any) -> u.Quantity:
        """Lowest safe energy of a run for an ON region (``inf`` when none is safe).

        The lower edge of the first safe bin on a grid of 100 bins per decade: the events
        at or above it are kept, as gammapy keeps the bins whose lower edge is above its
        threshold.
        """
        mask = self.region_mask(observation, region, THRESHOLD_GRID)
        if not mask.any():
            return np.inf * u.TeV
        return THRESHOLD_GRID[int(np.argmax(mask))]


def as_safe_mask(value: SafeMask | Iterable[str] | dict[str, Any] | None) -> SafeMask | None:
    """A :class:`SafeMask` from method names or its recorded parameter (None: no mask)."""
    if value is None or isinstance(value, SafeMask):
        return value
    if isinstance(value, dict):
        return SafeMask(**{**value, "methods": tuple(value["methods"])})
    if isinstance(value, str):
        value = [value]
    methods = tuple(value)
    return SafeMask(methods) if methods else None


def load_observation(path: Any, obs_id: int | None) -> Any:
    """The gammapy observation (events and IRFs) of one run file, for its safe mask."""
    try:
        return load_observations([InputFile(str(path), obs_id)])[0]
    except DataError as exc:
        raise DataError(f"{exc}: its IRFs are needed for the safe mask (safe_mask)") from exc
