"""``JobMonitor``: the user's UWS jobs in a paged, sortable table, kept live with UWS WAIT.

The jobs are rows of the same :class:`~ctanb.widgets.table.ResultsTable` as search results
(job type, id, phase, owner, creation, duration), filtered by phase and owner; the chosen
job's parameters, results and errors show below, with start, abort and delete. A finished
job's product opens as a local one does (plot and provenance), and callers may ask to be
told when a job ends (:meth:`JobMonitor.follow`): the Explorer shows remote products so.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import ipywidgets as w
import requests
from astropy.table import Table

from ctanb.jobs.client import FINAL, Job, JobClient, JobError
from ctanb.prov import to_svg
from ctanb.widgets.figures import figure_of, show_figure
from ctanb.widgets.table import ResultsTable

__all__ = ["COLUMNS", "JobMonitor", "jobs_table"]

COLUMNS = ("job_type", "job_id", "phase", "owner", "created", "duration_s", "results")
_ANY = "any"


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _duration(job: Job, now: datetime) -> float:
    start = _time(job.start_time)
    if start is None:
        return 0.0
    end = _time(job.end_time) or now
    return round(max(0.0, (end - start).total_seconds()), 1)


def jobs_table(jobs: list[Job], now: datetime | None = None) -> Table:
    """The jobs as a table (one row each): type, id, phase, owner, creation, duration."""
    now = now or datetime.now(UTC)
    return Table(
        rows=[
            (
                job.job_type,
                job.job_id,
                job.phase,
                job.owner,
                (job.creation_time or "")[:19].replace("T", " "),
                _duration(job, now),
                ", ".join(job.results),
            )
            for job in jobs
        ],
        names=COLUMNS,
        dtype=(str, str, str, str, str, float, str),
    )


class JobMonitor(w.VBox):
    """The user's jobs in a paged, sortable table with details and start/abort/delete.

    Parameters
    ----------
    client : JobClient, optional
        The service's job client (default: ``CTANB_SERVICE_URL`` and the user's token).
    job_types : sequence of str
        Job types to list.
    live : bool
        Follow unfinished jobs with blocking WAIT requests in a background thread.
    on_product : callable, optional
        Called with ``(job, product)`` when :meth:`show_product` opens a product.

    Attributes
    ----------
    jobs : dict
        Job id -> :class:`~ctanb.jobs.client.Job`, as last listed.
    table : ResultsTable
        The jobs shown (after the phase and owner filters).
    """

    def __init__(
        self,
        client: JobClient | None = None,
        job_types: tuple[str, ...] = ("countmap", "spectrum", "lightcurve", "copy"),
        live: bool = True,
        on_product: Callable[[Job, Any], None] | None = None,
    ) -> None:
        self.client = client or JobClient()
        self.job_types = job_types
        self.jobs: dict[str, Job] = {}
        self.selected: str | None = None
        self._on_product = on_product
        self._followers: dict[str, list[Callable[[Job], None]]] = {}
        self._lock = threading.RLock()
        self._rendering = False
        self._make_controls()
        super().__init__(
            [
                w.HBox([self.phase_filter, self.owner_filter, self.refresh_button]),
                self.table,
                w.HBox(
                    [
                        self.chooser,
                        self.start_button,
                        self.abort_button,
                        self.delete_button,
                        self.open_button,
                    ]
                ),
                self.status,
                self.details,
                self.product_view,
            ]
        )
        self.add_class("ctanb-job-monitor")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.refresh()
        if live:
            threading.Thread(target=self._follow, daemon=True, name="job-monitor").start()

    def _make_controls(self) -> None:
        """The jobs table, its filters, the job chooser and the action buttons."""
        self.table = ResultsTable(columns=list(COLUMNS), page_size=10)
        self.table.add_class("ctanb-jobs")
        self.table.observe(self._row_chosen, names="selected_rows")
        self.phase_filter = w.Dropdown(
            description="Phase",
            options=[_ANY, "PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED"],
            layout=w.Layout(width="220px"),
        )
        self.owner_filter = w.Text(
            description="Owner", placeholder="all owners", layout=w.Layout(width="240px")
        )
        self.phase_filter.observe(lambda _: self._render(), names="value")
        self.owner_filter.observe(lambda _: self._render(), names="value")
        self.chooser = w.Dropdown(description="Job", options=[])
        self.chooser.observe(self._chosen, names="value")
        self.details = w.HTML()
        self.status = w.HTML()
        self.product_view = w.VBox()
        self.start_button = w.Button(description="Start", icon="play", tooltip="Start")
        self.abort_button = w.Button(description="Abort", icon="stop", tooltip="Abort")
        self.delete_button = w.Button(description="Delete", icon="trash", tooltip="Delete")
        self.open_button = w.Button(description="Open product", icon="eye", tooltip="Open")
        self.refresh_button = w.Button(description="Refresh", icon="refresh", tooltip="Refresh")
        self.start_button.on_click(lambda _: self._act(self.client.run))
        self.abort_button.on_click(lambda _: self._act(self.client.abort))
        self.delete_button.on_click(lambda _: self._act(self.client.delete))
        self.open_button.on_click(lambda _: self._open())
        self.refresh_button.on_click(lambda _: self.refresh())

    def close(self) -> None:
        """Stop following the jobs."""
        self._stop.set()
        self._wake.set()
        super().close()

    # -------------------------------------------------------------- state
    def refresh(self) -> None:
        """Reload the job list from the service."""
        try:
            jobs = [job for kind in self.job_types for job in self.client.list(kind)]
        except (JobError, requests.RequestException) as exc:
            self._error(str(exc))
            return
        with self._lock:
            self.jobs = {job.job_id: job for job in jobs}
        self._render()
        self._notify()

    def follow(self, job: Job, callback: Callable[[Job], None]) -> None:
        """Call ``callback(job)`` once ``job`` has ended (COMPLETED, ERROR or ABORTED)."""
        with self._lock:
            self.jobs.setdefault(job.job_id, job)
            self._followers.setdefault(job.job_id, []).append(callback)
        self._wake.set()
        self._render()
        self._notify()

    def _notify(self) -> None:
        with self._lock:
            ended = [
                (job_id, callbacks)
                for job_id, callbacks in self._followers.items()
                if job_id in self.jobs and self.jobs[job_id].phase in FINAL
            ]
            for job_id, _ in ended:
                del self._followers[job_id]
        for job_id, callbacks in ended:
            for callback in callbacks:
                try:
                    callback(self.jobs[job_id])
                except Exception as exc:  # a viewer's failure must not stop the monitor
                    self._error(f"job {job_id}: {type(exc).__name__}: {exc}")

    def shown(self) -> list[Job]:
        """The jobs that pass the phase and owner filters, newest first."""
        owner = self.owner_filter.value.strip().lower()
        with self._lock:
            jobs = list(self.jobs.values())
        return sorted(
            (
                job
                for job in jobs
                if (self.phase_filter.value == _ANY or job.phase == self.phase_filter.value)
                and (not owner or owner in job.owner.lower())
            ),
            key=lambda job: job.creation_time or "",
            reverse=True,
        )

    def _render(self) -> None:
        jobs = self.shown()
        sort = (self.table.sort_by, self.table.sort_ascending)
        self.table.table = jobs_table(jobs)
        self.table.sort_by, self.table.sort_ascending = sort
        if self.selected in [job.job_id for job in jobs]:
            self.table.select(job_id=[self.selected])
        self._rendering = True
        try:  # a filter hiding the chosen job does not unchoose it
            self.chooser.options = [job.job_id for job in jobs]
            if self.selected in self.chooser.options:
                self.chooser.value = self.selected
        finally:
            self._rendering = False
        if self.selected in self.jobs:
            self.select(self.selected)

    def _chosen(self, change: dict) -> None:
        if not self._rendering:
            self.select(change["new"])

    def _row_chosen(self, change: dict) -> None:
        rows = change["new"]
        if not rows:
            return
        job_id = str(self.table.table["job_id"][rows[-1]])
        if job_id != self.selected:
            self.chooser.value = job_id if job_id in self.chooser.options else None

    def select(self, job_id: str | None) -> None:
        """Show a job's properties, parameters and results."""
        self.selected = job_id
        job = self.jobs.get(job_id or "")
        if job is None:
            self.details.value = ""
            return
        params = "".join(
            f"<li>{html.escape(k)} = {html.escape(v)}</li>" for k, v in job.parameters.items()
        )
        results = "".join(
            f'<li><a href="{html.escape(u)}" target="_blank">{html.escape(k)}</a></li>'
            for k, u in job.results.items()
        )
        error = f'<p class="ctanb-error">error: {html.escape(job.error)}</p>' if job.error else ""
        self.details.value = (
            f'<div class="ctanb-job-details"><b>{html.escape(job.job_type)} '
            f"{html.escape(job.job_id)}</b>: {html.escape(job.phase)}, owner "
            f"{html.escape(job.owner)}, created {job.creation_time}, started {job.start_time}, "
            f"ended {job.end_time}{error}<p>parameters</p><ul>{params}</ul>"
            f"<p>results</p><ul>{results}</ul></div>"
        )

    def show_product(self, job_id: str | None = None) -> Any:
        """Open a finished job's product inline: its plot and provenance graph."""
        job = self.jobs[job_id or self.selected or ""]
        product = self.client.product(job)
        self.product_view.children = [
            show_figure(figure_of(product)),
            w.HTML(to_svg(product.provenance)),
        ]
        if self._on_product is not None:
            self._on_product(job, product)
        return product

    def _open(self) -> None:
        try:
            self.show_product()
        except (JobError, KeyError) as exc:
            self._error(str(exc))

    def _error(self, text: str) -> None:
        self.status.value = f'<span class="ctanb-error">{html.escape(text)}</span>'

    def _act(self, action: Any) -> None:
        job = self.jobs.get(self.selected or "")
        if job is None:
            self._error("choose a job first")
            return
        try:
            action(job)
        except JobError as exc:
            self._error(str(exc))
        self.refresh()

    def _follow(self) -> None:
        """Wait (UWS WAIT) on unfinished jobs and refresh when one changes."""
        while not self._stop.is_set():
            with self._lock:
                active = [job for job in self.jobs.values() if job.phase not in FINAL]
            if not active:
                self._wake.wait(5)
                self._wake.clear()
                self.refresh()
                continue
            job = active[0]
            try:
                new = self.client.get(job.job_type, job.job_id, wait=10, phase=job.phase)
            except (JobError, requests.RequestException):
                self._stop.wait(1)
                self.refresh()
                continue
            if new.phase != job.phase:
                self.refresh()
