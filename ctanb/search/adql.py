"""ADQL for the archive's use cases, built from typed values.

Pure functions, no network: every value is validated and quoted here, so a target name
with a quote cannot change a query, and a wrong unit or unknown keyword raises an error
that names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.obscore import COLUMN_BY_NAME, RESULT_COLUMNS

__all__ = [
    "BLAZAR_CLASSES",
    "DEFAULT_COLUMNS",
    "Query",
    "circle",
    "cone_query",
    "literal",
    "obscore_query",
    "region_geometry",
]

TABLE = "ivoa.obscore"
#: The prototype's result columns, then what an analysis needs.
DEFAULT_COLUMNS = RESULT_COLUMNS
#: gamma-cat classes counted as blazars when a search asks for ``target_class="blazar"``.
BLAZAR_CLASSES = ("blazar", "hbl", "ibl", "lbl", "fsrq", "bllac")


class Query(str):
    """ADQL text (a ``str``) that also remembers the constraints it was built from."""

    constraints: dict[str, Any]

    def __new__(cls, text: str, constraints: dict[str, Any] | None = None) -> Query:
        """Make the query from its text and constraints."""
        query = super().__new__(cls, text)
        query.constraints = dict(constraints or {})
        return query


def literal(value: Any) -> str:
    """Return ``value`` as an ADQL literal (strings quoted with '' escapes).

    Raises
    ------
    TypeError
        For a value that is neither a string, a real number nor a boolean.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise ValueError(f"a constraint must be finite, not {value}")
        return repr(float(value))
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a text constraint cannot contain a NUL character")
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot use {type(value).__name__} {value!r} as an ADQL value")


def circle(center: SkyCoord, radius: u.Quantity) -> str:
    """``CIRCLE('ICRS', ra, dec, r)`` in degrees."""
    icrs = center.icrs
    r = _angle(radius, "radius")
    return (
        f"CIRCLE('ICRS', {literal(float(icrs.ra.deg))}, {literal(float(icrs.dec.deg))}, "
        f"{literal(r)})"
    )


def region_geometry(region: Any) -> str:
    """ADQL geometry of a ``regions`` sky region (CircleSkyRegion or PolygonSkyRegion)."""
    # regions takes ~1 s to import: only a search by region needs it
    from regions import CircleSkyRegion, PolygonSkyRegion

    if isinstance(region, CircleSkyRegion):
        return circle(region.center, region.radius)
    if isinstance(region, PolygonSkyRegion):
        vertices = region.vertices.icrs
        points = ", ".join(
            f"{literal(float(ra))}, {literal(float(dec))}"
            for ra, dec in zip(vertices.ra.deg, vertices.dec.deg, strict=True)
        )
        return f"POLYGON('ICRS', {points})"
    raise TypeError(
        f"region must be a regions CircleSkyRegion or PolygonSkyRegion, not {type(region).__name__}"
    )


def _angle(value: Any, name: str) -> float:
    if not isinstance(value, u.Quantity):
        raise TypeError(f"{name} must be an angle Quantity (e.g. 1 * u.deg), not {value!r}")
    try:
        degrees = float(value.to_value(u.deg))
    except u.UnitConversionError as exc:
        raise ValueError(f"{name} must be an angle, not in {value.unit}") from exc
    if degrees < 0:
        raise ValueError(f"{name} must not be negative")
    return degrees


def _select(columns: Sequence[str] | None) -> str:
    names = list(columns or DEFAULT_COLUMNS)
    for name in names:
        if name not in COLUMN_BY_NAME:
            raise ValueError(f"unknown ObsCore column {name!r} in columns")
    return ", ".join(names)


def cone_query(
    center: SkyCoord,
    radius: u.Quantity,
    columns: Sequence[str] | None = None,
) -> Query:
    """Return the prototype's cone search: footprints (s_region) intersecting a circle.

    Examples
    --------
    >>> from astropy.coordinates import SkyCoord
    >>> import astropy.units as u
    >>> print(cone_query(SkyCoord(83.633, 22.0145, unit="deg"), 0.1 * u.deg, ["obs_id"]))
    SELECT obs_id FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, CIRCLE('ICRS', 83.633, 22.0145, 0.1))
    """  # noqa: E501
    text = (
        f"SELECT {_select(columns)} FROM {TABLE} "
        f"WHERE 1 = INTERSECTS(s_region, {circle(center, radius)})"
    )
    return Query(text, {"center": center, "radius": radius})


# ---------------------------------------------------------------------------- ObsCore
def _time_mjd(value: Any, name: str) -> float:
    if isinstance(value, Time):
        return float(value.tt.mjd)
    raise TypeError(f"{name} takes astropy Time values, not {type(value).__name__}")


def _energy_tev(value: Any, name: str) -> float:
    if not isinstance(value, u.Quantity):
        raise TypeError(f"{name} takes energy (or wavelength) Quantities, e.g. 50 * u.TeV")
    try:
        return float(value.to_value(u.TeV, equivalencies=u.spectral()))
    except u.UnitConversionError as exc:
        raise ValueError(f"{name}: {value.unit} is not an energy, frequency or wavelength") from exc


def _column_value(column: str, value: Any) -> str:
    """Literal of ``value`` in the column's own unit (Quantity and Time converted)."""
    meta = COLUMN_BY_NAME[column]
    if isinstance(value, Time):
        if column in ("t_min", "t_max"):
            return literal(float(value.tt.mjd))
        if meta.xtype == "timestamp":
            return literal(value.utc.isot)
        raise TypeError(f"{column} does not hold times")
    if isinstance(value, u.Quantity):
        if not meta.unit:
            raise ValueError(f"{column} has no unit; give a plain number")
        try:
            return literal(float(value.to_value(u.Unit(meta.unit), equivalencies=u.spectral())))
        except u.UnitConversionError as exc:
            raise ValueError(f"{column} is in {meta.unit}, not {value.unit}") from exc
    if meta.datatype == "char" and not isinstance(value, str):
        raise TypeError(f"{column} holds text: give a string, not {value!r}")
    if meta.datatype != "char" and isinstance(value, str):
        raise TypeError(f"{column} holds numbers: give a number, not {value!r}")
    return literal(value)


def _column_condition(column: str, value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"{column}: a range is (low, high), with None for an open end")
        low, high = value
        parts = _bounds(low, high, (column, column), lambda v: _column_value(column, v))
        if not parts:
            raise ValueError(f"{column}: a range needs at least one end")
        return " AND ".join(parts)
    if isinstance(value, list | set | frozenset):
        values = sorted(value, key=str)
        if not values:
            raise ValueError(f"{column}: an empty list matches nothing")
        return f"{column} IN ({', '.join(_column_value(column, v) for v in values)})"
    return f"{column} = {_column_value(column, value)}"


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def obscore_query(
    *,
    columns: Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    region: Any = None,
    time: tuple[Time | None, Time | None] | None = None,
    energy: tuple[u.Quantity | None, u.Quantity | None] | None = None,
    events_above: u.Quantity | None = None,
    telescope: str | None = None,
    exclude_pointing_mode: str | Sequence[str] | None = None,
    order_by: str | None = "obs_id",
    **column_constraints: Any,
) -> Query:
    """ADQL for an ObsCore search; every keyword is one more AND.

    Parameters
    ----------
    columns : sequence of str, optional
        Columns to return (default: :data:`DEFAULT_COLUMNS`).
    target : str or list of str, optional
        Target name(s), compared exactly with ``target_name``.
    region : regions.SkyRegion, optional
        Footprints intersecting this circle or polygon.
    time : (Time or None, Time or None), optional
        Observations overlapping this interval (open ends allowed).
    energy : (Quantity or None, Quantity or None), optional
        Safe energy range overlapping this interval, in any energy, frequency or wavelength
        unit (converted exactly with ``astropy.units.spectral``).
    events_above : Quantity, optional
        Observations holding at least one event above this energy.
    telescope : str, optional
        Sub-array or telescope list containing this text (e.g. ``"LST"``).
    exclude_pointing_mode : str or list of str, optional
        Leave out these pointing modes (e.g. ``"divergent"``); rows without one stay.
    order_by : str or None
        Column to sort by.
    **column_constraints
        Any ObsCore column: a value (equality), a list (any of), or a ``(low, high)``
        range; Quantities and Times are converted to the column's unit. ``target_class``
        ``"blazar"`` means any of :data:`BLAZAR_CLASSES`.

    Raises
    ------
    TypeError, ValueError
        Naming the keyword with a wrong type, unit or an unknown column.
    """
    options = {
        "target": target,
        "region": region,
        "time": time,
        "energy": energy,
        "events_above": events_above,
        "telescope": telescope,
        "exclude_pointing_mode": exclude_pointing_mode,
    }
    where = _option_conditions(**options) + _column_conditions(column_constraints)
    if order_by is not None and order_by not in COLUMN_BY_NAME:
        raise ValueError(f"order_by: unknown ObsCore column {order_by!r}")
    text = f"SELECT {_select(columns)} FROM {TABLE}"
    if where:
        text += " WHERE " + " AND ".join(where)
    if order_by:
        text += f" ORDER BY {order_by}"
    constraints = {k: v for k, v in {**options, **column_constraints}.items() if v is not None}
    return Query(text, constraints)


def _bounds(low: Any, high: Any, columns: tuple[str, str], text: Callable[[Any], str]) -> list[str]:
    """``columns[0] >= low`` and ``columns[1] <= high`` for the ends given (None: open).

    ``text`` makes each end's ADQL literal.
    """
    low_column, high_column = columns
    parts = []
    if low is not None:
        parts.append(f"{low_column} >= {text(low)}")
    if high is not None:
        parts.append(f"{high_column} <= {text(high)}")
    return parts


def _option_conditions(
    *,
    target: str | Sequence[str] | None,
    region: Any,
    time: tuple[Time | None, Time | None] | None,
    energy: tuple[u.Quantity | None, u.Quantity | None] | None,
    events_above: u.Quantity | None,
    telescope: str | None,
    exclude_pointing_mode: str | Sequence[str] | None,
) -> list[str]:
    """The conditions of :func:`obscore_query`'s search options."""
    where: list[str] = []
    if target is not None:
        where.append(
            _column_condition("target_name", target if isinstance(target, str) else list(target))
        )
    if region is not None:
        where.append(f"1 = INTERSECTS(s_region, {region_geometry(region)})")
    if time is not None:  # runs overlapping the interval
        where += _bounds(*time, ("t_max", "t_min"), lambda t: literal(_time_mjd(t, "time")))
    if energy is not None:  # safe energy ranges overlapping the interval
        where += _bounds(
            *energy, ("energy_max", "energy_min"), lambda e: literal(_energy_tev(e, "energy"))
        )
    if events_above is not None:
        where.append(f"event_energy_max >= {literal(_energy_tev(events_above, 'events_above'))}")
    if telescope is not None:
        pattern = literal("%" + telescope.replace("%", "").replace("_", "") + "%")
        where.append(f"(sub_array_name LIKE {pattern} OR tel_list LIKE {pattern})")
    if exclude_pointing_mode is not None:
        modes = ", ".join(literal(m) for m in _as_list(exclude_pointing_mode))
        where.append(f"(pointing_mode IS NULL OR pointing_mode NOT IN ({modes}))")
    return where


def _column_conditions(column_constraints: dict[str, Any]) -> list[str]:
    """The conditions on ObsCore columns given by name (``target_class="blazar"``...)."""
    where = []
    for column, value in column_constraints.items():
        if column not in COLUMN_BY_NAME:
            raise TypeError(
                f"obscore_query() got an unknown keyword {column!r}: not an ObsCore "
                "column nor a search option"
            )
        if column == "target_class" and value in ("blazar", "blazars"):
            value = list(BLAZAR_CLASSES)
        where.append(_column_condition(column, value))
    return where
