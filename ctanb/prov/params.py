"""Parameters to and from JSON, exactly: Quantities, SkyCoords, Times, regions, tuples."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

__all__ = ["decode", "describe", "encode"]


def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, u.Quantity):
        return {"__quantity__": np.asarray(value.value).tolist(), "unit": value.unit.to_string()}
    if isinstance(value, SkyCoord):
        frame = value.frame.name
        sph = value.spherical
        return {"__skycoord__": [float(sph.lon.deg), float(sph.lat.deg)], "frame": frame}
    if isinstance(value, Time):
        return {"__time__": np.asarray(value.isot).tolist(), "scale": value.scale}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if type(value).__module__.startswith("regions"):
        return {"__region__": value.serialize(format="ds9")}
    raise TypeError(f"cannot record a parameter of type {type(value).__name__}: {value!r}")


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__quantity__" in value:
        return u.Quantity(value["__quantity__"], value["unit"])
    if "__skycoord__" in value:
        lon, lat = value["__skycoord__"]
        return SkyCoord(lon * u.deg, lat * u.deg, frame=value["frame"])
    if "__time__" in value:
        return Time(value["__time__"], format="isot", scale=value["scale"])
    if "__tuple__" in value:
        return tuple(_from_json(v) for v in value["__tuple__"])
    if "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if "__region__" in value:
        from regions import Regions  # lazy: ~1 s to import, only a recorded region needs it

        return Regions.parse(value["__region__"], format="ds9")[0]
    return {k: _from_json(v) for k, v in value.items()}


def encode(parameters: dict[str, Any]) -> str:
    """Encode keyword arguments as JSON that :func:`decode` turns back into equal values."""
    return json.dumps({k: _to_json(v) for k, v in parameters.items()}, sort_keys=True)


def decode(text: str) -> dict[str, Any]:
    """Decode :func:`encode`'s JSON."""
    return {k: _from_json(v) for k, v in json.loads(text).items()}


def describe(value: Any) -> tuple[str, str]:
    """Return ``(value, unit)`` texts for a ProvenanceDM parameter description."""
    if isinstance(value, u.Quantity):
        numbers = np.asarray(value.value)
        text = (  # repr of each number: exact, and 20x faster than np.array2string
            repr(float(numbers))
            if numbers.ndim == 0
            else "[" + ", ".join(repr(float(x)) for x in numbers.ravel()) + "]"
        )
        return text, value.unit.to_string()
    if isinstance(value, SkyCoord):
        sph = value.spherical
        return f"({sph.lon.deg:.6f}, {sph.lat.deg:.6f}) {value.frame.name}", "deg"
    if isinstance(value, tuple | list):
        parts = [describe(v) for v in value]
        units = {unit for _, unit in parts}
        return "(" + ", ".join(text for text, _ in parts) + ")", ",".join(sorted(units - {""}))
    return str(value), ""
