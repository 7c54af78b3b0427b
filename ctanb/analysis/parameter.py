"""Declared parameters: what a job parameter, a command-line option and a form field share.

A :class:`Parameter` names a value, its type, unit, default and allowed range; it parses
text into a typed value (a ``Quantity`` in its unit) and writes a value back as text
(:func:`value_text`). The analysis specs (:mod:`ctanb.analysis.specs`) declare theirs
with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from astropy import units as u
from astropy.time import Time

from ctanb.errors import UsageError

__all__ = [
    "FRAMES",
    "PROJECTIONS",
    "TIME_BINNINGS",
    "Frame",
    "Parameter",
    "ParameterError",
    "Projection",
    "TimeBinning",
    "angle",
    "as_quantity",
    "number_text",
    "value_text",
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


def number_text(value: Any) -> str:
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
        value = self._typed(text)
        if self.allowed and value not in self.allowed:
            raise ParameterError(
                f"parameter {self.name}: '{text}' is not one of {', '.join(self.allowed)}"
            )
        if self.type in ("int", "float", "floats"):
            self._check_range(value if isinstance(value, list) else [value])
        if self.type in ("floats", "obs_ids", "time_bins") and not value:
            raise ParameterError(f"parameter {self.name}: give at least one value")
        if self.most is not None and isinstance(value, list) and len(value) > self.most:
            raise ParameterError(f"parameter {self.name}: give at most {self.most} values")
        if self.unit and self.type in ("float", "floats"):
            return u.Quantity(value, self.unit)
        return value

    def _typed(self, text: str) -> Any:
        """The value of ``text`` as :attr:`type` says (numbers still plain)."""
        try:
            if self.type == "int":
                return int(text)
            if self.type == "float":
                return float(text)
            if self.type == "floats":
                return [float(x) for x in text.replace(" ", "").split(",") if x]
            if self.type == "obs_ids":
                return [int(x) for x in text.replace(",", " ").split()]
            if self.type == "time_bins":
                return text if text in TIME_BINNINGS else [float(x) for x in text.split(",")]
        except ValueError as exc:
            raise ParameterError(
                f"parameter {self.name}: '{text}' is not a valid {self.type}"
                + (" ('run', 'night' or MJD edges)" if self.type == "time_bins" else "")
            ) from exc
        return text

    def _check_range(self, numbers: list[Any]) -> None:
        """Refuse numbers that are not finite or outside :attr:`minimum`, :attr:`maximum`."""
        for number in numbers:
            if not np.isfinite(number):
                raise ParameterError(f"parameter {self.name}: {number} is not a finite number")
            if self.minimum is not None and number < self.minimum:
                raise ParameterError(f"parameter {self.name}: {number} is below {self.minimum}")
            if self.maximum is not None and number > self.maximum:
                raise ParameterError(f"parameter {self.name}: {number} is above {self.maximum}")

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
        return ",".join(number_text(v) for v in np.atleast_1d(value))
    return number_text(value)


def angle(text: Any, unit: str = "deg") -> u.Quantity:
    """An angle from text with its unit (``"2 arcmin"``) or a number in ``unit``."""
    return u.Quantity(text).to(unit) if isinstance(text, str) else u.Quantity(text, unit)


def as_quantity(value: Any, unit: str) -> u.Quantity:
    """A Quantity in ``unit``'s physical type (plain numbers are taken in ``unit``)."""
    quantity = value if isinstance(value, u.Quantity) else u.Quantity(value, unit)
    try:
        return quantity.to(unit)
    except u.UnitConversionError as exc:
        raise ParameterError(f"{quantity} is not convertible to {unit}") from exc
