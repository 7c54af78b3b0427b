"""bokeh figures of analysis products."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["image_figure"]


def image_figure(image: Any, title: str = "Counts") -> Any:
    """Return a bokeh image of a 2D gammapy map, colour bar and RA/Dec/value on hover."""
    from bokeh.models import ColorBar, HoverTool, LinearColorMapper
    from bokeh.plotting import figure

    data = np.asarray(image.data, dtype=float)
    ny, nx = data.shape[-2:]
    data = data.reshape(ny, nx)
    mapper = LinearColorMapper(
        palette="Viridis256", low=float(np.nanmin(data)), high=float(np.nanmax(data)) or 1.0
    )
    fig = figure(
        title=title,
        width=520,
        height=480,
        x_range=(0, nx),
        y_range=(0, ny),
        x_axis_label="pixel x (RA increases to the left)",
        y_axis_label="pixel y",
    )
    lon, lat = (
        image.geom.get_coord().skycoord.spherical.lon.deg,
        image.geom.get_coord().skycoord.spherical.lat.deg,
    )
    fig.image(image=[data], x=0, y=0, dw=nx, dh=ny, color_mapper=mapper)
    centres = {
        "x": (np.arange(nx)[None, :] + 0.5).repeat(ny, 0).ravel(),
        "y": (np.arange(ny)[:, None] + 0.5).repeat(nx, 1).ravel(),
        "lon": np.asarray(lon).reshape(ny, nx).ravel(),
        "lat": np.asarray(lat).reshape(ny, nx).ravel(),
        "value": data.ravel(),
    }
    points = fig.scatter("x", "y", source=centres, size=1, alpha=0)
    fig.add_tools(
        HoverTool(
            renderers=[points],
            tooltips=[("RA/lon", "@lon{0.000}"), ("Dec/lat", "@lat{0.000}"), ("counts", "@value")],
        )
    )
    fig.add_layout(ColorBar(color_mapper=mapper, title="counts"), "right")
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
) -> Any:
    """Return a bokeh plot of points with vertical error bars."""
    from bokeh.models import ColumnDataSource, Whisker
    from bokeh.plotting import figure

    fig = figure(
        title=title,
        width=560,
        height=360,
        x_axis_label=x_label,
        y_axis_label=y_label,
        x_axis_type="log" if log_x else "linear",
    )
    source = ColumnDataSource({"x": x, "y": y, "lower": y - error, "upper": y + error})
    fig.scatter("x", "y", source=source, size=6)
    fig.add_layout(Whisker(source=source, base="x", lower="lower", upper="upper"))
    return fig
