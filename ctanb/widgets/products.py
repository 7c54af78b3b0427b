"""The analyses the workbench runs, the products they made, and how a product is shown.

An :class:`AnalysisRun` is one run from the Actions panel: the product it made (a
:class:`ctanb.analysis.product.Product`, or a job's
:class:`~ctanb.jobs.results.TableResult`) with how it was made (the runs, the spec, here or on
the service). A :class:`ProductView` shows one: title, plot with stretch and smoothing, and the
provenance graph on demand.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
from astropy import units as u

from ctanb.analysis.product import Product as AnalysisProduct
from ctanb.analysis.specs import AnalysisSpec, CountMapSpec, LightCurveSpec, SpectrumSpec
from ctanb.jobs.results import TableResult
from ctanb.prov import to_svg
from ctanb.widgets.figures import figure_of, show_figure

__all__ = ["ANALYSES", "AnalysisRun", "ProductView"]

#: Product kind -> (button label, spec class): an explicit mapping, no look-up by name.
ANALYSES: dict[str, tuple[str, type[AnalysisSpec]]] = {
    "count_map": ("Create count map(s)", CountMapSpec),
    "spectrum": ("Extract spectrum", SpectrumSpec),
    "light_curve": ("Light curve", LightCurveSpec),
}


@dataclass
class AnalysisRun:
    """One analysis run from the widget and the product it made.

    (Formerly ``ctanb.widgets.Product``, still an alias: this is not a product but a run
    holding one, its :attr:`value`.)

    Attributes
    ----------
    kind : str
        ``count_map``, ``spectrum`` or ``light_curve`` (a key of :data:`ANALYSES`).
    obs_ids : list of str
        The runs analysed.
    value : ctanb.analysis.product.Product or ctanb.jobs.results.TableResult
        The product (``CountMap``...), with its provenance; a spectrum or light curve made
        on the service is the job's table and provenance.
    spec : AnalysisSpec, optional
        The parameters it was made with.
    where : str
        ``here`` or ``service``.
    job_id : str, optional
        The UWS job that made it (``service``).
    name : str
        Its key in the history's ``products`` (``count_map_1``).
    pointings : SkyCoord, optional
        The runs' pointings (to draw the OFF regions of spectra).
    """

    kind: str
    obs_ids: list[str]
    value: AnalysisProduct | TableResult
    spec: AnalysisSpec | None = None
    where: str = "here"
    job_id: str | None = None
    name: str = ""
    pointings: Any = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The analysis's button label (``Create count map(s)``...)."""
        return ANALYSES[self.kind][0]

    @property
    def is_sky_image(self) -> bool:
        """Whether the product is a sky image (a count map): stretch, smoothing, sky overlay."""
        return issubclass(ANALYSES[self.kind][1], CountMapSpec)


class ProductView(w.VBox):
    """A product as shown in the Explorer: title, plot (with stretch/smoothing), provenance.

    Local and remote products are shown alike; the provenance graph opens on demand.

    Parameters
    ----------
    product : AnalysisRun
        The run whose product is shown (kept as :attr:`product`).
    """

    def __init__(self, product: AnalysisRun) -> None:
        self.product = product
        where = f"on the service, job {product.job_id}" if product.where == "service" else "here"
        title = (
            f"<b>{html.escape(product.label)}</b> — "
            f"{html.escape(', '.join(product.obs_ids))} ({html.escape(where)}; "
            f"<code>{html.escape(product.name)}</code>)"
        )
        self.stretch = w.Dropdown(
            description="Stretch", options=["linear", "sqrt", "log"], value="sqrt",
            layout=w.Layout(width="200px"),
        )  # fmt: skip
        self.smooth = w.BoundedFloatText(
            description="Smooth (deg)", value=0.0, min=0.0, max=2.0, step=0.02,
            layout=w.Layout(width="200px"), style={"description_width": "90px"},
        )  # fmt: skip
        self.figure = w.Box()
        self.provenance = w.Accordion([w.HTML("")], titles=("Provenance",), selected_index=None)
        self.provenance.observe(self._open_provenance, names="selected_index")
        controls: list[w.Widget] = []
        if product.is_sky_image:
            controls = [w.HBox([self.stretch, self.smooth])]
            self.stretch.observe(lambda _: self.draw(), names="value")
            self.smooth.observe(lambda _: self.draw(), names="value")
        super().__init__([w.HTML(title), *controls, self.figure, self.provenance])
        self.add_class("ctanb-product")
        self.add_class(f"ctanb-product-{product.kind}")
        self.draw()

    def draw(self) -> None:
        """(Re)draw the figure with the chosen stretch and smoothing."""
        smooth = self.smooth.value * u.deg if self.smooth.value > 0 else None
        figure = figure_of(
            self.product.value,
            stretch=self.stretch.value,
            smooth=smooth,
            pointings=self.product.pointings,
        )
        self.figure.children = [show_figure(figure)] if figure is not None else []

    def _open_provenance(self, change: dict) -> None:
        if change["new"] is None or self.provenance.children[0].value:
            return
        self.provenance.children[0].value = to_svg(self.product.value.provenance)
