"""The one-line entry point of a notebook: the researcher's workbench.

Search (cone or ObsCore) -> results on a table and the sky, one selection -> analysis forms
pre-filled from the selection, run here or on the service -> products with sky axes and
provenance, remote jobs in a Jobs tab -> the whole session as a notebook (History).
"""

from __future__ import annotations

import warnings
from typing import Any

import ipywidgets as w
import traitlets
from astropy import units as u
from astropy.table import Table

from ctanb.config import get_settings
from ctanb.jobs import JobClient
from ctanb.widgets.actions import Actions
from ctanb.widgets.counterparts import show_counterparts
from ctanb.widgets.forms import ConeSearch
from ctanb.widgets.history import History
from ctanb.widgets.jobs import JobMonitor
from ctanb.widgets.obscore_form import ObsCoreSearch
from ctanb.widgets.products import AnalysisRun
from ctanb.widgets.samp import SampSender
from ctanb.widgets.skyview import SkyView
from ctanb.widgets.table import ResultsTable

__all__ = ["ONLINE_SURVEYS", "Explorer"]

#: HiPS surveys that can be put on top of the archive's sky when the browser is online.
ONLINE_SURVEYS = {
    "DSS colour": "https://alasky.cds.unistra.fr/DSS/DSSColor",
    "2MASS colour": "https://alasky.cds.unistra.fr/2MASS/Color",
    "Fermi LAT": "https://alasky.cds.unistra.fr/Fermi/Color",
    "Planck HFI": "https://alasky.cds.unistra.fr/PLANCK/R2/HFI_color",
    "H-alpha (Finkbeiner)": "https://alasky.cds.unistra.fr/FinkbeinerHalpha",
}


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

    jobs : JobClient, optional
        Client of the service's jobs, for "Run on the service" and the Jobs tab (default:
        ``archive`` and the user's token).

    Attributes
    ----------
    search, obscore_search, table, sky, actions
        The parts, each usable on its own.
    history : History
        Every search and analysis as ctanb Python (insert as cells, export as notebook).
    workbench : ipywidgets.Tab
        The Analysis, Jobs and History tabs.
    """

    def __init__(
        self,
        radius: u.Quantity = 1 * u.deg,
        archive: str | None = None,
        samp: SampSender | None = None,
        sky: dict[str, Any] | None = None,
        samp_mode: str = "auto",
        jobs: Any = None,
    ) -> None:
        self._results: Table | None = None
        self._job_client = jobs
        self._monitor: Any = None
        self.archive = archive or get_settings().service_url
        self.history = History(self.archive)
        self.search = ConeSearch(radius=radius, on_result=self._searched)
        self.obscore_search = ObsCoreSearch(on_result=self._searched, fill=False)
        self._obscore_filled = False
        self.search_tabs = w.Tab(
            [self.search, self.obscore_search], titles=("Cone search", "ObsCore search")
        )
        self.search_tabs.observe(self._fill_obscore_form, "selected_index")
        self.table = ResultsTable(page_size=10)
        self._make_sky(sky)
        traitlets.link((self.table, "selected_rows"), (self.sky, "selected_rows"))
        self.actions = Actions(
            selection=lambda: self.selected,
            results=lambda: self.results,
            archive=self.archive,
            on_product=self._show_product,
            samp=samp,
            samp_mode=samp_mode,
            target=lambda: self.target,
            record=self.history.record,
            monitor=lambda: self.monitor,
        )
        self.table.observe(lambda _: self.actions.prefill(), names="selected_rows")
        self.jobs_tab = w.VBox([w.HTML("<i>jobs on the service: open to list them</i>")])
        self.workbench = w.Tab(
            [self.actions.form_panel, self.jobs_tab, self.history],
            titles=("Analysis", "Jobs", "History"),
        )
        self.workbench.add_class("ctanb-workbench")
        self.workbench.observe(self._open_jobs, names="selected_index")
        sky_panel = w.VBox(
            [self.sky, w.HBox([self.click_search, self.overlay, self.overlay_opacity])],
            layout=w.Layout(width="45%", min_width="360px"),
        )
        table_panel = w.Box([self.table], layout=w.Layout(width="55%", overflow="auto"))
        super().__init__(
            [
                self.search_tabs,
                w.HBox([table_panel, sky_panel], layout=w.Layout(width="100%")),
                self.workbench,
                self.actions,
            ]
        )
        self.add_class("ctanb-explorer")

    def _make_sky(self, sky: dict[str, Any] | None) -> None:
        """The sky view (on the archive's own sky), click-to-search and the HiPS overlay."""
        sky_options = {
            "layout": w.Layout(width="100%"),
            "survey": self.archive.rstrip("/") + "/hips",  # the archive's own sky
            **(sky or {}),
        }
        self.sky = SkyView(**sky_options)
        self._sky_layers(sky_options)
        self.click_search = w.Checkbox(
            description="Click the sky to search there", value=False, indent=False
        )
        self.overlay = w.Combobox(
            placeholder="HiPS on top (URL or CDS id), online",
            options=list(ONLINE_SURVEYS),
            layout=w.Layout(width="260px"),
        )
        self.overlay_opacity = w.FloatSlider(
            value=0.5, min=0, max=1, step=0.05, description="opacity",
            layout=w.Layout(width="200px"),
        )  # fmt: skip
        self.overlay.observe(self._overlay_chosen, names="value")
        self.overlay_opacity.observe(self._overlay_chosen, names="value")
        # ipyaladin's set_listener waits for the view to load; the callbacks are per view here
        self.sky.listener_callback["click"] = self._sky_clicked

    @property
    def results(self) -> Table | None:
        """The rows shown: the last search result, or a table given to :meth:`show`."""
        return self._results

    @property
    def selected(self) -> Table:
        """The selected rows as an astropy Table."""
        return self.table.selected

    @property
    def products(self) -> list[AnalysisRun]:
        """Analysis products made from the buttons, oldest first."""
        return self.actions.products

    def _sky_layers(self, options: dict[str, Any]) -> None:
        if str(options.get("survey", "")).startswith(self.archive.rstrip("/")):
            try:
                self.sky.show_archive_sky(self.archive)
            except Exception as exc:  # no catalogues here: the sky still shows
                warnings.warn(f"the archive's sky layers are not shown: {exc}", stacklevel=3)

    def _overlay_chosen(self, _: Any) -> None:
        survey = ONLINE_SURVEYS.get(self.overlay.value, self.overlay.value.strip())
        self.sky.overlay_survey = survey
        self.sky.overlay_survey_opacity = float(self.overlay_opacity.value) if survey else 0.0

    def _sky_clicked(self, position: dict) -> None:
        """A click on the sky: a cone search there (when the box is ticked)."""
        if not self.click_search.value:
            return
        self.search.target.value = ""
        self.search.ra.value = f"{float(position['ra']):.5f}"
        self.search.dec.value = f"{float(position['dec']):.5f}"
        self.search_tabs.selected_index = 0
        self.search.submit()

    @property
    def target(self) -> Any:
        """The cone search's position (a resolved name or typed RA/Dec), or None."""
        return self.search.position

    @property
    def monitor(self) -> Any:
        """The Jobs tab's :class:`~ctanb.widgets.jobs.JobMonitor` (made when first needed)."""
        if self._monitor is None:
            client = self._job_client or JobClient(self.archive)
            self._monitor = JobMonitor(client, job_types=("countmap", "spectrum", "lightcurve"))
            self.jobs_tab.children = [self._monitor]
        return self._monitor

    def _open_jobs(self, change: dict) -> None:
        if change["new"] == 1:
            try:
                self.monitor.refresh()
            except Exception as exc:  # the service may be down: say so in the tab
                self.jobs_tab.children = [
                    w.HTML(f'<span class="ctanb-error">jobs unavailable: {exc}</span>')
                ]

    def _searched(self, table: Table) -> None:
        """A search finished: record it as ctanb Python, then show it."""
        position = self.search.position
        adql = str(table.meta.get("adql", ""))
        if self.search_tabs.selected_index == 0 and position is not None:
            icrs = position.icrs
            code = (
                f"target = SkyCoord({float(icrs.ra.deg)!r}, {float(icrs.dec.deg)!r}, unit='deg')\n"
                f"results = cone_search(target, {float(self.search.radius.value)!r} * u.deg, "
                "client=ARCHIVE)"
            )
        else:
            code = f"results = ArchiveClient(ARCHIVE).query({adql!r})"
        self.history.record("search", code + "\nprint(len(results), 'observations')", "search")
        self.show(table)

    def show(self, table: Table) -> None:
        """Show a result table in the table and on the sky."""
        self._results = table
        self.table.table = table
        self.sky.show_table(table)

    def show_counterparts(self, radius: Any = None) -> Table:
        """Show other instruments' sources in the field, one sky layer per instrument."""
        return show_counterparts(self, radius)

    def _fill_obscore_form(self, change: dict) -> None:
        # The drop-downs need one archive query per field: run them when the tab is opened.
        if change["new"] == 1 and not self._obscore_filled:
            self._obscore_filled = True
            self.obscore_search.fill_choices()

    def _show_product(self, product: AnalysisRun) -> None:
        if not product.is_sky_image:
            return
        counts = getattr(product.value, "map", None)  # a CountMap's gammapy Map
        if counts is None:
            counts = product.value
        try:
            self.sky.add_count_map(counts, name=f"counts {len(self.products)}")
        except Exception as exc:
            self.actions.show_message(f"count map made; not shown on the sky: {exc}", error=True)
