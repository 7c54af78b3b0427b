"""bokeh figures of analysis products, drawn as astronomers read them.

Sky images keep their pixels (bokeh has no curved grid) but their axes are the sky's: the
ticks sit where the map's WCS puts round longitudes and latitudes along the image's
central row and column, labelled RA/Dec or l/b. A stretch (linear, sqrt, log) and a
Gaussian smoothing are chosen per figure; known sources (gamma-cat, HGPS) are marked and
named, and ON/OFF regions are drawn as the sky's circles projected through the WCS. Light
curves have a time axis (UTC dates), spectra a log energy axis with excess and errors.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

__all__ = [
    "STRETCHES",
    "catalogue_sources",
    "image_figure",
    "light_curve_figure",
    "on_off_figure",
    "points_figure",
    "sky_ticks",
    "spectrum_figure",
]

Stretch = Literal["linear", "sqrt", "log"]
STRETCHES: tuple[str, ...] = ("linear", "sqrt", "log")
_NICE_STEPS = np.array([1, 2, 2.5, 5, 10])


def _nice_step(span: float, count: int = 5) -> float:
    raw = max(span, 1e-9) / count
    power = 10 ** np.floor(np.log10(raw))
    return float(power * _NICE_STEPS[np.searchsorted(_NICE_STEPS, raw / power)])


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
    pix, world = pix[good], world[good]
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
    from scipy.ndimage import gaussian_filter

    sigma = u.Quantity(smooth, u.deg)
    pixel = float(np.abs(geom.pixel_scales.to_value(u.deg)).mean())
    return gaussian_filter(data, sigma.value / pixel, mode="constant")


@functools.cache
def _catalogue(path: str, kind: str) -> Table:
    if kind == "gamma-cat":
        table = Table.read(path)
        names = [str(n) for n in table["common_name"]]
        ra, dec = table["ra"], table["dec"]
    else:
        table = Table.read(path, hdu="HGPS_SOURCES")
        names = [str(n) for n in table["Source_Name"]]
        ra, dec = table["RAJ2000"], table["DEJ2000"]
    return Table(
        {
            "name": names,
            "ra": np.asarray(ra, dtype=float),
            "dec": np.asarray(dec, dtype=float),
            "catalogue": [kind] * len(names),
        }
    )


def catalogue_sources(
    centre: SkyCoord, radius: u.Quantity, catalogs_dir: str | Path | None = None
) -> Table:
    """Known VHE sources (gamma-cat, then HGPS ones gamma-cat lacks) within ``radius``.

    Parameters
    ----------
    centre : SkyCoord
        Centre of the field.
    radius : Quantity
        Radius of the field.
    catalogs_dir : path, optional
        Folder with ``gammacat/gammacat.fits.gz`` and ``hgps_catalog_v1.fits.gz``
        (default ``CTANB_CATALOGS``); missing files give no sources.

    Returns
    -------
    astropy.table.Table
        Columns ``name``, ``ra``, ``dec`` (deg, ICRS) and ``catalogue``.
    """
    if catalogs_dir is None:
        from ctanb.config import get_settings

        catalogs_dir = get_settings().catalogs_dir
    folder = Path(catalogs_dir) if catalogs_dir else None
    parts = []
    for kind, name in (
        ("gamma-cat", "gammacat/gammacat.fits.gz"),
        ("HGPS", "hgps_catalog_v1.fits.gz"),
    ):
        if folder is not None and (folder / name).exists():
            parts.append(_catalogue(str(folder / name), kind))
    out = Table(names=("name", "ra", "dec", "catalogue"), dtype=(str, float, float, str))
    kept: list[SkyCoord] = []
    for table in parts:
        coords = SkyCoord(table["ra"], table["dec"], unit="deg")
        inside = coords.separation(centre) <= radius
        for row, coord in zip(table[inside], coords[inside], strict=True):
            # one marker per source: an HGPS source gamma-cat has (within 0.1 deg) is dropped
            if any(coord.separation(k).deg < 0.1 for k in kept):
                continue
            kept.append(coord)
            out.add_row([row["name"], row["ra"], row["dec"], row["catalogue"]])
    return out


def _circle_pixels(geom: Any, centre: SkyCoord, radius: u.Quantity) -> tuple[list, list]:
    angles = np.linspace(0, 360, 73) * u.deg
    points = centre.directional_offset_by(angles, radius)
    x, y = geom.wcs.world_to_pixel(points)
    return list(np.asarray(x) + 0.5), list(np.asarray(y) + 0.5)


def image_figure(
    image: Any,
    title: str = "Counts",
    *,
    stretch: Stretch = "sqrt",
    smooth: u.Quantity | None = None,
    sources: Table | bool = True,
    regions: list[tuple[SkyCoord, u.Quantity, str]] | None = None,
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
        field (:func:`catalogue_sources`); False: none.
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
    from bokeh.models import (
        ColorBar,
        ColumnDataSource,
        FixedTicker,
        HoverTool,
        LabelSet,
        LinearColorMapper,
    )
    from bokeh.plotting import figure

    geom = image.geom
    data = np.asarray(image.data, dtype=float)
    ny, nx = data.shape[-2:]
    data = data.reshape(ny, nx)
    shown = _stretched(_smoothed(data, geom, smooth), stretch)
    finite = shown[np.isfinite(shown)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    mapper = LinearColorMapper(palette=palette, low=low, high=high if high > low else low + 1)
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
    fig.image(image=[shown], x=0, y=0, dw=nx, dh=ny, color_mapper=mapper)
    for axis, ticks_of in ((fig.xaxis, "lon"), (fig.yaxis, "lat")):
        ticks, labels = sky_ticks(geom, ticks_of)  # type: ignore[arg-type]
        axis.ticker = FixedTicker(ticks=ticks)
        axis.major_label_overrides = labels
    coords = geom.get_coord().skycoord
    centres = {
        "x": (np.arange(nx)[None, :] + 0.5).repeat(ny, 0).ravel(),
        "y": (np.arange(ny)[:, None] + 0.5).repeat(nx, 1).ravel(),
        "lon": np.asarray(coords.spherical.lon.deg).reshape(ny, nx).ravel(),
        "lat": np.asarray(coords.spherical.lat.deg).reshape(ny, nx).ravel(),
        "value": data.ravel(),
    }
    points = fig.scatter("x", "y", source=centres, size=1, alpha=0)
    names = ("l", "b") if galactic else ("RA", "Dec")
    fig.add_tools(
        HoverTool(
            renderers=[points],
            tooltips=[
                (names[0], "@lon{0.000}°"),
                (names[1], "@lat{0.000}°"),
                (value_label, "@value"),
            ],
        )
    )
    colour_title = value_label if stretch == "linear" else f"{stretch}({value_label})"
    fig.add_layout(ColorBar(color_mapper=mapper, title=colour_title), "right")
    for centre, radius, kind in regions or []:
        x, y = _circle_pixels(geom, centre, radius)
        colour = "#39ff14" if kind == "on" else "#00bfff"
        fig.line(x, y, line_color=colour, line_width=2, legend_label=kind.upper())
    if sources is True:
        centre = geom.center_skydir
        radius = float(np.max(geom.width.to_value(u.deg))) * 0.75 * u.deg
        sources = catalogue_sources(centre.icrs, radius)
    if isinstance(sources, Table) and len(sources):
        sky = SkyCoord(sources["ra"], sources["dec"], unit="deg").transform_to(geom.frame)
        px, py = geom.wcs.world_to_pixel(sky)
        sx, sy = np.asarray(px) + 0.5, np.asarray(py) + 0.5
        inside = (sx >= 0) & (sx <= nx) & (sy >= 0) & (sy <= ny)
        marked = ColumnDataSource(
            {
                "x": sx[inside],
                "y": sy[inside],
                "name": [str(n) for n in np.asarray(sources["name"])[inside]],
                "catalogue": [
                    str(c)
                    for c in np.asarray(
                        sources["catalogue"] if "catalogue" in sources.colnames else [""] * len(sx)
                    )[inside]
                ],
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
    if fig.legend:
        fig.legend.location = "top_left"
        fig.legend.background_fill_alpha = 0.4
    return fig


def points_figure(
    x: np.ndarray,
    y: np.ndarray,
    error: np.ndarray,
    *,
    x_label: str,
    y_label: str,
    title: str,
    log_x: bool = False,
    x_errors: tuple[np.ndarray, np.ndarray] | None = None,
    datetime_x: bool = False,
) -> Any:
    """Return a bokeh plot of points with vertical (and optional horizontal) error bars."""
    from bokeh.models import ColumnDataSource, Span, Whisker
    from bokeh.plotting import figure

    fig = figure(
        title=title,
        width=560,
        height=360,
        x_axis_label=x_label,
        y_axis_label=y_label,
        x_axis_type="datetime" if datetime_x else ("log" if log_x else "linear"),
    )
    columns = {"x": x, "y": y, "lower": y - error, "upper": y + error}
    if x_errors is not None:
        columns |= {"left": x_errors[0], "right": x_errors[1]}
    source = ColumnDataSource(columns)
    fig.scatter("x", "y", source=source, size=6)
    fig.add_layout(Whisker(source=source, base="x", lower="lower", upper="upper"))
    if x_errors is not None:
        fig.add_layout(
            Whisker(source=source, base="y", lower="left", upper="right", dimension="width")
        )
    fig.add_layout(Span(location=0, dimension="width", line_dash="dashed", line_alpha=0.5))
    return fig


def spectrum_figure(spectrum: Any) -> Any:
    """Excess per energy bin with Poisson errors (log energy axis, bin widths shown)."""
    edges = spectrum.energy_edges.to_value(u.TeV)
    centres = np.sqrt(edges[:-1] * edges[1:])
    error = np.sqrt(spectrum.n_on + spectrum.alpha**2 * spectrum.n_off)
    significance = float(np.nansum(spectrum.excess) / np.sqrt(np.nansum(error**2)) or 0)
    return points_figure(
        centres,
        spectrum.excess,
        error,
        x_label="reconstructed energy (TeV)",
        y_label="excess counts",
        title=f"ON/OFF spectrum: excess {np.nansum(spectrum.excess):.0f} (≈{significance:.1f} σ)",
        log_x=True,
        x_errors=(edges[:-1], edges[1:]),
    )


def light_curve_figure(curve: Any) -> Any:
    """Excess per time bin with errors on a UTC date axis (bins' extent as x errors)."""
    from astropy.time import Time

    def ms(mjd: np.ndarray) -> np.ndarray:
        return np.asarray(Time(mjd, format="mjd", scale="tt").utc.unix * 1000.0)

    error = np.sqrt(curve.n_on + curve.alpha**2 * curve.n_off)
    middle = 0.5 * (curve.time_min + curve.time_max)
    return points_figure(
        ms(middle),
        curve.excess,
        error,
        x_label="time (UTC)",
        y_label="excess counts",
        title=f"Light curve ({len(middle)} bins)",
        x_errors=(ms(curve.time_min), ms(curve.time_max)),
        datetime_x=True,
    )


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
    from bokeh.models import ColumnDataSource
    from gammapy.makers import ReflectedRegionsFinder
    from gammapy.maps import Map, WcsGeom

    centre = on_region.center.icrs
    pointings = SkyCoord(np.atleast_1d(pointings.icrs.ra), np.atleast_1d(pointings.icrs.dec))
    offset = float(np.max(centre.separation(pointings).deg)) if len(pointings) else 0.0
    width = 2 * (2 * offset + on_region.radius.to_value(u.deg)) + 0.5
    geom = WcsGeom.create(skydir=centre, width=width, binsz=width / 200, frame="icrs", proj="TAN")
    regions: list[tuple[SkyCoord, u.Quantity, str]] = [(centre, on_region.radius, "on")]
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
