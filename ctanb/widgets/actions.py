"""Actions on the selected observations: analysis products shown as bokeh plots, and SAMP.

The analyses run inline with :mod:`ctanb.analysis`; every product is kept in
:attr:`Actions.products` so the researcher can keep working with it in Python.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from astropy.table import Table

from ctanb.config import get_settings
from ctanb.errors import ConfigurationError, CtanbError
from ctanb.widgets.samp import SampSender, WebSamp

__all__ = ["ANALYSES", "Actions", "Product", "show_figure"]

#: Button label -> name of the function in :mod:`ctanb.analysis`.
ANALYSES = {
    "count_map": ("Create count map(s)", "make_count_map"),
    "spectrum": ("Extract spectrum", "extract_spectrum"),
    "light_curve": ("Light curve", "make_light_curve"),
}


@dataclass
class Product:
    """One analysis result made from the widget."""

    kind: str
    obs_ids: list[str]
    value: Any


def show_figure(figure: Any) -> w.Widget:
    """Wrap a bokeh figure (or layout) as a widget that renders in JupyterLab, offline.

    BokehJS is loaded into the page from the kernel (inline resources, no CDN) the first
    time, then the figure is shown in an :class:`ipywidgets.Output`.
    """
    from bokeh.io import output_notebook, show
    from bokeh.resources import INLINE

    out = w.Output()
    with out:
        output_notebook(resources=INLINE, hide_banner=True)
        show(figure)
    return out


def _analysis_function(name: str) -> Callable[..., Any]:
    try:
        from ctanb import analysis
    except ImportError as exc:  # pragma: no cover
        raise ConfigurationError(f"ctanb.analysis cannot be imported: {exc}") from exc
    function = getattr(analysis, name, None)
    if function is None:
        raise ConfigurationError(f"ctanb.analysis.{name} is not available in this installation")
    return function


class Actions(w.VBox):
    """Buttons acting on a selection: count maps, spectrum, light curve and SAMP.

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
    """

    def __init__(
        self,
        selection: Callable[[], Table],
        results: Callable[[], Table | None],
        archive: str | None = None,
        on_product: Callable[[Product], None] | None = None,
        samp: SampSender | None = None,
        samp_mode: str = "auto",
    ) -> None:
        if samp_mode not in ("auto", "kernel", "web"):
            raise ValueError(f"samp_mode must be 'auto', 'kernel' or 'web', not {samp_mode!r}")
        self.samp_mode = samp_mode
        self.web_samp = WebSamp()
        self._selection = selection
        self._results = results
        self.archive = archive or get_settings().service_url
        self._on_product = on_product
        self.samp = samp or SampSender()
        self.products: list[Product] = []
        self.buttons = {
            kind: w.Button(description=label, layout=w.Layout(width="auto"))
            for kind, (label, _) in ANALYSES.items()
        }
        for kind, button in self.buttons.items():
            button.on_click(lambda _, kind=kind: self.run(kind))
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

    def _message(self, text: str, error: bool = False) -> None:
        style = ' style="color:#b00"' if error else ""
        kind = "ctanb-error" if error else "ctanb-info"
        self.status.value = f'<span class="{kind}"{style}>{html.escape(text)}</span>'

    def run(self, kind: str) -> Product | None:
        """Run one analysis on the selection and show its plot; errors stay in the widget."""
        label, function_name = ANALYSES[kind]
        selected = self._selection()
        if selected is None or len(selected) == 0:
            self._message(f"{label}: select at least one observation first", error=True)
            return None
        obs_ids = [str(o) for o in selected["obs_id"]]
        self._message(f"{label}: running on {len(obs_ids)} observation(s)…")
        try:
            function = _analysis_function(function_name)
            value = function(obs_ids, archive=self.archive)
            figure = value.plot() if hasattr(value, "plot") else None
        except (CtanbError, ValueError, OSError) as exc:
            self._message(f"{label} failed: {exc}", error=True)
            return None
        except Exception as exc:
            self._message(f"{label} failed: {type(exc).__name__}: {exc}", error=True)
            return None
        product = Product(kind, obs_ids, value)
        self.products.append(product)
        if figure is not None:
            title = w.HTML(f"<b>{html.escape(label)}</b> — {html.escape(', '.join(obs_ids))}")
            self.plots.children = [w.VBox([title, show_figure(figure)]), *self.plots.children]
        self._message(f"{label}: done (products[{len(self.products) - 1}])")
        if self._on_product is not None:
            self._on_product(product)
        return product

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
