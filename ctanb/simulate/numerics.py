"""Numerical pieces of the simulator: interpolation on IRF nodes, power laws, sky frames.

Everything is vectorised NumPy over events; angles are in degrees, energies in TeV.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "bilinear",
    "centres",
    "frame_to_sky",
    "node_weights",
    "power_law_integral",
    "power_law_sample",
    "sky_to_frame",
    "stochastic_node",
]


def centres(lo: np.ndarray, hi: np.ndarray, log: bool = False) -> np.ndarray:
    """Bin centres: arithmetic, or geometric with ``log``."""
    return np.sqrt(lo * hi) if log else 0.5 * (lo + hi)


def node_weights(nodes: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower node index, upper node index and upper weight of linear interpolation (clipped)."""
    x = np.clip(x, nodes[0], nodes[-1])
    hi = np.clip(np.searchsorted(nodes, x, side="right"), 1, len(nodes) - 1)
    lo = hi - 1
    weight = (x - nodes[lo]) / (nodes[hi] - nodes[lo])
    return lo, hi, weight


def bilinear(
    x_nodes: np.ndarray, y_nodes: np.ndarray, values: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Interpolate ``values[iy, ix]`` linearly at (x, y), clipped to the node range."""
    x0, x1, wx = node_weights(x_nodes, x)
    y0, y1, wy = node_weights(y_nodes, y)
    return (
        values[y0, x0] * (1 - wx) * (1 - wy)
        + values[y0, x1] * wx * (1 - wy)
        + values[y1, x0] * (1 - wx) * wy
        + values[y1, x1] * wx * wy
    )


def stochastic_node(nodes: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick the lower or upper neighbouring node with the linear-interpolation weights.

    Sampling from the node picked this way is sampling from the linear interpolation (in
    ``x``) of the nodes' distributions.
    """
    lo, hi, weight = node_weights(nodes, x)
    return np.where(rng.random(len(x)) < weight, hi, lo)


def power_law_sample(
    a: np.ndarray, b: np.ndarray, slope: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw E in [a, b] from dN/dE ∝ E**-slope (vectorised inverse CDF)."""
    k = 1.0 - slope
    log_r = np.log(b / a)
    uniform = rng.random(len(a))
    small = np.abs(k * log_r) < 1e-8
    k_safe = np.where(small, 1.0, k)
    log_x = np.where(
        small,
        uniform * log_r,
        np.log1p(uniform * np.expm1(k_safe * log_r)) / k_safe,
    )
    return np.asarray(a * np.exp(log_x))


def power_law_integral(
    a: np.ndarray, b: np.ndarray, value_a: np.ndarray, value_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Integral over [a, b] of the power law through (a, value_a), (b, value_b), and its slope."""
    slope = -np.log(value_b / value_a) / np.log(b / a)
    k = 1.0 - slope
    small = np.abs(k) < 1e-9
    integral = np.where(
        small,
        value_a * a * np.log(b / a),
        (value_b * b - value_a * a) / np.where(small, 1.0, k),
    )
    return integral, slope


def rotation(ra: float, dec: float, reflect: bool) -> np.ndarray:
    """Matrix taking ICRS unit vectors to a frame centred on (ra, dec) (deg).

    With ``reflect`` the longitude is reversed, as in gammapy's ``FoVICRSFrame``.
    """
    a, d = np.radians(ra), np.radians(dec)
    rz = np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1]])
    ry = np.array([[np.cos(d), 0, np.sin(d)], [0, 1, 0], [-np.sin(d), 0, np.cos(d)]])
    matrix = ry @ rz
    if reflect:
        matrix = np.diag([1.0, -1.0, 1.0]) @ matrix
    return np.asarray(matrix)


def to_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit vectors (3, n) of spherical coordinates in degrees."""
    lon, lat = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def from_vectors(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees of unit vectors (3, n)."""
    x, y, z = vectors
    lon = np.degrees(np.arctan2(y, x))
    lat = np.degrees(np.arcsin(np.clip(z, -1, 1)))
    return lon, lat


def frame_to_sky(
    lon: np.ndarray, lat: np.ndarray, ra: float, dec: float, reflect: bool
) -> tuple[np.ndarray, np.ndarray]:
    """ICRS (ra, dec) of frame coordinates in the frame centred on (ra, dec) (deg)."""
    ra_out, dec_out = from_vectors(rotation(ra, dec, reflect).T @ to_vectors(lon, lat))
    return np.mod(ra_out, 360.0), dec_out


def sky_to_frame(
    ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float, reflect: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Frame coordinates of ICRS (ra, dec) in the frame centred on (ra0, dec0) (deg)."""
    return from_vectors(rotation(ra0, dec0, reflect) @ to_vectors(ra, dec))
