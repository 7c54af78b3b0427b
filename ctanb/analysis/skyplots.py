"""bokeh figures of sky maps, with the sky's axes, a stretch, known sources and regions.

Sky images keep their pixels (bokeh has no curved grid) but their axes are the sky's: the
ticks sit where the map's WCS puts round longitudes and latitudes along the image's
central row and column, labelled RA/Dec or l/b. A stretch (linear, sqrt, log) and a
Gaussian smoothing are chosen per figure; known sources (gamma-cat, HGPS) are marked and
named, and ON/OFF regions are drawn as the sky's circles projected through the WCS.

bokeh is imported where a figure is made: it takes ~0.7 s to import (``python -X importtime
-c "import bokeh.plotting"``) and the analysis modules import this one for their
``plot()`` methods, which the job workers never call.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from scipy.ndimage import gaussian_filter

from ctanb.analysis.catalogues import catalogue_sources

__all__ = ["STRETCHES", "Stretch", "image_figure", "on_off_figure", "sky_ticks"]

Stretch = Literal["linear", "sqrt", "log"]
STRETCHES: tuple[str, ...] = ("linear", "sqrt", "log")
_NICE_STEPS = np.array([1, 2, 2.5, 5, 10])
#: A circle to draw: centre, radius and kind (``on`` or ``off``).
Region = tuple[SkyCoord, u.Quantity, str]


def _nice_step(span: float, count: int = 5) -> float:
    raw = max(span, 1e-9) / count
    power = 10 ** np.floor(np.log10(raw))
    return float(power * _NICE_STEPS[np.searchsorted(_NICE_STEPS, raw / power)])


def _axis_world(geom: Any, axis: Literal["lon", "lat"]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions along the central row (lon) or column (lat) and their sky values."""
    ny, nx = geom.data_shape[-2:]
    n = nx if axis == "lon" else ny
    pix = np.linspace(0, n - 1, 4 * n)
    if axis == "lon":
        lon, _ = geom.wcs.wcs_pix2world(pix, np.full_like(pix, (ny - 1) / 2), 0)
        world = np.degrees(np.unwrap(np.radians(lon)))
    else:
        _, world = geom.wcs.wcs_pix2world(np.full_like(pix, (nx - 1) / 2), pix, 0)
    world = np.asarray(world, dtype=float)
    good = np.isfinite(world)
    return pix[good], world[good]


def sky_ticks(
    geom: Any, axis: Literal["lon", "lat"], count: int = 5
) -> tuple[list[float], dict[float, str]]:
    """Pixel positions of round sky coordinates along the image's central row or column.

    Parameters
    ----------
    geom : gammapy.maps.WcsGeom
        The image's geometry (its ``wcs`` maps pixels to the sky).
    axis : {"lon", "lat"}
        Ticks of the x axis (longitude along the central row) or y axis (latitude along
        the central column).
    count : int
        About how many ticks.

    Returns
    -------
    ticks : list of float
        Pixel coordinates (pixel edges at 0 and n, as the bokeh image is drawn).
    labels : dict
        Tick -> label in degrees (``83.5°``).
    """
    pix, world = _axis_world(geom, axis)
    if len(world) < 2:
        return [], {}
    step = _nice_step(float(world.max() - world.min()), count)
    values = np.arange(np.ceil(world.min() / step) * step, world.max() + step / 2, step)
    order = np.argsort(world)
    decimals = max(0, int(-np.floor(np.log10(step) + 1e-9))) + (1 if step % 1 == 0.5 else 0)
    decimals = min(decimals, 4)
    ticks: list[float] = []
    labels: dict[float, str] = {}
    for value in values:
        if not world.min() <= value <= world.max():
            continue
        position = float(np.interp(value, world[order], pix[order])) + 0.5
        text = value % 360 if axis == "lon" else value
        ticks.append(position)
        labels[position] = f"{text:.{decimals}f}°"
    return ticks, labels


def _stretched(data: np.ndarray, stretch: str) -> np.ndarray:
    if stretch == "linear":
        return data
    clipped = np.clip(data, 0, None)
    if stretch == "sqrt":
        return np.sqrt(clipped)
    if stretch == "log":
        return np.log10(1 + clipped)
    raise ValueError(f"stretch must be one of {', '.join(STRETCHES)}, not {stretch!r}")


def _smoothed(data: np.ndarray, geom: Any, smooth: Any) -> np.ndarray:
    if smooth is None:
        return data
    sigma = u.Quantity(smooth, u.deg)
    pixel = float(np.abs(geom.pixel_scales.to_value(u.deg)).mean())
    return gaussian_filter(data, sigma.value / pixel, mode="constant")


def _circle_pixels(geom: Any, centre: SkyCoord, radius: u.Quantity) -> tuple[list, list]:
    angles = np.linspace(0, 360, 73) * u.deg
    points = centre.directional_offset_by(angles, radius)
    x, y = geom.wcs.world_to_pixel(points)
    return list(np.asarray(x) + 0.5), list(np.asarray(y) + 0.5)


def _sky_figure(geom: Any, title: str, stretch: str) -> Any:
    """An empty figure of the image's pixels with sky ticks and labels on its axes."""
    # bokeh takes ~0.7 s to import (see the module note)
    from bokeh.models import FixedTicker
    from bokeh.plotting import figure  # lazy too: see the comment above

    ny, nx = geom.data_shape[-2:]
    galactic = geom.frame == "galactic"
    fig = figure(
        title=title + ("" if stretch == "linear" else f" ({stretch} stretch)"),
        frame_width=440,
        frame_height=max(120, min(700, int(440 * ny / nx))),
        x_range=(0, nx),  # the WCS's negative CDELT1: longitude increases to the left
        y_range=(0, ny),
        x_axis_label="Galactic longitude l" if galactic else "Right ascension (ICRS)",
        y_axis_label="Galactic latitude b" if galactic else "Declination (ICRS)",
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    for axis, ticks_of in ((fig.xaxis, "lon"), (fig.yaxis, "lat")):
        ticks, labels = sky_ticks(geom, ticks_of)  # type: ignore[arg-type]
        axis.ticker = FixedTicker(ticks=ticks)
        axis.major_label_overrides = labels
    return fig


def _add_pixel_hover(fig: Any, geom: Any, data: np.ndarray, value_label: str) -> None:
    """Hover of each pixel: its sky position and value."""
    # bokeh takes ~0.7 s to import (see the module note)
    from bokeh.models import HoverTool

    ny, nx = data.shape
    coords = geom.get_coord().skycoord
    centres = {
        "x": (np.arange(nx)[None, :] + 0.5).repeat(ny, 0).ravel(),
        "y": (np.arange(ny)[:, None] + 0.5).repeat(nx, 1).ravel(),
        "lon": np.asarray(coords.spherical.lon.deg).reshape(ny, nx).ravel(),
        "lat": np.asarray(coords.spherical.lat.deg).reshape(ny, nx).ravel(),
        "value": data.ravel(),
    }
    points = fig.scatter("x", "y", source=centres, size=1, alpha=0)
    names = ("l", "b") if geom.frame == "galactic" else ("RA", "Dec")
    tooltips = [(names[0], "@lon{0.000}°"), (names[1], "@lat{0.000}°"), (value_label, "@value")]
    fig.add_tools(HoverTool(renderers=[points], tooltips=tooltips))


def _add_regions(fig: Any, geom: Any, regions: list[Region]) -> None:
    """Draw the ON (green) and OFF (blue) circles."""
    for centre, radius, kind in regions:
        x, y = _circle_pixels(geom, centre, radius)
        colour = "#39ff14" if kind == "on" else "#00bfff"
        fig.line(x, y, line_color=colour, line_width=2, legend_label=kind.upper())


def _field_sources(geom: Any) -> Table:
    """The catalogued sources within 0.75 map widths of the map's centre."""
    radius = float(np.max(geom.width.to_value(u.deg))) * 0.75 * u.deg
    return catalogue_sources(geom.center_skydir.icrs, radius)


def _add_sources(fig: Any, geom: Any, sources: Table) -> None:
    """Mark and name ``sources`` (``name``, ``ra``, ``dec``, ``catalogue``) inside the map."""
    # bokeh takes ~0.7 s to import (see the module note)
    from bokeh.models import ColumnDataSource, HoverTool, LabelSet

    ny, nx = geom.data_shape[-2:]
    sky = SkyCoord(sources["ra"], sources["dec"], unit="deg").transform_to(geom.frame)
    px, py = geom.wcs.world_to_pixel(sky)
    sx, sy = np.asarray(px) + 0.5, np.asarray(py) + 0.5
    inside = (sx >= 0) & (sx <= nx) & (sy >= 0) & (sy <= ny)
    catalogues = sources["catalogue"] if "catalogue" in sources.colnames else [""] * len(sx)
    marked = ColumnDataSource(
        {
            "x": sx[inside],
            "y": sy[inside],
            "name": [str(n) for n in np.asarray(sources["name"])[inside]],
            "catalogue": [str(c) for c in np.asarray(catalogues)[inside]],
        }
    )
    marker = fig.scatter(
        "x", "y", source=marked, marker="circle", size=14, fill_alpha=0,
        line_color="#00e5ff", line_width=2,
    )  # fmt: skip
    fig.add_layout(
        LabelSet(
            x="x", y="y", text="name", source=marked, x_offset=9, y_offset=6,
            text_color="#00e5ff", text_font_size="11px", text_font_style="bold",
        )
    )  # fmt: skip
    fig.add_tools(HoverTool(renderers=[marker], tooltips=[("source", "@name (@catalogue)")]))


def image_figure(
    image: Any,
    title: str = "Counts",
    *,
    stretch: Stretch = "sqrt",
    smooth: u.Quantity | None = None,
    sources: Table | bool = True,
    regions: list[Region] | None = None,
    value_label: str = "counts",
    palette: str = "Inferno256",
) -> Any:
    """A bokeh image of a 2D sky map with sky axes, a stretch, sources and regions.

    Parameters
    ----------
    image : gammapy.maps.WcsNDMap
        A 2D map (sum a cube over energy first).
    title : str
        Figure title.
    stretch : {"linear", "sqrt", "log"}
        Colour scale.
    smooth : Quantity, optional
        Gaussian smoothing width (sigma, an angle).
    sources : Table or bool
        Sources to mark and name (``name``, ``ra``, ``dec``); True: gamma-cat/HGPS in the
        field (:func:`~ctanb.analysis.catalogues.catalogue_sources`); False: none.
    regions : list of (SkyCoord, Quantity, str), optional
        Circles to draw: centre, radius, kind (``on`` or ``off``).
    value_label : str
        What the pixels hold (hover and colour bar).
    palette : str
        bokeh palette name.

    Returns
    -------
    bokeh.plotting.figure
    """
    # bokeh takes ~0.7 s to import (see the module note)
    from bokeh.models import ColorBar, LinearColorMapper

    geom = image.geom
    data = np.asarray(image.data, dtype=float)
    ny, nx = data.shape[-2:]
    data = data.reshape(ny, nx)
    shown = _stretched(_smoothed(data, geom, smooth), stretch)
    finite = shown[np.isfinite(shown)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    mapper = LinearColorMapper(palette=palette, low=low, high=high if high > low else low + 1)
    fig = _sky_figure(geom, title, stretch)
    fig.image(image=[shown], x=0, y=0, dw=nx, dh=ny, color_mapper=mapper)
    _add_pixel_hover(fig, geom, data, value_label)
    colour_title = value_label if stretch == "linear" else f"{stretch}({value_label})"
    fig.add_layout(ColorBar(color_mapper=mapper, title=colour_title), "right")
    _add_regions(fig, geom, regions or [])
    if sources is True:
        sources = _field_sources(geom)
    if isinstance(sources, Table) and len(sources):
        _add_sources(fig, geom, sources)
    if fig.legend:
        fig.legend.location = "top_left"
        fig.legend.background_fill_alpha = 0.4
    return fig


def on_off_figure(
    on_region: Any, pointings: SkyCoord, title: str = "ON and reflected OFF regions"
) -> Any:
    """The ON region and each run's reflected OFF regions on the sky, pointings marked.

    Parameters
    ----------
    on_region : regions.CircleSkyRegion
        The ON region.
    pointings : SkyCoord
        The runs' pointing positions (one OFF set per run, as the analysis finds them).
    title : str
        Figure title.
    """
    # bokeh takes ~0.7 s to import (see the module note)
    from bokeh.models import ColumnDataSource

    # gammapy takes ~1.2 s to import: the widgets load this module without it
    from gammapy.makers import ReflectedRegionsFinder
    from gammapy.maps import Map, WcsGeom

    centre = on_region.center.icrs
    pointings = SkyCoord(np.atleast_1d(pointings.icrs.ra), np.atleast_1d(pointings.icrs.dec))
    offset = float(np.max(centre.separation(pointings).deg)) if len(pointings) else 0.0
    width = 2 * (2 * offset + on_region.radius.to_value(u.deg)) + 0.5
    geom = WcsGeom.create(skydir=centre, width=width, binsz=width / 200, frame="icrs", proj="TAN")
    regions: list[Region] = [(centre, on_region.radius, "on")]
    finder = ReflectedRegionsFinder()
    for pointing in pointings:
        found, _ = finder.run(region=on_region, center=pointing)
        regions += [(off.center, off.radius, "off") for off in found if hasattr(off, "radius")]
    fig = image_figure(
        Map.from_geom(geom), title, stretch="linear", regions=regions, palette="Greys256"
    )
    x, y = geom.wcs.world_to_pixel(pointings)
    fig.scatter(
        "x", "y", source=ColumnDataSource({"x": np.asarray(x) + 0.5, "y": np.asarray(y) + 0.5}),
        marker="cross", size=12, line_color="#ff5050", line_width=2, legend_label="pointing",
    )  # fmt: skip
    return fig
