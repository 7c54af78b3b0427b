"""What every analysis spec offers: parse from text, options and job parameters out.

:class:`AnalysisSpec` is the base of the frozen dataclasses of :mod:`ctanb.analysis.specs`.
A spec declares its flat parameters (:meth:`~AnalysisSpec.parameters`), which flat values
set which field (:attr:`~AnalysisSpec.flat_fields`, :attr:`~AnalysisSpec.centre_field`)
and the keyword arguments of its analysis function; from these come the text parse, the
command-line options, the job parameters and the equivalent Python.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.analysis.parameter import Parameter, ParameterError, number_text
from ctanb.analysis.specfields import centre_from_values, centre_values

__all__ = ["AnalysisSpec", "python_code", "same_value"]

_NAMED_UNITS = {"deg", "arcmin", "arcsec", "rad", "TeV", "GeV", "MeV", "s", "h", "d"}


def python_code(value: Any) -> str:
    """Python source of a spec field's value (``0.05 * u.deg``, ``SkyCoord(...)``)."""
    if isinstance(value, SkyCoord):
        frame = value.frame.name
        lon, lat = value.spherical.lon.deg, value.spherical.lat.deg
        return f"SkyCoord({number_text(lon)}, {number_text(lat)}, unit='deg', frame='{frame}')"
    if isinstance(value, Time):
        mjd = ", ".join(number_text(v) for v in np.atleast_1d(value.tt.mjd))
        return f"Time([{mjd}], format='mjd', scale='tt')"
    if isinstance(value, u.Quantity):
        name = value.unit.to_string()
        unit = f"u.{name}" if name in _NAMED_UNITS else f"u.Unit('{name}')"
        if value.isscalar:
            return f"{number_text(value.value)} * {unit}"
        numbers = ", ".join(number_text(v) for v in value.value.ravel())
        return f"[{numbers}] * {unit}"
    return repr(value)


def same_value(a: Any, b: Any) -> bool:
    """Whether two spec field values are equal (Quantities, SkyCoords and Times compared)."""
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
    """What every analysis spec offers (the dataclasses of :mod:`ctanb.analysis.specs`)."""

    #: UWS job type and CLI sub-command.
    job_type: ClassVar[str]
    #: ``module:function`` of the analysis.
    entry_point: ClassVar[str]
    #: Short name shown in forms and history.
    label: ClassVar[str]
    #: Flat parameter name -> the field it sets as it is, in the order they are written out.
    flat_fields: ClassVar[Mapping[str, str]] = {}
    #: The field holding a centre (a ``SkyCoord``) and the prefix of its flat parameters.
    centre_field: ClassVar[tuple[str, str] | None] = None

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
        fields = {name: values[flat] for flat, name in cls.flat_fields.items() if flat in values}
        if cls.centre_field is not None:
            name, prefix = cls.centre_field
            fields[name] = centre_from_values(values, prefix)
        return cls(**fields)

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
        out: dict[str, Any] = {}
        if self.centre_field is not None:
            name, prefix = self.centre_field
            out = centre_values(getattr(self, name), prefix)
        defaults = type(self)()
        for flat, name in self.flat_fields.items():
            if not same_value(getattr(self, name), getattr(defaults, name)):
                out[flat] = getattr(self, name)
        return out

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

    @classmethod
    def analysis(cls) -> Callable[..., Any]:
        """The analysis function (the one :attr:`entry_point` names)."""
        raise NotImplementedError

    def run(self, inputs: Any, **options: Any) -> Any:
        """Run the analysis here on ``inputs`` (paths or obs_ids; ``archive=`` etc. passed on)."""
        return self.analysis()(inputs, **self.kwargs(), **options)

    def to_python(self) -> str:
        """Python source that builds this spec (only fields that differ from the defaults)."""
        defaults = type(self)()
        changed = [
            f"{f.name}={python_code(getattr(self, f.name))}"
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not same_value(getattr(self, f.name), getattr(defaults, f.name))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (checked as at creation)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            same_value(getattr(self, f.name), getattr(other, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        )

    __hash__ = None  # type: ignore[assignment]
