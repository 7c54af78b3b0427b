"""``JobMonitor``: the prototype's job list as a notebook widget, kept live with UWS WAIT."""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as w

from ctanb.jobs.client import FINAL, Job, JobClient, JobError

__all__ = ["JobMonitor"]

COLUMNS = ("job type", "job id", "phase", "start time", "destruction time")


class JobMonitor(w.VBox):
    """A live list of the user's jobs with details and start/abort/delete controls.

    Parameters
    ----------
    client : JobClient, optional
        The service's job client (default: ``CTANB_SERVICE_URL`` and the user's token).
    job_types : sequence of str
        Job types to list.
    live : bool
        Follow unfinished jobs with blocking WAIT requests in a background thread.
    """

    def __init__(
        self,
        client: JobClient | None = None,
        job_types: tuple[str, ...] = ("countmap", "spectrum", "lightcurve", "copy"),
        live: bool = True,
    ) -> None:
        self.client = client or JobClient()
        self.job_types = job_types
        self.jobs: dict[str, Job] = {}
        self.selected: str | None = None
        self.table = w.HTML()
        self.chooser = w.Dropdown(description="Job", options=[])
        self.details = w.HTML()
        self.start_button = w.Button(description="Start", icon="play")
        self.abort_button = w.Button(description="Abort", icon="stop")
        self.delete_button = w.Button(description="Delete", icon="trash")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.status = w.HTML()
        self.product_view = w.VBox()
        self.start_button.on_click(lambda _: self._act(self.client.run))
        self.abort_button.on_click(lambda _: self._act(self.client.abort))
        self.delete_button.on_click(lambda _: self._act(self.client.delete))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.chooser.observe(lambda change: self.select(change["new"]), names="value")
        super().__init__(
            [
                self.table,
                w.HBox(
                    [
                        self.chooser,
                        self.start_button,
                        self.abort_button,
                        self.delete_button,
                        self.refresh_button,
                    ]
                ),
                self.status,
                self.details,
                self.product_view,
            ]
        )
        self._stop = threading.Event()
        self.refresh()
        if live:
            threading.Thread(target=self._follow, daemon=True, name="job-monitor").start()

    def close(self) -> None:
        """Stop following the jobs."""
        self._stop.set()
        super().close()

    # -------------------------------------------------------------- state
    def refresh(self) -> None:
        """Reload the job list from the service."""
        try:
            jobs = [job for kind in self.job_types for job in self.client.list(kind)]
        except JobError as exc:
            self.status.value = f'<span class="ctanb-error">{html.escape(str(exc))}</span>'
            return
        self.jobs = {job.job_id: job for job in jobs}
        self._render()

    def _render(self) -> None:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v or ''))}</td>"
                for v in (job.job_type, job.job_id, job.phase, job.start_time, job.destruction)
            )
            + "</tr>"
            for job in self.jobs.values()
        )
        head = "".join(f"<th>{c}</th>" for c in COLUMNS)
        self.table.value = f'<table class="ctanb-jobs"><tr>{head}</tr>{rows}</table>'
        self.chooser.options = list(self.jobs)
        if self.selected in self.jobs:
            self.select(self.selected)

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
        error = f"<p>error: {html.escape(job.error)}</p>" if job.error else ""
        self.details.value = (
            f"<b>{html.escape(job.job_type)} {html.escape(job.job_id)}</b>: {job.phase}, "
            f"created {job.creation_time}, started {job.start_time}, ended {job.end_time}"
            f"{error}<p>parameters</p><ul>{params}</ul><p>results</p><ul>{results}</ul>"
        )

    def show_product(self, job_id: str | None = None) -> Any:
        """Open a finished job's product inline: its bokeh plot and provenance graph."""
        from ctanb.widgets.actions import show_figure

        job = self.jobs[job_id or self.selected or ""]
        from ctanb.prov import to_svg

        product = self.client.product(job)
        self.product_view.children = [
            show_figure(product.plot()),
            w.HTML(to_svg(product.provenance)),
        ]
        return product

    def _act(self, action: Any) -> None:
        job = self.jobs.get(self.selected or "")
        if job is None:
            self.status.value = '<span class="ctanb-error">choose a job first</span>'
            return
        try:
            action(job)
        except JobError as exc:
            self.status.value = f'<span class="ctanb-error">{html.escape(str(exc))}</span>'
        self.refresh()

    def _follow(self) -> None:
        """Wait (UWS WAIT) on unfinished jobs and refresh when one changes."""
        while not self._stop.is_set():
            active = [job for job in self.jobs.values() if job.phase not in FINAL]
            if not active:
                self._stop.wait(5)
                self.refresh()
                continue
            job = active[0]
            try:
                new = self.client.get(job.job_type, job.job_id, wait=10, phase=job.phase)
            except JobError:
                self.refresh()
                continue
            if new.phase != job.phase:
                self.refresh()
