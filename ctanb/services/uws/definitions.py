"""Job types of the UWS service: their declared parameters and what they run.

As in OPUS, each job type declares its parameters (name, type, unit, default, allowed
values or range, description); a job whose parameters do not fit is refused at creation
with a message naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ctanb.errors import UsageError

__all__ = ["JOB_TYPES", "JobType", "Parameter", "ParameterError"]


class ParameterError(UsageError):
    """A job parameter that does not fit its declaration; the message names it."""


@dataclass(frozen=True)
class Parameter:
    """A declared job parameter.

    Parameters
    ----------
    name : str
        Name (case-insensitive in requests).
    type : str
        ``str``, ``int``, ``float``, ``floats`` (comma-separated), ``obs_ids`` or ``adql``.
    description : str
        What it means.
    unit : str
        Unit of numbers (``deg``, ``TeV``).
    default : str or None
        Value when not given; None means required (unless ``optional``).
    allowed : tuple of str
        Allowed values of a ``str`` parameter.
    minimum, maximum : float or None
        Allowed range of numbers.
    optional : bool
        May be left out without a default.
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

    def parse(self, text: str) -> Any:
        """Return the typed value of ``text``; raise ParameterError naming the parameter."""
        try:
            if self.type == "int":
                value: Any = int(text)
            elif self.type == "float":
                value = float(text)
            elif self.type == "floats":
                value = [float(x) for x in text.replace(" ", "").split(",") if x]
            elif self.type == "obs_ids":
                value = [int(x) for x in text.replace(",", " ").split()]
            else:
                value = text
        except ValueError as exc:
            raise ParameterError(
                f"parameter {self.name}: '{text}' is not a valid {self.type}"
            ) from exc
        numbers = value if isinstance(value, list) else [value]
        if self.allowed and value not in self.allowed:
            raise ParameterError(
                f"parameter {self.name}: '{text}' is not one of {', '.join(self.allowed)}"
            )
        for number in numbers if self.type in ("int", "float", "floats") else []:
            if self.minimum is not None and number < self.minimum:
                raise ParameterError(f"parameter {self.name}: {number} is below {self.minimum}")
            if self.maximum is not None and number > self.maximum:
                raise ParameterError(f"parameter {self.name}: {number} is above {self.maximum}")
        if self.type in ("floats", "obs_ids") and not value:
            raise ParameterError(f"parameter {self.name}: give at least one value")
        return value


@dataclass(frozen=True)
class JobType:
    """A kind of job: its parameters and the function that runs it."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    runner: str  # "module:function" run on a dask worker (or "tap" in the service)
    inputs: bool = True  # takes obs_ids or an ADQL query selecting them
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self, given: dict[str, str]) -> dict[str, Any]:
        """Validate a job's parameters (upper-case names); return the typed values."""
        known = {p.name.upper(): p for p in self.parameters}
        typed: dict[str, Any] = {}
        for name, text in given.items():
            if name.startswith("_") or name in ("PHASE", "RUNID", "REQUEST"):
                continue
            if name not in known:
                raise ParameterError(
                    f"unknown parameter {name} for a {self.name} job: it takes "
                    + ", ".join(sorted(known))
                )
            typed[known[name].name] = known[name].parse(text)
        for parameter in known.values():
            if parameter.name in typed:
                continue
            if parameter.default is not None:
                typed[parameter.name] = parameter.parse(parameter.default)
            elif not parameter.optional:
                raise ParameterError(
                    f"parameter {parameter.name} is required for a "
                    f"{self.name} job: {parameter.description}"
                )
        if self.inputs and "obs_ids" not in typed and "query" not in typed:
            raise ParameterError(
                f"a {self.name} job needs obs_ids or an ADQL query selecting "
                "them (parameter obs_ids or query)"
            )
        return typed


def _inputs() -> tuple[Parameter, ...]:
    return (
        Parameter(
            "obs_ids",
            "obs_ids",
            "observations to analyse (comma or space separated)",
            optional=True,
        ),
        Parameter(
            "query", "adql", "ADQL selecting the observations (its obs_id column)", optional=True
        ),
    )


_GEOMETRY = (
    Parameter(
        "ra",
        "float",
        "map centre right ascension (default: mean pointing)",
        "deg",
        optional=True,
        minimum=0,
        maximum=360,
    ),
    Parameter(
        "dec", "float", "map centre declination", "deg", optional=True, minimum=-90, maximum=90
    ),
    Parameter("width", "float", "map width", "deg", "5", minimum=0.01, maximum=180),
    Parameter("binsz", "float", "pixel size", "deg", "0.02", minimum=0.001, maximum=10),
    Parameter("frame", "str", "coordinate frame", "", "icrs", ("icrs", "galactic")),
    Parameter("proj", "str", "WCS projection", "", "CAR", ("CAR", "TAN", "AIT", "SIN", "MOL")),
    Parameter(
        "energy_edges",
        "floats",
        "energy bin edges (a cube); none for a 2D map",
        "TeV",
        optional=True,
        minimum=0.001,
        maximum=1000,
    ),
)

_ON = (
    Parameter(
        "on_ra",
        "float",
        "ON region centre RA (default: the target)",
        "deg",
        optional=True,
        minimum=0,
        maximum=360,
    ),
    Parameter(
        "on_dec", "float", "ON region centre Dec", "deg", optional=True, minimum=-90, maximum=90
    ),
    Parameter("on_radius", "float", "ON region radius", "deg", "0.11", minimum=0.01, maximum=2),
)

JOB_TYPES: dict[str, JobType] = {
    "countmap": JobType(
        "countmap",
        "Counts map or cube of the selected runs (the prototype's ctbin)",
        _inputs() + _GEOMETRY,
        "ctanb.services.uws.work:run_countmap",
    ),
    "spectrum": JobType(
        "spectrum",
        "ON/OFF spectrum with reflected OFF regions",
        _inputs()
        + _ON
        + (
            Parameter(
                "energy_edges",
                "floats",
                "energy bin edges",
                "TeV",
                "0.5,1,2,5,10,20,50,100",
                minimum=0.001,
                maximum=1000,
            ),
        ),
        "ctanb.services.uws.work:run_spectrum",
    ),
    "lightcurve": JobType(
        "lightcurve",
        "ON/OFF light curve per run or per night",
        _inputs()
        + _ON
        + (
            Parameter("e_min", "float", "lowest energy", "TeV", "1", minimum=0.001),
            Parameter("e_max", "float", "highest energy", "TeV", "100", minimum=0.001),
            Parameter(
                "time_bins", "str", "one bin per run or per night", "", "run", ("run", "night")
            ),
        ),
        "ctanb.services.uws.work:run_lightcurve",
    ),
    "copy": JobType(
        "copy",
        "Copy the selected event lists into the job's results (the prototype's test job)",
        (
            *_inputs(),
            Parameter(
                "sleep", "float", "seconds to wait first (tests)", "s", "0", minimum=0, maximum=600
            ),
        ),
        "ctanb.services.uws.work:run_copy",
    ),
    "tap": JobType(
        "tap",
        "Asynchronous TAP query (also at /tap/async)",
        (
            Parameter("LANG", "str", "query language", "", "ADQL"),
            Parameter("QUERY", "adql", "the ADQL query", optional=True),
            Parameter("FORMAT", "str", "result format", optional=True),
            Parameter("RESPONSEFORMAT", "str", "result format", optional=True),
            Parameter("MAXREC", "str", "most rows", optional=True),
        ),
        "tap",
        inputs=False,
    ),
}
