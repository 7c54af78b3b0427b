"""Building blocks of the analysis specs: sky centres, ON regions, energy edges, choices.

A centre is one spec field (a ``SkyCoord``) but four flat parameters: ``ra``/``dec``
(ICRS) or ``glon``/``glat`` (galactic), with a prefix (``on_ra``) where a spec has
several; the functions here declare, read and write them, and check the fields the specs
share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion

from ctanb.analysis.parameter import Parameter, ParameterError, angle, as_quantity, value_text

__all__ = [
    "centre_from_values",
    "centre_parameters",
    "centre_values",
    "check_centre",
    "check_choice",
    "check_radius",
    "energy_edges",
    "on_parameters",
    "on_region",
]


def check_choice(name: str, value: str, choices: Iterable[str]) -> None:
    """Refuse ``value`` unless it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def centre_parameters(prefix: str, what: str) -> tuple[Parameter, ...]:
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


def centre_from_values(values: Mapping[str, Any], prefix: str) -> SkyCoord | None:
    """The centre given by flat values (``ra``/``dec`` or ``glon``/``glat``), or None."""
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
        return SkyCoord(angle(ra), angle(dec), frame="icrs")
    if galactic:
        if glon is None or glat is None:
            raise ParameterError(f"give both {prefix}glon and {prefix}glat (or neither)")
        return SkyCoord(l=angle(glon), b=angle(glat), frame="galactic")
    return None


def centre_values(centre: SkyCoord | None, prefix: str) -> dict[str, Any]:
    """The flat values of a centre: galactic ones as ``glon``/``glat``, others as ICRS."""
    if centre is None:
        return {}
    if centre.frame.name == "galactic":
        return {prefix + "glon": centre.l.to(u.deg), prefix + "glat": centre.b.to(u.deg)}
    icrs = centre.icrs
    return {prefix + "ra": icrs.ra.to(u.deg), prefix + "dec": icrs.dec.to(u.deg)}


def check_centre(name: str, centre: Any) -> None:
    """Refuse a centre that is not one ``SkyCoord`` (None is allowed)."""
    if centre is not None and not isinstance(centre, SkyCoord):
        raise ParameterError(f"{name} must be a SkyCoord (or None), not {type(centre).__name__}")
    if centre is not None and not centre.isscalar:
        raise ParameterError(f"{name} must be one position")


def check_radius(name: str, value: Any) -> u.Quantity:
    """The radius ``value`` as one positive angle in degrees."""
    radius = as_quantity(value, "deg")
    if not radius.isscalar or radius.value <= 0:
        raise ParameterError(f"{name} must be one positive angle")
    return radius


def energy_edges(name: str, value: Any) -> u.Quantity:
    """The energy bin edges ``value`` (at least two increasing positive energies)."""
    edges = as_quantity(value, "TeV")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges.value) <= 0):
        raise ParameterError(f"{name} must be at least two increasing energies")
    if np.any(edges.to_value(u.TeV) <= 0):
        raise ParameterError(f"{name} must be positive energies")
    return edges


def on_parameters(radius: u.Quantity) -> tuple[Parameter, ...]:
    """Declarations of an ON region: its centre and its radius (default ``radius``)."""
    return (
        *centre_parameters("on_", "ON region centre (default: the target)"),
        Parameter(
            "on_radius", "float", "ON region radius", "deg",
            value_text(radius, "deg"), minimum=0.01, maximum=2,
        ),
    )  # fmt: skip


def on_region(centre: SkyCoord | None, radius: u.Quantity) -> CircleSkyRegion | None:
    """A ``CircleSkyRegion`` (ICRS) of ``centre`` and ``radius``; None without a centre."""
    if centre is None:
        return None
    return CircleSkyRegion(centre.icrs, radius)
