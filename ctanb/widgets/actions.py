"""Actions on the selected observations: analyses (here or on the service), products, SAMP.

Each analysis has a form made from its spec (:mod:`ctanb.analysis.specs`), pre-filled from
the selection (centred on the resolved target, wide enough for the selected fields of
view). "Run here" calls the analysis in the kernel; "Run on the service" submits the same
spec as a UWS job, followed in the Jobs tab, and its product is shown exactly as a local
one when the job ends: plot with sky axes, stretch and smoothing, and provenance. Every
product is kept in :attr:`Actions.products`, and every run is recorded as ctanb Python in
the Explorer's history.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.analysis.specs import (
    AnalysisSpec,
    CountMapSpec,
    LightCurveSpec,
    ParameterError,
    SpectrumSpec,
)
from ctanb.config import get_settings
from ctanb.errors import ConfigurationError, CtanbError
from ctanb.widgets.samp import SampSender, WebSamp
from ctanb.widgets.specform import SpecForm, describe, spec_for_selection

__all__ = ["ANALYSES", "WHERE", "Actions", "Product", "figure_of", "show_figure"]

#: Product kind -> (button label, spec class): an explicit mapping, no look-up by name.
ANALYSES: dict[str, tuple[str, type[AnalysisSpec]]] = {
    "count_map": ("Create count map(s)", CountMapSpec),
    "spectrum": ("Extract spectrum", SpectrumSpec),
    "light_curve": ("Light curve", LightCurveSpec),
}
#: Where an analysis runs: label -> value.
WHERE = {"Run here": "here", "Run on the service": "service"}


@dataclass
class Product:
    """One analysis result made from the widget.

    Attributes
    ----------
    kind : str
        ``count_map``, ``spectrum`` or ``light_curve``.
    obs_ids : list of str
        The runs analysed.
    value : object
        The ctanb product (``CountMap``...), with its provenance.
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
    value: Any
    spec: AnalysisSpec | None = None
    where: str = "here"
    job_id: str | None = None
    name: str = ""
    pointings: Any = field(default=None, repr=False)


def show_figure(figure: Any) -> w.Widget:
    """Wrap a bokeh figure (or layout) as a widget that renders in JupyterLab, offline.

    The figure is a standalone bokeh document with BokehJS inline (no CDN) in an iframe:
    a plain widget value, so it shows from any thread (a remote job's product arrives on the
    job monitor's), and it needs no JupyterLab extension matching the bokeh version.
    """
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
    children = getattr(model, "children", None)
    if children:
        sizes = [_extent(child) for child in children]
        if type(model).__name__ == "Row":
            return sum(s[0] for s in sizes) + 20, max(s[1] for s in sizes)
        return max(s[0] for s in sizes), sum(s[1] for s in sizes) + 20
    width = getattr(model, "frame_width", None)
    height = getattr(model, "frame_height", None)
    if width and height:
        return int(width) + 180, int(height) + 110
    return int(getattr(model, "width", None) or 600) + 20, int(
        getattr(model, "height", None) or 400
    ) + 20


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
    curves: a UTC time axis.
    """
    from ctanb.analysis import CountMap, LightCurve, OnOffSpectrum, plots

    if isinstance(value, CountMap):
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
    if isinstance(value, OnOffSpectrum) or getattr(value, "kind", "") == "spectrum":
        from bokeh.layouts import row

        spectrum = plots.spectrum_figure(value)
        if pointings is None or value.on_region is None:
            return spectrum
        return row(spectrum, plots.on_off_figure(value.on_region, pointings))
    if isinstance(value, LightCurve) or getattr(value, "kind", "") == "lightcurve":
        return plots.light_curve_figure(value)
    return value.plot() if hasattr(value, "plot") else None


class Actions(w.VBox):
    """Analyses of a selection (here or on the service), their products, and SAMP.

    Parameters
    ----------
    selection : callable
        Returns the selected rows (an ObsCore :class:`~astropy.table.Table`).
    results : callable
        Returns the whole result table (for "Send result table").
    archive : str, optional
        Archive service URL the analyses read from (default ``CTANB_SERVICE_URL``).
    on_product : callable, optional
        Called with each new :class:`Product` (the Explorer overlays count maps on the sky).
    samp : SampSender, optional
        Kernel-side SAMP client (one is created when first needed).
    samp_mode : {"auto", "kernel", "web"}
        How "Send ..." reaches the desktop tools: from the kernel (a hub beside the kernel),
        from the browser (SAMP Web Profile, for hosted notebooks), or the kernel first and
        the browser when no hub is found beside the kernel.
    target : callable, optional
        Returns the resolved target (a SkyCoord) or None: the forms centre on it.
    record : callable, optional
        Called with ``(kind, code, title)`` for each run: the Explorer's history.
    monitor : callable, optional
        Returns the :class:`~ctanb.widgets.jobs.JobMonitor` that follows remote runs.

    Attributes
    ----------
    forms : dict
        Kind -> :class:`~ctanb.widgets.specform.SpecForm`.
    where : ipywidgets.ToggleButtons
        "Run here" or "Run on the service".
    """

    def __init__(
        self,
        selection: Callable[[], Table],
        results: Callable[[], Table | None],
        archive: str | None = None,
        on_product: Callable[[Product], None] | None = None,
        samp: SampSender | None = None,
        samp_mode: str = "auto",
        target: Callable[[], SkyCoord | None] | None = None,
        record: Callable[[str, str, str], Any] | None = None,
        monitor: Callable[[], Any] | None = None,
    ) -> None:
        if samp_mode not in ("auto", "kernel", "web"):
            raise ValueError(f"samp_mode must be 'auto', 'kernel' or 'web', not {samp_mode!r}")
        self.samp_mode = samp_mode
        self.web_samp = WebSamp()
        self._selection = selection
        self._results = results
        self._target = target or (lambda: None)
        self._record = record
        self._monitor = monitor
        self.archive = archive or get_settings().service_url
        self._on_product = on_product
        self.samp = samp or SampSender()
        self.products: list[Product] = []
        self._counter: dict[str, int] = {}
        self._lock = threading.Lock()
        self.buttons = {
            kind: w.Button(description=label, layout=w.Layout(width="auto"))
            for kind, (label, _) in ANALYSES.items()
        }
        for kind, button in self.buttons.items():
            button.on_click(lambda _, kind=kind: self.run(kind))
        self.forms = {kind: SpecForm(spec) for kind, (_, spec) in ANALYSES.items()}
        self.form_tabs = w.Tab(
            list(self.forms.values()), titles=[spec.label for _, spec in ANALYSES.values()]
        )
        self.where = w.ToggleButtons(options=list(WHERE.items()), value="here")
        self.where.add_class("ctanb-where")
        self.fill_button = w.Button(description="Fill from selection", icon="crosshairs")
        self.fill_button.on_click(lambda _: self.prefill())
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.run_button.add_class("ctanb-run")
        self.run_button.on_click(lambda _: self.run(self.current_kind))
        self.summary = w.HTML()
        self.send_table_button = w.Button(description="Send result table", icon="share")
        self.send_data_button = w.Button(description="Send selected data", icon="share")
        self.send_table_button.on_click(lambda _: self.send_table())
        self.send_data_button.on_click(lambda _: self.send_data())
        self.status = w.HTML("")
        self.plots = w.VBox([])
        self.form_panel = w.VBox(
            [
                self.form_tabs,
                w.HBox([self.where, self.fill_button, self.run_button]),
                self.summary,
            ]
        )
        self.form_panel.add_class("ctanb-analysis-forms")
        super().__init__(
            [
                w.HBox([*self.buttons.values(), self.send_table_button, self.send_data_button]),
                self.status,
                self.web_samp,
                self.plots,
            ]
        )
        self.add_class("ctanb-actions")

    # ------------------------------------------------------------------ forms
    @property
    def current_kind(self) -> str:
        """The analysis whose form is shown."""
        return list(ANALYSES)[self.form_tabs.selected_index or 0]

    def prefill(self) -> None:
        """Fill every form from the selection: the target's centre, the fields' width."""
        selected = self._selection()
        target = self._target()
        for kind, form in self.forms.items():
            try:
                base = form.spec
            except ParameterError:
                base = ANALYSES[kind][1]()
            form.fill(spec_for_selection(ANALYSES[kind][1], selected, target, base=base))
        self._summarise()

    def _summarise(self) -> None:
        try:
            text = describe(self.forms[self.current_kind].spec)
        except ParameterError:
            return
        self.summary.value = f'<span class="ctanb-info">{html.escape(text)}</span>'

    def _message(self, text: str, error: bool = False) -> None:
        style = ' style="color:#b00"' if error else ""
        kind = "ctanb-error" if error else "ctanb-info"
        self.status.value = f'<span class="{kind}"{style}>{html.escape(text)}</span>'

    # ------------------------------------------------------------------ runs
    def run(
        self, kind: str, spec: AnalysisSpec | None = None, where: str | None = None
    ) -> Product | None:
        """Run one analysis on the selection; errors stay in the widget.

        Parameters
        ----------
        kind : {"count_map", "spectrum", "light_curve"}
            The analysis.
        spec : AnalysisSpec, optional
            Its parameters (default: the form's).
        where : {"here", "service"}, optional
            Where it runs (default: the form's choice).

        Returns
        -------
        Product or None
            The product (``here``); None for a remote run (the product is added to
            :attr:`products` when the job ends) or after an error.
        """
        label, spec_class = ANALYSES[kind]
        where = where or self.where.value
        selected = self._selection()
        if selected is None or len(selected) == 0:
            self._message(f"{label}: select at least one observation first", error=True)
            return None
        obs_ids = [str(o) for o in selected["obs_id"]]
        try:
            spec = spec or self.forms[kind].spec
        except ParameterError as exc:
            self._message(f"{label}: {exc}", error=True)
            return None
        if not isinstance(spec, spec_class):
            self._message(f"{label}: expected a {spec_class.__name__}", error=True)
            return None
        pointings = _pointings(selected)
        name = self._name(kind)
        if where == "service":
            self._submit(kind, spec, obs_ids, name, pointings)
            return None
        self._message(f"{label}: running here on {len(obs_ids)} observation(s)…")
        try:
            value = spec.run(obs_ids, archive=self.archive)
        except (CtanbError, ValueError, OSError) as exc:
            self._message(f"{label} failed: {exc}", error=True)
            return None
        except Exception as exc:
            self._message(f"{label} failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self._log(
            "analysis",
            f"products[{name!r}] = {spec.to_python()}.run({obs_ids!r}, archive=ARCHIVE)\n"
            f"print({name!r}, products[{name!r}].checksum())",
            f"{spec.label} here on {', '.join(obs_ids)}",
        )
        product = Product(kind, obs_ids, value, spec, "here", name=name, pointings=pointings)
        self._add(product)
        return product

    def _name(self, kind: str) -> str:
        with self._lock:
            self._counter[kind] = self._counter.get(kind, 0) + 1
            return f"{kind}_{self._counter[kind]}"

    def _submit(
        self,
        kind: str,
        spec: AnalysisSpec,
        obs_ids: list[str],
        name: str,
        pointings: SkyCoord | None,
    ) -> None:
        label = ANALYSES[kind][0]
        monitor = self._monitor() if self._monitor else None
        if monitor is None:
            self._message(f"{label}: no job service (open the Jobs tab)", error=True)
            return
        try:
            job = monitor.client.submit(spec, obs_ids=obs_ids)
        except CtanbError as exc:
            self._message(f"{label}: the service refused the job: {exc}", error=True)
            return
        self._log(
            "analysis",
            f"job = jobs.wait(jobs.submit({spec.to_python()}, obs_ids={obs_ids!r}))\n"
            f"products[{name!r}] = jobs.product(job)\n"
            f"print({name!r}, products[{name!r}].checksum())",
            f"{spec.label} on the service on {', '.join(obs_ids)}",
        )
        self._message(f"{label}: job {job.job_id} submitted (see the Jobs tab)")

        def ended(job: Any) -> None:
            if job.phase != "COMPLETED":
                self._message(f"{label}: job {job.job_id} {job.phase}: {job.error}", error=True)
                return
            value = monitor.client.product(job)
            product = Product(
                kind, obs_ids, value, spec, "service", job.job_id, name=name, pointings=pointings
            )
            self._add(product)

        monitor.follow(job, ended)

    def _log(self, kind: str, code: str, title: str) -> None:
        if self._record is not None:
            self._record(kind, code, title)

    def _add(self, product: Product) -> None:
        label = ANALYSES[product.kind][0]
        try:
            view: ProductView | None = ProductView(product)
        except Exception as exc:
            self._message(f"{label}: made, not shown: {type(exc).__name__}: {exc}", error=True)
            view = None
        with self._lock:  # shown, then listed: a product in the list is on the page
            if view is not None:
                self.plots.children = [view, *self.plots.children]
            self.products.append(product)
            index = len(self.products) - 1
        where = "on the service" if product.where == "service" else "here"
        self._message(f"{label}: done {where} (products[{index}], {product.name})")
        if self._on_product is not None:
            self._on_product(product)

    def send_table(self) -> str | None:
        """Send the result table over SAMP (``table.load.votable``); return the URL sent."""
        table = self._results()
        if table is None or len(table) == 0:
            self._message("Send result table: run a search first", error=True)
            return None
        try:
            url = self._sender().send_table(table, name="ctanb result")
        except ConfigurationError as exc:
            if self.samp_mode != "auto":
                self._message(str(exc), error=True)
                return None
            return self._web_send(lambda: self.web_samp.send_table(table, name="ctanb result"))
        except CtanbError as exc:
            self._message(str(exc), error=True)
            return None
        except Exception as exc:
            self._message(f"SAMP failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self._message(f"result table sent over SAMP ({len(table)} rows)")
        return url

    def send_data(self) -> list[str] | None:
        """Send the selected rows' event files over SAMP (``table.load.fits``)."""
        selected = self._selection()
        if selected is None or len(selected) == 0:
            self._message("Send selected data: select at least one observation", error=True)
            return None
        try:
            urls = self._sender().send_data(selected)
        except ConfigurationError as exc:
            if self.samp_mode != "auto":
                self._message(str(exc), error=True)
                return None
            return self._web_send(lambda: self.web_samp.send_data(selected))
        except CtanbError as exc:
            self._message(str(exc), error=True)
            return None
        except Exception as exc:
            self._message(f"SAMP failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self._message(f"{len(urls)} event file(s) sent over SAMP")
        return urls

    def _sender(self) -> SampSender | WebSamp:
        return self.web_samp if self.samp_mode == "web" else self.samp

    def _web_send(self, send: Callable[[], Any]) -> Any:
        try:
            result = send()
        except CtanbError as exc:
            self._message(str(exc), error=True)
            return None
        self._message("no SAMP hub beside the kernel: sending from this browser (Web SAMP)")
        return result


def _pointings(selected: Table) -> SkyCoord | None:
    if "s_ra" not in selected.colnames or "s_dec" not in selected.colnames:
        return None
    return SkyCoord(
        [float(v) for v in selected["s_ra"]], [float(v) for v in selected["s_dec"]], unit="deg"
    )


class ProductView(w.VBox):
    """A product as shown in the Explorer: title, plot (with stretch/smoothing), provenance.

    Local and remote products are shown alike; the provenance graph opens on demand.
    """

    def __init__(self, product: Product) -> None:
        self.product = product
        where = f"on the service, job {product.job_id}" if product.where == "service" else "here"
        title = (
            f"<b>{html.escape(ANALYSES[product.kind][0])}</b> — "
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
        if product.kind == "count_map":
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
        from ctanb.prov import to_svg

        self.provenance.children[0].value = to_svg(self.product.value.provenance)
