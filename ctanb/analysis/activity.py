"""The bookkeeping every analysis does: when it ran, which runs it used, which it left out.

Count maps, spectra, light curves and significance maps each open an :class:`Activity`
when they start, note each run used or skipped, and close it into the
:class:`~ctanb.prov.record.ActivityRecord` their product's provenance is built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ctanb.analysis.events import RunEvents, RunFile
from ctanb.analysis.product import SkippedRun
from ctanb.errors import DataError
from ctanb.prov.record import ActivityRecord, InputFile

__all__ = ["ON_ERROR", "Activity"]

#: what an analysis may do with a bad run: stop with its error, or leave it out
ON_ERROR = ("raise", "skip")


@dataclass
class Activity:
    """One analysis being made: its start, the runs used and those left out.

    Parameters
    ----------
    name : str
        Short activity name (``"countmap"``, ``"spectrum"`` ...).
    entry_point : str
        ``"module:function"`` of the analysis (replay looks it up).
    on_error : {"raise", "skip"}
        For a bad run: stop with its error, or leave it out (listed in ``skipped``).

    Raises
    ------
    ValueError
        For another ``on_error``.
    """

    name: str
    entry_point: str
    on_error: str = "raise"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    inputs: list[InputFile] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.on_error not in ON_ERROR:
            raise ValueError(f"on_error must be 'raise' or 'skip', not {self.on_error!r}")

    def use(self, run: RunFile, events: RunEvents) -> None:
        """Note a run whose events the product counts."""
        self.inputs.append(
            InputFile(
                str(run.url or run.path), events.obs_id, "events", events.checksum, run.collection
            )
        )

    def skip(self, path: str, error: DataError | str) -> None:
        """Leave a bad run out (``on_error="skip"``), else raise its error.

        Raises
        ------
        DataError
            With ``on_error="raise"``: ``error`` itself, or a DataError of its text.
        """
        if self.on_error == "raise":
            raise error if isinstance(error, DataError) else DataError(error)
        self.skipped.append(SkippedRun(str(path), str(error)))

    def require_inputs(self, what: str) -> None:
        """Raise a DataError listing every run's reason when no run was used.

        ``what`` completes "no run ...", e.g. ``"could be binned"``.
        """
        if not self.inputs:
            raise DataError(f"no run {what}: " + "; ".join(s.reason for s in self.skipped))

    def record(self, parameters: dict[str, Any]) -> ActivityRecord:
        """Close the activity: its record, ended now, with the analysis's keywords."""
        return ActivityRecord(
            name=self.name,
            entry_point=self.entry_point,
            inputs=self.inputs,
            parameters=parameters,
            started=self.started,
            ended=datetime.now(UTC),
        )
