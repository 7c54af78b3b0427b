"""``JobClient``: submit, follow and fetch the archive service's UWS jobs from Python."""

from __future__ import annotations

import dataclasses
import io
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from astropy.io import fits
from astropy.io.votable import parse as parse_votable
from astropy.time import Time
from pyvo.dal import DALQueryError, DALResults
from pyvo.io.uws import parse_job, parse_job_list

from ctanb.analysis.specs import SPECS, AnalysisSpec, ParameterError, value_text
from ctanb.config import get_settings
from ctanb.errors import CtanbError
from ctanb.jobs.results import RESULTS, TableResult
from ctanb.uws import FINAL, ExecutionPhase

__all__ = ["FINAL", "Job", "JobClient", "JobError"]

#: Jobs this process submitted without a token, per job-list URL. The service lists no
#: anonymous jobs (each one's URL is its only key), so the kernel remembers its own.
_ANONYMOUS_JOBS: dict[str, list[str]] = {}


class JobError(CtanbError):
    """A job failed or was refused; the message is the service's."""


@dataclass
class Job:
    """A job as the service describes it."""

    job_id: str
    job_type: str
    phase: str
    owner: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)  # id -> URL
    error: str | None = None
    creation_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    destruction: str | None = None

    @classmethod
    def from_xml(cls, text: bytes, job_type: str) -> Job:
        """Parse a UWS 1.1 job document (with ``pyvo.io.uws``)."""
        job = parse_job(io.BytesIO(text))
        error = job.errorsummary.message.content if job.errorsummary else None
        return cls(
            job_id=job.jobid or "",
            job_type=job_type,
            phase=job.phase or ExecutionPhase.UNKNOWN.value,
            owner=job.ownerid or "",
            parameters={p.id_: p.content or "" for p in job.parameters},
            results={r.id_: r.href or "" for r in job.results},
            error=error or None,
            creation_time=_iso(job.creationtime),
            start_time=_iso(job.starttime),
            end_time=_iso(job.endtime),
            destruction=_iso(job.destruction),
        )


def _error_message(response: requests.Response) -> str | None:
    """The message of a DALI error document, as pyvo reads it."""
    try:
        DALResults(parse_votable(io.BytesIO(response.content)), url=response.url)
    except DALQueryError as exc:
        return str(exc.reason)
    except ValueError:  # not a VOTable after all
        return None
    return None


def _iso(value: Time | None) -> str | None:
    """A UWS date as the service wrote it: ISO 8601 UTC with milliseconds and a Z."""
    return None if value is None else f"{value.utc.isot}Z"


def _parameters_text(
    job_type: str, spec: AnalysisSpec | None, given: dict[str, Any]
) -> dict[str, str]:
    """The job parameters as text: a spec's, its fields given by name, then the rest."""
    kind = SPECS.get(job_type)
    data: dict[str, str] = {}
    if kind is not None:
        fields = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
        declared = {p.name: p for p in kind.parameters()}
        as_fields = {k: v for k, v in given.items() if k in fields and k not in declared}
        try:
            if as_fields:
                spec = (spec or kind()).replace(**as_fields)
        except (ParameterError, TypeError) as exc:
            raise JobError(f"{job_type} job: {exc}") from exc
        if spec is not None:
            data.update(spec.to_parameters())
        given = {k: v for k, v in given.items() if k not in as_fields}
        units = {name: p.unit for name, p in declared.items()}
    else:
        units = {}
    for name, value in given.items():
        if value is not None:
            data[name] = value_text(value, units.get(name, ""))
    return data


class JobClient:
    """Client of the archive service's UWS jobs (``/uws/{jobtype}``).

    Parameters
    ----------
    url : str, optional
        Base URL of the service (default ``CTANB_SERVICE_URL``).
    token : str, optional
        API token (default ``CTANB_TOKEN`` or ``JUPYTERHUB_API_TOKEN``).
    """

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        settings = get_settings()
        self.url = (url or settings.service_url).rstrip("/")
        self.session = requests.Session()
        token = token if token is not None else settings.token
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _job_url(self, job_type: str, job_id: str = "") -> str:
        base = f"{self.url}/uws/{job_type}"
        return f"{base}/{job_id}" if job_id else base

    def _check(self, response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            text = response.text
            if "QUERY_STATUS" in text:  # a DALI error document: pyvo reads its message
                text = _error_message(response) or text
            raise JobError(
                f"{response.request.method} {response.url}: {response.status_code} {text[:500]}"
            )
        return response

    def job_types(self) -> list[str]:
        """The job types the service offers (``/uws``)."""
        root = ET.fromstring(self._check(self.session.get(f"{self.url}/uws")).content)
        return [node.get("name", "") for node in root]

    def list(self, job_type: str, phase: str | None = None) -> list[Job]:
        """The caller's jobs of one type (optionally in one phase).

        Without a token: the jobs this process submitted (the service lists no anonymous
        jobs; each one is reached by its URL only).
        """
        params = {"PHASE": phase} if phase else {}
        response = self._check(self.session.get(self._job_url(job_type), params=params))
        refs = parse_job_list(io.BytesIO(response.content))
        jobs = [self.get(job_type, ref.jobid) for ref in refs]
        if "Authorization" not in self.session.headers:  # anonymous: the jobs we submitted
            remembered = _ANONYMOUS_JOBS.get(self._job_url(job_type), [])
            for job_id in list(remembered):
                try:
                    job = self.get(job_type, job_id)
                except JobError:  # deleted or destroyed
                    remembered.remove(job_id)
                    continue
                if phase is None or job.phase == phase.upper():
                    jobs.append(job)
        return jobs

    def submit(self, job_type: str | AnalysisSpec, run: bool = True, **parameters: Any) -> Job:
        """Create a job (and start it unless ``run=False``).

        Parameters
        ----------
        job_type : str or AnalysisSpec
            The job type (``countmap``...), or an analysis spec
            (:class:`~ctanb.analysis.specs.CountMapSpec`...): the same spec runs here with
            ``spec.run(obs_ids)``.
        run : bool
            Start the job at once.
        **parameters
            Inputs (``obs_ids``, ``query``) and parameters: text, numbers, Quantities
            (converted to the declared unit), lists, or the spec's own fields
            (``skydir=SkyCoord(...)``, ``on_centre=...``, ``binsz=0.05 * u.deg``).

        Examples
        --------
        >>> jobs.submit(CountMapSpec(binsz=0.05 * u.deg), obs_ids=[23523])  # doctest: +SKIP
        >>> jobs.submit("countmap", obs_ids=[23523], binsz=0.05 * u.deg)  # doctest: +SKIP
        """
        if isinstance(job_type, AnalysisSpec):
            spec: AnalysisSpec | None = job_type
            job_type = job_type.job_type
        else:
            spec = None
        data = _parameters_text(job_type, spec, parameters)
        if run:
            data["PHASE"] = "RUN"
        response = self._check(
            self.session.post(self._job_url(job_type), data=data, allow_redirects=False)
        )
        job_id = response.headers["location"].rstrip("/").rsplit("/", 1)[1]
        if "Authorization" not in self.session.headers:
            _ANONYMOUS_JOBS.setdefault(self._job_url(job_type), []).append(job_id)
        return self.get(job_type, job_id)

    def get(
        self, job_type: str, job_id: str, wait: float | None = None, phase: str | None = None
    ) -> Job:
        """The job; with ``wait`` seconds, blocks until its phase leaves ``phase``."""
        params: dict[str, str] = {}
        if wait is not None:
            params["WAIT"] = str(wait)
            if phase:
                params["PHASE"] = phase
        response = self._check(
            self.session.get(
                self._job_url(job_type, job_id), params=params, timeout=(wait or 0) + 30
            )
        )
        return Job.from_xml(response.content, job_type)

    def run(self, job: Job) -> Job:
        """Start a PENDING job."""
        return self._set_phase(job, "RUN")

    def abort(self, job: Job) -> Job:
        """Abort an unfinished job."""
        return self._set_phase(job, "ABORT")

    def _set_phase(self, job: Job, phase: str) -> Job:
        """Ask the service to move the job to ``phase`` (UWS ``POST .../phase``)."""
        self._check(
            self.session.post(
                self._job_url(job.job_type, job.job_id) + "/phase",
                data={"PHASE": phase},
                allow_redirects=False,
            )
        )
        return self.get(job.job_type, job.job_id)

    def delete(self, job: Job) -> None:
        """Delete a job and its results."""
        self._check(
            self.session.delete(self._job_url(job.job_type, job.job_id), allow_redirects=False)
        )

    def wait(self, job: Job, timeout: float = 300.0) -> Job:
        """Block (with UWS WAIT, no polling loop) until the job ends; raise if it failed."""
        deadline = time.monotonic() + timeout
        while job.phase not in FINAL:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JobError(f"job {job.job_id} still {job.phase} after {timeout} s")
            job = self.get(job.job_type, job.job_id, wait=min(remaining, 60), phase=job.phase)
        if job.phase == "ERROR":
            raise JobError(f"{job.job_type} job {job.job_id} failed: {job.error}")
        return job

    def fetch(self, job: Job, result_id: str) -> bytes:
        """The bytes of one result."""
        if result_id not in job.results:
            raise JobError(
                f"job {job.job_id} has no result {result_id!r}: {', '.join(job.results) or 'none'}"
            )
        return self._check(self.session.get(job.results[result_id])).content

    def product(self, job: Job) -> Any:
        """The job's product with its provenance.

        A count map is a :class:`~ctanb.analysis.CountMap`; a spectrum or a light curve a
        :class:`~ctanb.jobs.results.RemoteSpectrum` or
        :class:`~ctanb.jobs.results.RemoteLightCurve` (its table, provenance and checksum).
        """
        if job.job_type in RESULTS:
            return TableResult.from_bytes(
                job.job_type, self.fetch(job, job.job_type), self.fetch(job, "provjson")
            )
        if job.job_type != "countmap":
            raise JobError(f"{job.job_type} results are files: use fetch(job, result_id)")
        # CountMap imports gammapy (~3 s): only reading a count-map job's result needs it
        from ctanb.analysis.countmap import CountMap

        data = self.fetch(job, job.job_type)
        path = Path(get_settings().cache_dir or ".") / "jobs" / f"{job.job_id}.fits"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        with fits.open(io.BytesIO(data)):
            pass  # a readable FITS file
        return CountMap.read(path)
