"""The one-line entry point of a notebook: search, results, sky view and actions together."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets
from astropy import units as u
from astropy.table import Table

from ctanb.widgets.actions import Actions, Product
from ctanb.widgets.forms import ConeSearch
from ctanb.widgets.obscore_form import ObsCoreSearch
from ctanb.widgets.samp import SampSender
from ctanb.widgets.skyview import SkyView
from ctanb.widgets.table import ResultsTable

__all__ = ["Explorer"]


class Explorer(w.VBox):
    """Search the archive, browse and select results on a table and the sky, act on them.

    The table's and the sky view's selections are one: ticking a row highlights its
    footprint, clicking a footprint ticks its row.

    Parameters
    ----------
    radius : Quantity
        Initial cone radius.
    archive : str, optional
        Archive service URL (default ``CTANB_SERVICE_URL``).
    samp : SampSender, optional
        SAMP client for "Send result table" / "Send selected data".
    sky : dict, optional
        Options of the :class:`SkyView` (``survey``, ``height``...).
    samp_mode : {"auto", "kernel", "web"}
        How "Send ..." reaches desktop tools (see :class:`~ctanb.widgets.actions.Actions`).

    Attributes
    ----------
    search, obscore_search, table, sky, actions
        The parts, each usable on its own.
    """

    def __init__(
        self,
        radius: u.Quantity = 1 * u.deg,
        archive: str | None = None,
        samp: SampSender | None = None,
        sky: dict[str, Any] | None = None,
        samp_mode: str = "auto",
    ) -> None:
        self._results: Table | None = None
        self.search = ConeSearch(radius=radius, on_result=self.show)
        self.obscore_search = ObsCoreSearch(on_result=self.show, fill=False)
        self.search_tabs = w.Tab(
            [self.search, self.obscore_search], titles=("Cone search", "ObsCore search")
        )
        self.search_tabs.observe(self._fill_obscore_form, "selected_index")
        self.table = ResultsTable(page_size=10)
        self.sky = SkyView(**{"layout": w.Layout(width="100%"), **(sky or {})})
        traitlets.link((self.table, "selected_rows"), (self.sky, "selected_rows"))
        self.actions = Actions(
            selection=lambda: self.selected,
            results=lambda: self.results,
            archive=archive,
            on_product=self._show_product,
            samp=samp,
            samp_mode=samp_mode,
        )
        super().__init__(
            [
                self.search_tabs,
                w.HBox(
                    [
                        w.Box([self.table], layout=w.Layout(width="55%", overflow="auto")),
                        w.Box([self.sky], layout=w.Layout(width="45%", min_width="360px")),
                    ],
                    layout=w.Layout(width="100%"),
                ),
                self.actions,
            ]
        )
        self.add_class("ctanb-explorer")

    @property
    def results(self) -> Table | None:
        """The rows shown: the last search result, or a table given to :meth:`show`."""
        return self._results

    @property
    def selected(self) -> Table:
        """The selected rows as an astropy Table."""
        return self.table.selected

    @property
    def products(self) -> list[Product]:
        """Analysis products made from the buttons, oldest first."""
        return self.actions.products

    def show(self, table: Table) -> None:
        """Show a result table in the table and on the sky."""
        self._results = table
        self.table.table = table
        self.sky.show_table(table)

    def show_counterparts(self, radius: Any = None) -> Table:
        """Show other instruments' sources in the field, one sky layer per instrument."""
        from ctanb.widgets.counterparts import show_counterparts

        return show_counterparts(self, radius)

    def _fill_obscore_form(self, change: dict) -> None:
        # The drop-downs need one archive query per field: run them when the tab is opened.
        if change["new"] == 1 and not getattr(self, "_obscore_filled", False):
            self._obscore_filled = True
            self.obscore_search.fill_choices()

    def _show_product(self, product: Product) -> None:
        if product.kind != "count_map":
            return
        counts = product.value
        for attribute in ("counts", "map"):
            if getattr(product.value, attribute, None) is not None:
                counts = getattr(product.value, attribute)
                break
        try:
            self.sky.add_count_map(counts, name=f"counts {len(self.products)}")
        except Exception as exc:
            self.actions._message(f"count map made; not shown on the sky: {exc}", error=True)
