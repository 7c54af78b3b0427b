"""Actions on the selected observations: analyses (here or on the service), products, SAMP.

Each analysis has a form made from its spec (:mod:`ctanb.analysis.specs`), pre-filled from
the selection (centred on the resolved target, wide enough for the selected fields of
view). "Run here" calls the analysis in the kernel; "Run on the service" submits the same
spec as a UWS job, followed in the Jobs tab, and its product is shown exactly as a local
one when the job ends: plot with sky axes, stretch and smoothing, and provenance. Every
product is kept in :attr:`Actions.products` (an :class:`~ctanb.widgets.products.AnalysisRun`
each), and every run is recorded as ctanb Python in the Explorer's history. The figures
(:mod:`ctanb.widgets.figures`) and the product views (:mod:`ctanb.widgets.products`) are
re-exported here under their old names.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.analysis.specs import AnalysisSpec, ParameterError
from ctanb.config import get_settings
from ctanb.errors import ConfigurationError, CtanbError
from ctanb.widgets.figures import figure_of, show_figure
from ctanb.widgets.products import ANALYSES, AnalysisRun, ProductView
from ctanb.widgets.samp import SampSender, WebSamp
from ctanb.widgets.specform import SpecForm, describe, spec_for_selection

__all__ = [
    "ANALYSES",
    "WHERE",
    "Actions",
    "AnalysisRun",
    "Product",
    "ProductView",
    "figure_of",
    "show_figure",
]

#: Where an analysis runs: label -> value.
WHERE = {"Run here": "here", "Run on the service": "service"}

#: The old name of :class:`~ctanb.widgets.products.AnalysisRun` (kept for notebooks).
Product = AnalysisRun


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
        Called with each new :class:`~ctanb.widgets.products.AnalysisRun` (the Explorer
        overlays count maps on the sky).
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
        on_product: Callable[[AnalysisRun], None] | None = None,
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
        self.products: list[AnalysisRun] = []
        self._counter: dict[str, int] = {}
        self._lock = threading.Lock()
        self._make_form_panel()
        self.send_table_button = w.Button(description="Send result table", icon="share")
        self.send_data_button = w.Button(description="Send selected data", icon="share")
        self.send_table_button.on_click(lambda _: self.send_table())
        self.send_data_button.on_click(lambda _: self.send_data())
        self.status = w.HTML("")
        self.plots = w.VBox([])
        super().__init__(
            [
                w.HBox([*self.buttons.values(), self.send_table_button, self.send_data_button]),
                self.status,
                self.web_samp,
                self.plots,
            ]
        )
        self.add_class("ctanb-actions")

    def _make_form_panel(self) -> None:
        """The analysis buttons, and the forms with where to run and the summary."""
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
        self.form_panel = w.VBox(
            [
                self.form_tabs,
                w.HBox([self.where, self.fill_button, self.run_button]),
                self.summary,
            ]
        )
        self.form_panel.add_class("ctanb-analysis-forms")

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

    def show_message(self, text: str, error: bool = False) -> None:
        """Show a status line under the buttons (in red for an error)."""
        style = ' style="color:#b00"' if error else ""
        kind = "ctanb-error" if error else "ctanb-info"
        self.status.value = f'<span class="{kind}"{style}>{html.escape(text)}</span>'

    # ------------------------------------------------------------------ runs
    def run(
        self, kind: str, spec: AnalysisSpec | None = None, where: str | None = None
    ) -> AnalysisRun | None:
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
        AnalysisRun or None
            The product (``here``); None for a remote run (the product is added to
            :attr:`products` when the job ends) or after an error.
        """
        label, spec_class = ANALYSES[kind]
        where = where or self.where.value
        selected = self._selection()
        if selected is None or len(selected) == 0:
            self.show_message(f"{label}: select at least one observation first", error=True)
            return None
        obs_ids = [str(o) for o in selected["obs_id"]]
        try:
            spec = spec or self.forms[kind].spec
        except ParameterError as exc:
            self.show_message(f"{label}: {exc}", error=True)
            return None
        if not isinstance(spec, spec_class):
            self.show_message(f"{label}: expected a {spec_class.__name__}", error=True)
            return None
        pointings = _pointings(selected)
        name = self._name(kind)
        if where == "service":
            self._submit(kind, spec, obs_ids, name, pointings)
            return None
        self.show_message(f"{label}: running here on {len(obs_ids)} observation(s)…")
        try:
            value = spec.run(obs_ids, archive=self.archive)
        except (CtanbError, ValueError, OSError) as exc:
            self.show_message(f"{label} failed: {exc}", error=True)
            return None
        except Exception as exc:
            self.show_message(f"{label} failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self._log(
            "analysis",
            f"products[{name!r}] = {spec.to_python()}.run({obs_ids!r}, archive=ARCHIVE)\n"
            f"print({name!r}, products[{name!r}].checksum())",
            f"{spec.label} here on {', '.join(obs_ids)}",
        )
        product = AnalysisRun(kind, obs_ids, value, spec, "here", name=name, pointings=pointings)
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
            self.show_message(f"{label}: no job service (open the Jobs tab)", error=True)
            return
        try:
            job = monitor.client.submit(spec, obs_ids=obs_ids)
        except CtanbError as exc:
            self.show_message(f"{label}: the service refused the job: {exc}", error=True)
            return
        self._log(
            "analysis",
            f"job = jobs.wait(jobs.submit({spec.to_python()}, obs_ids={obs_ids!r}))\n"
            f"products[{name!r}] = jobs.product(job)\n"
            f"print({name!r}, products[{name!r}].checksum())",
            f"{spec.label} on the service on {', '.join(obs_ids)}",
        )
        self.show_message(f"{label}: job {job.job_id} submitted (see the Jobs tab)")

        def ended(job: Any) -> None:
            if job.phase != "COMPLETED":
                self.show_message(f"{label}: job {job.job_id} {job.phase}: {job.error}", error=True)
                return
            value = monitor.client.product(job)
            product = AnalysisRun(
                kind, obs_ids, value, spec, "service", job.job_id, name=name, pointings=pointings
            )
            self._add(product)

        monitor.follow(job, ended)

    def _log(self, kind: str, code: str, title: str) -> None:
        if self._record is not None:
            self._record(kind, code, title)

    def _add(self, product: AnalysisRun) -> None:
        label = product.label
        try:
            view: ProductView | None = ProductView(product)
        except Exception as exc:
            self.show_message(f"{label}: made, not shown: {type(exc).__name__}: {exc}", error=True)
            view = None
        with self._lock:  # shown, then listed: a product in the list is on the page
            if view is not None:
                self.plots.children = [view, *self.plots.children]
            self.products.append(product)
            index = len(self.products) - 1
        where = "on the service" if product.where == "service" else "here"
        self.show_message(f"{label}: done {where} (products[{index}], {product.name})")
        if self._on_product is not None:
            self._on_product(product)

    def send_table(self) -> str | None:
        """Send the result table over SAMP (``table.load.votable``); return the URL sent."""
        table = self._results()
        if table is None or len(table) == 0:
            self.show_message("Send result table: run a search first", error=True)
            return None
        return self._samp_send(
            lambda sender: sender.send_table(table, name="ctanb result"),
            lambda _: f"result table sent over SAMP ({len(table)} rows)",
        )

    def send_data(self) -> list[str] | None:
        """Send the selected rows' event files over SAMP (``table.load.fits``)."""
        selected = self._selection()
        if selected is None or len(selected) == 0:
            self.show_message("Send selected data: select at least one observation", error=True)
            return None
        return self._samp_send(
            lambda sender: sender.send_data(selected),
            lambda urls: f"{len(urls)} event file(s) sent over SAMP",
        )

    def _samp_send(self, send: Callable[[Any], Any], done: Callable[[Any], str]) -> Any:
        """Send with the chosen SAMP client; in ``auto`` mode, from the browser if need be.

        ``send(sender)`` sends with a SAMP client; ``done(result)`` is the message shown
        after a send from the kernel. Errors are shown in the widget; the result is None then.
        """
        try:
            result = send(self._sender())
        except ConfigurationError as exc:
            if self.samp_mode != "auto":
                self.show_message(str(exc), error=True)
                return None
            return self._web_send(lambda: send(self.web_samp))
        except CtanbError as exc:
            self.show_message(str(exc), error=True)
            return None
        except Exception as exc:
            self.show_message(f"SAMP failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self.show_message(done(result))
        return result

    def _sender(self) -> SampSender | WebSamp:
        return self.web_samp if self.samp_mode == "web" else self.samp

    def _web_send(self, send: Callable[[], Any]) -> Any:
        try:
            result = send()
        except CtanbError as exc:
            self.show_message(str(exc), error=True)
            return None
        self.show_message("no SAMP hub beside the kernel: sending from this browser (Web SAMP)")
        return result


def _pointings(selected: Table) -> SkyCoord | None:
    if "s_ra" not in selected.colnames or "s_dec" not in selected.colnames:
        return None
    return SkyCoord(
        [float(v) for v in selected["s_ra"]], [float(v) for v in selected["s_dec"]], unit="deg"
    )
