"""One typed specification per analysis: what the CLI, the job service and the forms take.

A spec (:class:`CountMapSpec`, :class:`SpectrumSpec`, :class:`LightCurveSpec`) holds an
analysis's parameters as astropy types (``Quantity``, ``SkyCoord``, ``Time``) and
``Literal`` choices, each default written once, in the dataclass. From it come:

- the flat :class:`Parameter` declarations (name, unit, range, description) that the
  ``ctanb`` command line (:meth:`AnalysisSpec.add_arguments`), the UWS job types
  (``ctanb.services.uws.definitions``) and the notebook forms (``ctanb.widgets.specform``)
  all use, so a job parameter, a command-line option and a form field read alike;
- the parse of text into a spec, done once where the text enters
  (:meth:`AnalysisSpec.from_text`), with the unit from the declaration;
- the keyword arguments of the analysis function (:meth:`AnalysisSpec.kwargs`) and its run
  here (:meth:`AnalysisSpec.run`) or as job parameters for the service
  (:meth:`AnalysisSpec.to_parameters`, which ``JobClient.submit`` takes);
- the equivalent Python (:meth:`AnalysisSpec.to_python`), for the Explorer's history.

Examples
--------
>>> import astropy.units as u
>>> from ctanb.analysis.specs import CountMapSpec
>>> spec = CountMapSpec(binsz=0.05 * u.deg, energy_edges=[0.5, 5, 100] * u.TeV)
>>> spec.to_parameters()["binsz"]
'0.05'
>>> CountMapSpec.from_text({"binsz": "0.05", "energy_edges": "0.5,5,100"}) == spec
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.analysis.parameter import (
    FRAMES,
    PROJECTIONS,
    TIME_BINNINGS,
    Frame,
    Parameter,
    ParameterError,
    Projection,
    TimeBinning,
    as_quantity,
    value_text,
)
from ctanb.analysis.specbase import AnalysisSpec
from ctanb.analysis.specfields import (
    centre_parameters,
    check_centre,
    check_choice,
    check_radius,
    energy_edges,
    on_parameters,
    on_region,
)

__all__ = [
    "FRAMES",
    "PROJECTIONS",
    "SPECS",
    "TIME_BINNINGS",
    "AnalysisSpec",
    "CountMapSpec",
    "LightCurveSpec",
    "OnRegionSpec",
    "Parameter",
    "ParameterError",
    "SpectrumSpec",
    "value_text",
]


# Each spec's ``analysis()`` imports its analysis module when called, not at module top:
# that module imports gammapy (~2 s warm, ~4 s cold; the CLI, the job service's parameter
# parse and the forms read the specs without it), and it imports this module for its
# defaults, so a top-level import would also be a cycle.


# ============================================================================ count map
@dataclass(frozen=True, eq=False)
class CountMapSpec(AnalysisSpec):
    """A counts map or cube (the prototype's ctbin).

    Parameters
    ----------
    skydir : SkyCoord, optional
        Map centre (ICRS or galactic); default the mean pointing of the runs.
    width : Quantity
        Map width: one angle (square) or two (lon, lat).
    binsz : Quantity
        Pixel size.
    frame : {"icrs", "galactic"}
        Frame of the map's axes.
    proj : {"CAR", "TAN", "SIN", "ZEA", "ARC", "STG"}
        WCS projection (those the compiled binning kernel handles).
    energy_edges : Quantity, optional
        Energy bin edges: a cube; None for a 2D map.
    healpix_nside : int, optional
        HEALPix NSIDE: a HEALPix map instead of a WCS one.
    """

    skydir: SkyCoord | None = None
    width: u.Quantity = field(default_factory=lambda: 5.0 * u.deg)
    binsz: u.Quantity = field(default_factory=lambda: 0.02 * u.deg)
    frame: Frame = "icrs"
    proj: Projection = "CAR"
    energy_edges: u.Quantity | None = None
    healpix_nside: int | None = None

    job_type: ClassVar[str] = "countmap"
    entry_point: ClassVar[str] = "ctanb.analysis.countmap:make_count_map"
    label: ClassVar[str] = "Count map"
    flat_fields: ClassVar[dict[str, str]] = {
        "width": "width",
        "binsz": "binsz",
        "frame": "frame",
        "proj": "proj",
        "energy_edges": "energy_edges",
        "nside": "healpix_nside",
    }
    centre_field: ClassVar[tuple[str, str]] = ("skydir", "")

    def __post_init__(self) -> None:
        check_centre("skydir", self.skydir)
        width = as_quantity(self.width, "deg")
        if width.size not in (1, 2) or np.any(width.value <= 0):
            raise ParameterError("width must be one or two positive angles")
        object.__setattr__(self, "width", width if width.size == 2 else width.reshape(()))
        binsz = as_quantity(self.binsz, "deg")
        if not binsz.isscalar or binsz.value <= 0:
            raise ParameterError("binsz must be one positive angle")
        object.__setattr__(self, "binsz", binsz)
        check_choice("frame", self.frame, FRAMES)
        check_choice("proj", self.proj, PROJECTIONS)
        if self.energy_edges is not None:
            object.__setattr__(
                self, "energy_edges", energy_edges("energy_edges", self.energy_edges)
            )
        if self.healpix_nside is not None and (
            int(self.healpix_nside) < 1 or int(self.healpix_nside) & (int(self.healpix_nside) - 1)
        ):
            raise ParameterError("healpix_nside must be a power of two")

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Declarations of ``ra``/``dec`` or ``glon``/``glat``, ``width``, ``binsz``..."""
        d = cls()
        return (
            *centre_parameters("", "map centre (default: mean pointing)"),
            Parameter(
                "width", "floats", "map width, one or two values", "deg",
                value_text(d.width, "deg"), minimum=0.01, maximum=180, most=2,
            ),
            Parameter(
                "binsz", "float", "pixel size", "deg", value_text(d.binsz, "deg"),
                minimum=0.001, maximum=10,
            ),
            Parameter("frame", "str", "coordinate frame of the map", "", d.frame, FRAMES),
            Parameter("proj", "str", "WCS projection", "", d.proj, PROJECTIONS),
            Parameter(
                "energy_edges", "floats", "energy bin edges (a cube); none for a 2D map", "TeV",
                optional=True, minimum=0.001, maximum=1000,
            ),
            Parameter(
                "nside", "int", "HEALPix NSIDE: a HEALPix map instead", optional=True,
                minimum=1, maximum=8192,
            ),
        )  # fmt: skip

    @classmethod
    def analysis(cls) -> Callable[..., Any]:
        """:func:`~ctanb.analysis.countmap.make_count_map`."""
        # lazy: see the note above CountMapSpec
        from ctanb.analysis.countmap import make_count_map

        return make_count_map

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~ctanb.analysis.countmap.make_count_map`."""
        return {
            "skydir": self.skydir,
            "frame": self.frame,
            "width": self.width,
            "binsz": self.binsz,
            "proj": self.proj,
            "energy_edges": self.energy_edges,
            "healpix_nside": self.healpix_nside,
        }

    def geom(self, skydir: SkyCoord | None = None) -> Any:
        """The gammapy geometry (centred on ``skydir`` when the spec has no centre)."""
        # lazy: see the note above CountMapSpec
        from ctanb.analysis.countmap import make_geom

        centre = self.skydir if self.skydir is not None else skydir
        if centre is None:
            raise ParameterError("give the map centre (skydir)")
        kwargs = self.kwargs()
        kwargs.pop("skydir")
        return make_geom(centre, **kwargs)


# ============================================================================ ON/OFF
def _default_on_radius() -> u.Quantity:
    return 0.11 * u.deg


def _default_spectrum_edges() -> u.Quantity:
    return np.geomspace(0.5, 100, 16) * u.TeV


@dataclass(frozen=True, eq=False)
class OnRegionSpec(AnalysisSpec):
    """The ON region that the ON/OFF specs (spectrum, light curve) share.

    Parameters
    ----------
    on_centre : SkyCoord, optional
        ON region centre; default the first run's target (RA_OBJ/DEC_OBJ).
    on_radius : Quantity
        ON region radius.
    """

    on_centre: SkyCoord | None = None
    on_radius: u.Quantity = field(default_factory=_default_on_radius)

    centre_field: ClassVar[tuple[str, str]] = ("on_centre", "on_")

    def __post_init__(self) -> None:
        check_centre("on_centre", self.on_centre)
        object.__setattr__(self, "on_radius", check_radius("on_radius", self.on_radius))

    @property
    def on_region(self) -> Any:
        """The ON region (a ``CircleSkyRegion``), or None for the target."""
        return on_region(self.on_centre, self.on_radius)


@dataclass(frozen=True, eq=False)
class SpectrumSpec(OnRegionSpec):
    """An ON/OFF spectrum with reflected OFF regions.

    Parameters
    ----------
    on_centre, on_radius
        The ON region (see :class:`OnRegionSpec`).
    energy_edges : Quantity
        Reconstructed-energy bin edges.
    """

    energy_edges: u.Quantity = field(default_factory=_default_spectrum_edges)

    job_type: ClassVar[str] = "spectrum"
    entry_point: ClassVar[str] = "ctanb.analysis.spectrum:extract_spectrum"
    label: ClassVar[str] = "Spectrum"
    flat_fields: ClassVar[dict[str, str]] = {
        "on_radius": "on_radius",
        "energy_edges": "energy_edges",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "energy_edges", energy_edges("energy_edges", self.energy_edges))

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Declarations of the ON region and the energy edges."""
        d = cls()
        return (
            *on_parameters(d.on_radius),
            Parameter(
                "energy_edges", "floats", "reconstructed-energy bin edges", "TeV",
                value_text(d.energy_edges, "TeV"), minimum=0.001, maximum=1000,
            ),
        )  # fmt: skip

    @classmethod
    def analysis(cls) -> Callable[..., Any]:
        """:func:`~ctanb.analysis.spectrum.extract_spectrum`."""
        # lazy: see the note above CountMapSpec
        from ctanb.analysis.spectrum import extract_spectrum

        return extract_spectrum

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~ctanb.analysis.spectrum.extract_spectrum`."""
        return {"on_region": self.on_region, "energy_edges": self.energy_edges}


@dataclass(frozen=True, eq=False)
class LightCurveSpec(OnRegionSpec):
    """An ON/OFF light curve.

    Parameters
    ----------
    on_centre, on_radius
        The ON region (see :class:`OnRegionSpec`).
    e_min, e_max : Quantity
        Energy range.
    time_bins : {"run", "night"} or Time
        One bin per run, per night (24 h from noon UTC), or between given edges.
    """

    e_min: u.Quantity = field(default_factory=lambda: 1.0 * u.TeV)
    e_max: u.Quantity = field(default_factory=lambda: 100.0 * u.TeV)
    time_bins: TimeBinning | Time = "run"

    job_type: ClassVar[str] = "lightcurve"
    entry_point: ClassVar[str] = "ctanb.analysis.lightcurve:make_light_curve"
    label: ClassVar[str] = "Light curve"
    flat_fields: ClassVar[dict[str, str]] = {
        "on_radius": "on_radius",
        "e_min": "e_min",
        "e_max": "e_max",
        "time_bins": "time_bins",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        e_min, e_max = as_quantity(self.e_min, "TeV"), as_quantity(self.e_max, "TeV")
        if not (e_min.isscalar and e_max.isscalar) or not 0 < e_min < e_max:
            raise ParameterError("e_min and e_max must be energies with 0 < e_min < e_max")
        object.__setattr__(self, "e_min", e_min)
        object.__setattr__(self, "e_max", e_max)
        bins = self.time_bins
        if isinstance(bins, list | tuple | np.ndarray):
            bins = Time(np.asarray(bins, dtype=float), format="mjd", scale="tt")
        if isinstance(bins, Time):
            if bins.isscalar or len(bins) < 2 or np.any(np.diff(bins.tt.mjd) <= 0):
                raise ParameterError("time_bins edges must be at least two increasing times")
        else:
            check_choice("time_bins", bins, TIME_BINNINGS)
        object.__setattr__(self, "time_bins", bins)

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Declarations of the ON region, energy range and time bins."""
        d = cls()
        return (
            *on_parameters(d.on_radius),
            Parameter(
                "e_min", "float", "lowest energy", "TeV", value_text(d.e_min, "TeV"),
                minimum=0.001,
            ),
            Parameter(
                "e_max", "float", "highest energy", "TeV", value_text(d.e_max, "TeV"),
                minimum=0.001,
            ),
            Parameter(
                "time_bins", "time_bins",
                "one bin per run, per night, or comma-separated MJD (TT) edges", "",
                str(d.time_bins),
            ),
        )  # fmt: skip

    @classmethod
    def analysis(cls) -> Callable[..., Any]:
        """:func:`~ctanb.analysis.lightcurve.make_light_curve`."""
        # lazy: see the note above CountMapSpec
        from ctanb.analysis.lightcurve import make_light_curve

        return make_light_curve

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~ctanb.analysis.lightcurve.make_light_curve`."""
        return {
            "on_region": self.on_region,
            "energy_range": (self.e_min, self.e_max),
            "time_bins": self.time_bins,
        }


#: Job type (and CLI sub-command) -> spec class.
SPECS: dict[str, type[AnalysisSpec]] = {
    spec.job_type: spec for spec in (CountMapSpec, SpectrumSpec, LightCurveSpec)
}
