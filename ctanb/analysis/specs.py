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

import argparse
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, get_args

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.errors import UsageError

__all__ = [
    "FRAMES",
    "PROJECTIONS",
    "SPECS",
    "TIME_BINNINGS",
    "AnalysisSpec",
    "CountMapSpec",
    "LightCurveSpec",
    "Parameter",
    "ParameterError",
    "SpectrumSpec",
]

#: WCS projections the compiled binning kernel handles (``binning.FAST_PROJECTIONS``).
Projection = Literal["CAR", "TAN", "SIN", "ZEA", "ARC", "STG"]
PROJECTIONS: tuple[str, ...] = get_args(Projection)
Frame = Literal["icrs", "galactic"]
FRAMES: tuple[str, ...] = get_args(Frame)
TimeBinning = Literal["run", "night"]
TIME_BINNINGS: tuple[str, ...] = get_args(TimeBinning)


class ParameterError(UsageError):
    """A parameter that does not fit its declaration; the message names it."""


def _number(value: Any) -> str:
    """Shortest text that reads back as the same number (integers stay integers)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a job, a command-line option and a form field.

    Parameters
    ----------
    name : str
        Name (``binsz``; ``--binsz`` on the command line; case-insensitive in job requests).
    type : str
        ``str``, ``int``, ``float``, ``floats`` (comma-separated), ``obs_ids``, ``adql``
        or ``time_bins`` (``run``, ``night`` or comma-separated MJD edges, TT).
    description : str
        What it means.
    unit : str
        Unit of numbers (``deg``, ``TeV``): :meth:`parse` returns Quantities in it.
    default : str or None
        The default as text (for descriptions; the value is the spec's); None: none.
    allowed : tuple of str
        Allowed values of a ``str`` parameter.
    minimum, maximum : float or None
        Allowed range of numbers (in ``unit``).
    optional : bool
        May be left out without a default.
    most : int or None
        Most values of a ``floats`` parameter.
    """

    name: str
    type: str
    description: str
    unit: str = ""
    default: str | None = None
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False
    most: int | None = None

    def parse(self, text: Any) -> Any:
        """Return the typed value of ``text`` (a Quantity when declared with a unit).

        Raises
        ------
        ParameterError
            Naming the parameter, when the text does not fit.
        """
        text = str(text).strip()
        try:
            if self.type == "int":
                value: Any = int(text)
            elif self.type == "float":
                value = float(text)
            elif self.type == "floats":
                value = [float(x) for x in text.replace(" ", "").split(",") if x]
            elif self.type == "obs_ids":
                value = [int(x) for x in text.replace(",", " ").split()]
            elif self.type == "time_bins":
                value = text if text in TIME_BINNINGS else [float(x) for x in text.split(",")]
            else:
                value = text
        except ValueError as exc:
            raise ParameterError(
                f"parameter {self.name}: '{text}' is not a valid {self.type}"
                + (" ('run', 'night' or MJD edges)" if self.type == "time_bins" else "")
            ) from exc
        if self.allowed and value not in self.allowed:
            raise ParameterError(
                f"parameter {self.name}: '{text}' is not one of {', '.join(self.allowed)}"
            )
        numbers = value if isinstance(value, list) else [value]
        if self.type in ("int", "float", "floats"):
            for number in numbers:
                if not np.isfinite(number):
                    raise ParameterError(f"parameter {self.name}: {number} is not a finite number")
                if self.minimum is not None and number < self.minimum:
                    raise ParameterError(f"parameter {self.name}: {number} is below {self.minimum}")
                if self.maximum is not None and number > self.maximum:
                    raise ParameterError(f"parameter {self.name}: {number} is above {self.maximum}")
        if self.type in ("floats", "obs_ids", "time_bins") and not value:
            raise ParameterError(f"parameter {self.name}: give at least one value")
        if self.most is not None and isinstance(value, list) and len(value) > self.most:
            raise ParameterError(f"parameter {self.name}: give at most {self.most} values")
        if self.unit and self.type in ("float", "floats"):
            return u.Quantity(value, self.unit)
        return value

    def text(self, value: Any) -> str:
        """The text of a value (a Quantity is converted to :attr:`unit` first)."""
        return value_text(value, self.unit)


def value_text(value: Any, unit: str = "") -> str:
    """The text of a parameter value (a Quantity in ``unit``, times as MJD TT, lists joined)."""
    if isinstance(value, u.Quantity):
        value = value.to_value(unit) if unit else value.value
    if isinstance(value, Time):
        value = value.tt.mjd
    if isinstance(value, np.ndarray | list | tuple):
        return ",".join(_number(v) for v in np.atleast_1d(value))
    return _number(value)


def _angle(text: str, unit: str = "deg") -> u.Quantity:
    return u.Quantity(text).to(unit) if isinstance(text, str) else u.Quantity(text, unit)


def _as_quantity(value: Any, unit: str) -> u.Quantity:
    """A Quantity in ``unit``'s physical type (plain numbers are taken in ``unit``)."""
    quantity = value if isinstance(value, u.Quantity) else u.Quantity(value, unit)
    try:
        return quantity.to(unit)
    except u.UnitConversionError as exc:
        raise ParameterError(f"{quantity} is not convertible to {unit}") from exc


_NAMED_UNITS = {"deg", "arcmin", "arcsec", "rad", "TeV", "GeV", "MeV", "s", "h", "d"}


def _code(value: Any) -> str:
    """Python source of a spec field's value (``0.05 * u.deg``, ``SkyCoord(...)``)."""
    if isinstance(value, SkyCoord):
        frame = value.frame.name
        lon, lat = value.spherical.lon.deg, value.spherical.lat.deg
        return f"SkyCoord({_number(lon)}, {_number(lat)}, unit='deg', frame='{frame}')"
    if isinstance(value, Time):
        mjd = ", ".join(_number(v) for v in np.atleast_1d(value.tt.mjd))
        return f"Time([{mjd}], format='mjd', scale='tt')"
    if isinstance(value, u.Quantity):
        name = value.unit.to_string()
        unit = f"u.{name}" if name in _NAMED_UNITS else f"u.Unit('{name}')"
        if value.isscalar:
            return f"{_number(value.value)} * {unit}"
        numbers = ", ".join(_number(v) for v in value.value.ravel())
        return f"[{numbers}] * {unit}"
    return repr(value)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, SkyCoord) and isinstance(b, SkyCoord):
        return a.frame.name == b.frame.name and bool(a.separation(b).deg < 1e-12)
    if isinstance(a, Time) and isinstance(b, Time):
        return a.shape == b.shape and bool(np.all(a.tt.mjd == b.tt.mjd))
    if isinstance(a, u.Quantity) and isinstance(b, u.Quantity):
        try:
            return a.shape == b.shape and bool(np.all(a == b))
        except u.UnitsError:
            return False
    if isinstance(a, u.Quantity | Time | SkyCoord) or isinstance(b, u.Quantity | Time | SkyCoord):
        return False
    return bool(a == b)


class AnalysisSpec:
    """What every analysis spec offers (the dataclasses below inherit it)."""

    #: UWS job type and CLI sub-command.
    job_type: ClassVar[str]
    #: ``module:function`` of the analysis.
    entry_point: ClassVar[str]
    #: Short name shown in forms and history.
    label: ClassVar[str]

    # ---------------------------------------------------------------- declarations
    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """The flat parameter declarations, defaults taken from the dataclass."""
        raise NotImplementedError

    @classmethod
    def defaults(cls) -> Self:
        """The spec with every default."""
        return cls()

    # ---------------------------------------------------------------- text in
    @classmethod
    def from_text(cls, given: Mapping[str, Any]) -> Self:
        """Parse parameters given as text (names case-insensitive; unknown ones refused).

        Raises
        ------
        ParameterError
            Naming the parameter that does not fit.
        """
        known = {p.name.lower(): p for p in cls.parameters()}
        typed: dict[str, Any] = {}
        for name, text in given.items():
            key = name.lower()
            if key not in known:
                raise ParameterError(
                    f"unknown parameter {name.upper()} for a {cls.job_type} job: it takes "
                    + ", ".join(sorted(p.upper() for p in known))
                )
            if text is None or str(text).strip() == "":
                continue
            typed[key] = known[key].parse(text)
        return cls.from_values(typed)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Self:
        """The spec of typed flat parameter values (as :meth:`Parameter.parse` gives)."""
        raise NotImplementedError

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Self:
        """The spec of parsed command-line options (see :meth:`add_arguments`)."""
        given = {}
        for parameter in cls.parameters():
            value = getattr(args, parameter.name, None)
            if value is not None:
                given[parameter.name] = ",".join(value) if isinstance(value, list) else value
        try:
            return cls.from_text(given)
        except ParameterError as exc:
            raise SystemExit(f"ctanb {cls.job_type}: {exc}") from exc

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add one option per parameter (``--binsz``, ``--energy-edges``...) to ``parser``."""
        for parameter in cls.parameters():
            unit = f" in {parameter.unit}" if parameter.unit else ""
            default = f" (default {parameter.default})" if parameter.default is not None else ""
            choices = f" ({', '.join(parameter.allowed)})" if parameter.allowed else ""
            several = parameter.type == "floats"
            parser.add_argument(
                "--" + parameter.name.replace("_", "-"),
                dest=parameter.name,
                nargs="+" if several else None,
                metavar=parameter.unit.upper() or parameter.type.upper(),
                help=f"{parameter.description}{unit}{choices}{default}"
                + (" (comma or space separated)" if several else ""),
            )

    # ---------------------------------------------------------------- out
    def to_values(self) -> dict[str, Any]:
        """The flat typed parameter values that differ from the defaults."""
        raise NotImplementedError

    def to_parameters(self) -> dict[str, str]:
        """The job parameters (text) of this spec: only those that differ from the defaults."""
        declared = {p.name: p for p in self.parameters()}
        return {name: declared[name].text(v) for name, v in self.to_values().items()}

    def to_cli(self) -> list[str]:
        """The equivalent ``ctanb <job_type>`` options."""
        out: list[str] = []
        for name, text in self.to_parameters().items():
            out += ["--" + name.replace("_", "-"), text]
        return out

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the analysis function."""
        raise NotImplementedError

    def run(self, inputs: Any, **options: Any) -> Any:
        """Run the analysis here on ``inputs`` (paths or obs_ids; ``archive=`` etc. passed on)."""
        import importlib

        module, _, name = self.entry_point.partition(":")
        function = getattr(importlib.import_module(module), name)
        return function(inputs, **self.kwargs(), **options)

    def to_python(self) -> str:
        """Python source that builds this spec (only fields that differ from the defaults)."""
        defaults = type(self)()
        changed = [
            f"{f.name}={_code(getattr(self, f.name))}"
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not _same(getattr(self, f.name), getattr(defaults, f.name))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (checked as at creation)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            _same(getattr(self, f.name), getattr(other, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        )

    __hash__ = None  # type: ignore[assignment]


def _check_choice(name: str, value: str, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def _centre_parameters(prefix: str, what: str) -> tuple[Parameter, ...]:
    """ICRS (``ra``/``dec``) and galactic (``glon``/``glat``) centre parameters."""
    names = (
        ("ra", "right ascension, ICRS"),
        ("dec", "declination, ICRS"),
        ("glon", "galactic longitude"),
        ("glat", "galactic latitude"),
    )
    return tuple(
        Parameter(
            f"{prefix}{name}", "float", f"{what}: {meaning}", "deg", optional=True,
            minimum=0 if "lon" in name or name == "ra" else -90,
            maximum=360 if "lon" in name or name == "ra" else 90,
        )
        for name, meaning in names
    )  # fmt: skip


def _centre_from(values: Mapping[str, Any], prefix: str) -> SkyCoord | None:
    ra, dec = values.get(prefix + "ra"), values.get(prefix + "dec")
    glon, glat = values.get(prefix + "glon"), values.get(prefix + "glat")
    icrs = ra is not None or dec is not None
    galactic = glon is not None or glat is not None
    if icrs and galactic:
        raise ParameterError(
            f"give the centre as {prefix}ra/{prefix}dec (ICRS) or as {prefix}glon/{prefix}glat "
            "(galactic), not both"
        )
    if icrs:
        if ra is None or dec is None:
            raise ParameterError(f"give both {prefix}ra and {prefix}dec (or neither)")
        return SkyCoord(_angle(ra), _angle(dec), frame="icrs")
    if galactic:
        if glon is None or glat is None:
            raise ParameterError(f"give both {prefix}glon and {prefix}glat (or neither)")
        return SkyCoord(l=_angle(glon), b=_angle(glat), frame="galactic")
    return None


def _centre_values(centre: SkyCoord | None, prefix: str) -> dict[str, Any]:
    if centre is None:
        return {}
    if centre.frame.name == "galactic":
        return {prefix + "glon": centre.l.to(u.deg), prefix + "glat": centre.b.to(u.deg)}
    icrs = centre.icrs
    return {prefix + "ra": icrs.ra.to(u.deg), prefix + "dec": icrs.dec.to(u.deg)}


def _check_centre(name: str, centre: Any) -> None:
    if centre is not None and not isinstance(centre, SkyCoord):
        raise ParameterError(f"{name} must be a SkyCoord (or None), not {type(centre).__name__}")
    if centre is not None and not centre.isscalar:
        raise ParameterError(f"{name} must be one position")


def _edges(name: str, value: Any) -> u.Quantity:
    edges = _as_quantity(value, "TeV")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges.value) <= 0):
        raise ParameterError(f"{name} must be at least two increasing energies")
    if np.any(edges.to_value(u.TeV) <= 0):
        raise ParameterError(f"{name} must be positive energies")
    return edges


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

    def __post_init__(self) -> None:
        _check_centre("skydir", self.skydir)
        width = _as_quantity(self.width, "deg")
        if width.size not in (1, 2) or np.any(width.value <= 0):
            raise ParameterError("width must be one or two positive angles")
        object.__setattr__(self, "width", width if width.size == 2 else width.reshape(()))
        binsz = _as_quantity(self.binsz, "deg")
        if not binsz.isscalar or binsz.value <= 0:
            raise ParameterError("binsz must be one positive angle")
        object.__setattr__(self, "binsz", binsz)
        _check_choice("frame", self.frame, FRAMES)
        _check_choice("proj", self.proj, PROJECTIONS)
        if self.energy_edges is not None:
            object.__setattr__(self, "energy_edges", _edges("energy_edges", self.energy_edges))
        if self.healpix_nside is not None and (
            int(self.healpix_nside) < 1 or int(self.healpix_nside) & (int(self.healpix_nside) - 1)
        ):
            raise ParameterError("healpix_nside must be a power of two")

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Declarations of ``ra``/``dec`` or ``glon``/``glat``, ``width``, ``binsz``..."""
        d = cls()
        return (
            *_centre_parameters("", "map centre (default: mean pointing)"),
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
    def from_values(cls, values: Mapping[str, Any]) -> CountMapSpec:
        """The spec of typed flat values (``ra``, ``dec``, ``width``, ``binsz``...)."""
        d = cls()
        return cls(
            skydir=_centre_from(values, ""),
            width=values.get("width", d.width),
            binsz=values.get("binsz", d.binsz),
            frame=values.get("frame", d.frame),
            proj=values.get("proj", d.proj),
            energy_edges=values.get("energy_edges"),
            healpix_nside=values.get("nside"),
        )

    def to_values(self) -> dict[str, Any]:
        """The flat values that differ from the defaults."""
        d = type(self)()
        out = _centre_values(self.skydir, "")
        for name in ("width", "binsz", "frame", "proj", "energy_edges"):
            if not _same(getattr(self, name), getattr(d, name)):
                out[name] = getattr(self, name)
        if self.healpix_nside is not None:
            out["nside"] = self.healpix_nside
        return out

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
        from ctanb.analysis.countmap import make_geom

        centre = self.skydir if self.skydir is not None else skydir
        if centre is None:
            raise ParameterError("give the map centre (skydir)")
        kwargs = self.kwargs()
        kwargs.pop("skydir")
        return make_geom(centre, **kwargs)


# ============================================================================ ON/OFF
def _on_parameters(radius: u.Quantity) -> tuple[Parameter, ...]:
    return (
        *_centre_parameters("on_", "ON region centre (default: the target)"),
        Parameter(
            "on_radius", "float", "ON region radius", "deg",
            value_text(radius, "deg"), minimum=0.01, maximum=2,
        ),
    )  # fmt: skip


def _on_region(centre: SkyCoord | None, radius: u.Quantity) -> Any:
    if centre is None:
        return None
    from regions import CircleSkyRegion

    return CircleSkyRegion(centre.icrs, radius)


def _default_on_radius() -> u.Quantity:
    return 0.11 * u.deg


def _default_spectrum_edges() -> u.Quantity:
    return np.geomspace(0.5, 100, 16) * u.TeV


@dataclass(frozen=True, eq=False)
class SpectrumSpec(AnalysisSpec):
    """An ON/OFF spectrum with reflected OFF regions.

    Parameters
    ----------
    on_centre : SkyCoord, optional
        ON region centre; default the first run's target (RA_OBJ/DEC_OBJ).
    on_radius : Quantity
        ON region radius.
    energy_edges : Quantity
        Reconstructed-energy bin edges.
    """

    on_centre: SkyCoord | None = None
    on_radius: u.Quantity = field(default_factory=_default_on_radius)
    energy_edges: u.Quantity = field(default_factory=_default_spectrum_edges)

    job_type: ClassVar[str] = "spectrum"
    entry_point: ClassVar[str] = "ctanb.analysis.spectrum:extract_spectrum"
    label: ClassVar[str] = "Spectrum"

    def __post_init__(self) -> None:
        _check_centre("on_centre", self.on_centre)
        radius = _as_quantity(self.on_radius, "deg")
        if not radius.isscalar or radius.value <= 0:
            raise ParameterError("on_radius must be one positive angle")
        object.__setattr__(self, "on_radius", radius)
        object.__setattr__(self, "energy_edges", _edges("energy_edges", self.energy_edges))

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Declarations of the ON region and the energy edges."""
        d = cls()
        return (
            *_on_parameters(d.on_radius),
            Parameter(
                "energy_edges", "floats", "reconstructed-energy bin edges", "TeV",
                value_text(d.energy_edges, "TeV"), minimum=0.001, maximum=1000,
            ),
        )  # fmt: skip

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> SpectrumSpec:
        """The spec of typed flat values."""
        d = cls()
        return cls(
            on_centre=_centre_from(values, "on_"),
            on_radius=values.get("on_radius", d.on_radius),
            energy_edges=values.get("energy_edges", d.energy_edges),
        )

    def to_values(self) -> dict[str, Any]:
        """The flat values that differ from the defaults."""
        d = type(self)()
        out = _centre_values(self.on_centre, "on_")
        for name in ("on_radius", "energy_edges"):
            if not _same(getattr(self, name), getattr(d, name)):
                out[name] = getattr(self, name)
        return out

    @property
    def on_region(self) -> Any:
        """The ON region (a ``CircleSkyRegion``), or None for the target."""
        return _on_region(self.on_centre, self.on_radius)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~ctanb.analysis.spectrum.extract_spectrum`."""
        return {"on_region": self.on_region, "energy_edges": self.energy_edges}


@dataclass(frozen=True, eq=False)
class LightCurveSpec(AnalysisSpec):
    """An ON/OFF light curve.

    Parameters
    ----------
    on_centre : SkyCoord, optional
        ON region centre; default the first run's target.
    on_radius : Quantity
        ON region radius.
    e_min, e_max : Quantity
        Energy range.
    time_bins : {"run", "night"} or Time
        One bin per run, per night (24 h from noon UTC), or between given edges.
    """

    on_centre: SkyCoord | None = None
    on_radius: u.Quantity = field(default_factory=_default_on_radius)
    e_min: u.Quantity = field(default_factory=lambda: 1.0 * u.TeV)
    e_max: u.Quantity = field(default_factory=lambda: 100.0 * u.TeV)
    time_bins: TimeBinning | Time = "run"

    job_type: ClassVar[str] = "lightcurve"
    entry_point: ClassVar[str] = "ctanb.analysis.lightcurve:make_light_curve"
    label: ClassVar[str] = "Light curve"

    def __post_init__(self) -> None:
        _check_centre("on_centre", self.on_centre)
        radius = _as_quantity(self.on_radius, "deg")
        if not radius.isscalar or radius.value <= 0:
            raise ParameterError("on_radius must be one positive angle")
        object.__setattr__(self, "on_radius", radius)
        e_min, e_max = _as_quantity(self.e_min, "TeV"), _as_quantity(self.e_max, "TeV")
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
            _check_choice("time_bins", bins, TIME_BINNINGS)
        object.__setattr__(self, "time_bins", bins)

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Declarations of the ON region, energy range and time bins."""
        d = cls()
        return (
            *_on_parameters(d.on_radius),
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
    def from_values(cls, values: Mapping[str, Any]) -> LightCurveSpec:
        """The spec of typed flat values."""
        d = cls()
        return cls(
            on_centre=_centre_from(values, "on_"),
            on_radius=values.get("on_radius", d.on_radius),
            e_min=values.get("e_min", d.e_min),
            e_max=values.get("e_max", d.e_max),
            time_bins=values.get("time_bins", d.time_bins),
        )

    def to_values(self) -> dict[str, Any]:
        """The flat values that differ from the defaults."""
        d = type(self)()
        out = _centre_values(self.on_centre, "on_")
        for name in ("on_radius", "e_min", "e_max", "time_bins"):
            if not _same(getattr(self, name), getattr(d, name)):
                out[name] = getattr(self, name)
        return out

    @property
    def on_region(self) -> Any:
        """The ON region (a ``CircleSkyRegion``), or None for the target."""
        return _on_region(self.on_centre, self.on_radius)

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
