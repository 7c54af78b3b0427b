"""Products as figures: the bokeh figure of each kind of product, shown as a widget.

:func:`figure_of` picks the figure by the product's class (a local
:class:`~ctanb.analysis.CountMap`, :class:`~ctanb.analysis.OnOffSpectrum` or
:class:`~ctanb.analysis.LightCurve`, or a job's
:class:`~ctanb.jobs.results.RemoteSpectrum` or :class:`~ctanb.jobs.results.RemoteLightCurve`);
:func:`show_figure` wraps a figure as a widget that renders offline.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from astropy import units as u
from astropy.coordinates import SkyCoord

from ctanb.analysis import plots
from ctanb.jobs.results import RemoteLightCurve, RemoteSpectrum

__all__ = ["figure_of", "show_figure"]

#: Draws one product: ``(product, stretch, smooth, pointings) -> bokeh figure``.
FigureMaker = Callable[..., Any]


def show_figure(figure: Any) -> w.Widget:
    """Wrap a bokeh figure (or layout) as a widget that renders in JupyterLab, offline.

    The figure is a standalone bokeh document with BokehJS inline (no CDN) in an iframe:
    a plain widget value, so it shows from any thread (a remote job's product arrives on the
    job monitor's), and it needs no JupyterLab extension matching the bokeh version.
    """
    # bokeh takes ~1.5 s to import: loaded when the first figure is shown
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    document = file_html(figure, INLINE, title="ctanb figure")
    width, height = _extent(figure)
    frame = (
        f'<iframe class="ctanb-figure" srcdoc="{html.escape(document, quote=True)}" '
        f'style="border:0;width:{width}px;height:{height}px;max-width:100%"></iframe>'
    )
    return w.HTML(frame)


def _extent(model: Any) -> tuple[int, int]:
    """About how many pixels a bokeh figure or row/column needs."""
    # bokeh takes ~1.5 s to import: loaded when the first figure is shown
    from bokeh.models import Row

    children = getattr(model, "children", None)
    if children:
        sizes = [_extent(child) for child in children]
        if isinstance(model, Row):
            return sum(s[0] for s in sizes) + 20, max(s[1] for s in sizes)
        return max(s[0] for s in sizes), sum(s[1] for s in sizes) + 20
    width = getattr(model, "frame_width", None)
    height = getattr(model, "frame_height", None)
    if width and height:
        return int(width) + 180, int(height) + 110
    return int(getattr(model, "width", None) or 600) + 20, int(
        getattr(model, "height", None) or 400
    ) + 20


def _count_map_figure(
    value: Any, stretch: str, smooth: u.Quantity | None, pointings: SkyCoord | None
) -> Any:
    """Sky axes, ``stretch``, ``smooth`` and known sources named (HEALPix: the map's plot)."""
    assert value.map is not None
    image = value.map.sum_over_axes(keepdims=False) if value.map.geom.axes else value.map
    if not hasattr(image.geom, "wcs"):  # HEALPix: no sky image here
        return value.plot()
    return plots.image_figure(
        image,
        title=f"Counts ({value.total} events)",
        stretch=stretch,  # type: ignore[arg-type]
        smooth=smooth,
    )


def _spectrum_figure(
    value: Any, stretch: str, smooth: u.Quantity | None, pointings: SkyCoord | None
) -> Any:
    """Excess with errors, beside the ON and reflected OFF regions when ``pointings`` given."""
    # bokeh takes ~1.5 s to import: loaded when the first figure is drawn
    from bokeh.layouts import row

    spectrum = plots.spectrum_figure(value)
    if pointings is None or value.on_region is None:
        return spectrum
    return row(spectrum, plots.on_off_figure(value.on_region, pointings))


def _light_curve_figure(
    value: Any, stretch: str, smooth: u.Quantity | None, pointings: SkyCoord | None
) -> Any:
    """Excess per bin on a UTC time axis."""
    return plots.light_curve_figure(value)


@functools.cache
def _figure_makers() -> dict[type, FigureMaker]:
    """Product class -> the function drawing it."""
    # The analysis products import gammapy (~3 s): loaded when the first product is drawn,
    # not with the widgets.
    from ctanb.analysis.countmap import CountMap
    from ctanb.analysis.lightcurve import LightCurve
    from ctanb.analysis.spectrum import OnOffSpectrum

    return {
        CountMap: _count_map_figure,
        OnOffSpectrum: _spectrum_figure,
        RemoteSpectrum: _spectrum_figure,
        LightCurve: _light_curve_figure,
        RemoteLightCurve: _light_curve_figure,
    }


def figure_of(
    value: Any,
    *,
    stretch: str = "sqrt",
    smooth: u.Quantity | None = None,
    pointings: SkyCoord | None = None,
) -> Any:
    """The bokeh figure of a product, as astronomers read it (see :mod:`ctanb.analysis.plots`).

    Count maps: sky axes, ``stretch``, ``smooth`` and known sources named. Spectra: excess
    with errors, and the ON and reflected OFF regions when ``pointings`` are given. Light
    curves: a UTC time axis. Another product: its own ``plot()``, if it has one.
    """
    makers = _figure_makers()
    for cls in type(value).__mro__:
        if cls in makers:
            return makers[cls](value, stretch, smooth, pointings)
    return value.plot() if hasattr(value, "plot") else None
