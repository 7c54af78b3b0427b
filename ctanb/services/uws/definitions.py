"""Job types of the UWS service: their declared parameters and what they run.

As in OPUS, each job type declares its parameters (name, type, unit, default, allowed
values or range, description); a job whose parameters do not fit is refused at creation
with a message naming the parameter. The analyses' parameters are not declared here: they
come from their spec (:mod:`ctanb.analysis.specs`), which also makes the command line's
options and the notebook forms, and the runner receives the parsed spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ctanb.analysis.specs import (
    AnalysisSpec,
    CountMapSpec,
    LightCurveSpec,
    Parameter,
    ParameterError,
    SpectrumSpec,
)

__all__ = ["JOB_TYPES", "JobType", "Parameter", "ParameterError"]


@dataclass(frozen=True)
class JobType:
    """A kind of job: its parameters and the function that runs it."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    runner: str  # its function in ctanb.services.uws.work.RUNNERS (or "tap": in the service)
    inputs: bool = True  # takes obs_ids or an ADQL query selecting them
    extra: dict[str, Any] = field(default_factory=dict)
    spec: type[AnalysisSpec] | None = None  # the analysis's parameters, typed

    def check(self, given: dict[str, str]) -> dict[str, Any]:
        """Validate a job's parameters (upper-case names); return the typed values.

        For an analysis, the typed values are the inputs (``obs_ids``, ``query``) and
        ``spec``, the parsed :class:`~ctanb.analysis.specs.AnalysisSpec`.
        """
        spec_names = {p.name.upper() for p in self.spec.parameters()} if self.spec else set()
        known = {p.name.upper(): p for p in self.parameters if p.name.upper() not in spec_names}
        typed: dict[str, Any] = {}
        analysis: dict[str, str] = {}
        for name, text in given.items():
            if name.startswith("_") or name in ("PHASE", "RUNID", "REQUEST"):
                continue
            if name in spec_names:
                analysis[name] = text
                continue
            if name not in known:
                raise ParameterError(
                    f"unknown parameter {name} for a {self.name} job: it takes "
                    + ", ".join(sorted(set(known) | spec_names))
                )
            typed[known[name].name] = known[name].parse(text)
        if self.spec is not None:
            typed["spec"] = self.spec.from_text(analysis)
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


def _analysis(spec: type[AnalysisSpec], description: str) -> JobType:
    """The job type of an analysis spec: the inputs, then the spec's own parameters."""
    return JobType(
        spec.job_type,
        description,
        _inputs() + spec.parameters(),
        "spec",
        spec=spec,
    )


JOB_TYPES: dict[str, JobType] = {
    "countmap": _analysis(
        CountMapSpec, "Counts map or cube of the selected runs (the prototype's ctbin)"
    ),
    "spectrum": _analysis(SpectrumSpec, "ON/OFF spectrum with reflected OFF regions"),
    "lightcurve": _analysis(
        LightCurveSpec, "ON/OFF light curve per run, per night or between MJD edges"
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
        "copy",
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


def _significance() -> JobType:
    """The ``significance`` job type (ring background, Li & Ma; see ctanb.analysis)."""

    def angle(name: str, text: str, default: str, low: float, high: float) -> Parameter:
        return Parameter(name, "float", text, "deg", default, minimum=low, maximum=high)

    return JobType(
        "significance",
        "Excess and Li & Ma significance maps with the ring background",
        (
            *_inputs(),
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
                "dec",
                "float",
                "map centre declination",
                "deg",
                optional=True,
                minimum=-90,
                maximum=90,
            ),
            Parameter("width", "float", "map width", "deg", "5", minimum=0.01, maximum=180),
            Parameter("binsz", "float", "pixel size", "deg", "0.02", minimum=0.001, maximum=10),
            Parameter("frame", "str", "coordinate frame", "", "icrs", ("icrs", "galactic")),
            Parameter("e_min", "float", "lowest energy", "TeV", "0.5", minimum=0.001),
            Parameter("e_max", "float", "highest energy", "TeV", "100", minimum=0.001),
            angle("r_in", "inner radius of the background ring", "0.5", 0.01, 10),
            angle("ring_width", "width of the background ring", "0.3", 0.01, 10),
            angle("correlation_radius", "radius of the ON disc", "0.1", 0.005, 2),
            angle("offset_max", "largest offset from each run's pointing", "2.5", 0.1, 10),
            Parameter(
                "exclusion",
                "str",
                "exclusion mask: gamma-cat and HGPS sources, or none",
                "",
                "catalogs",
                ("catalogs", "none"),
            ),
            Parameter(
                "safe_mask",
                "str",
                "gammapy SafeMaskMaker methods per run, besides offset-max",
                "",
                "none",
                ("none", "aeff-default", "aeff-max", "edisp-bias", "aeff-max,edisp-bias"),
            ),
        ),
        "significance",
    )


JOB_TYPES["significance"] = _significance()
