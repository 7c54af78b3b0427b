"""UWS 1.1 documents (XML that pyvo reads, JSON if asked) and the job-type descriptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ctanb.services.uws.definitions import JobType

__all__ = ["description", "job_document", "job_json", "job_list"]

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, as UWS writes dates."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def owner_id(owner: str) -> str:
    """The ownerId shown: ``anonymous`` for every anonymous job (its random owner stays inside)."""
    return "anonymous" if owner.startswith("anonymous:") else owner


def _element(name: str, value: Any) -> str:
    if value is None:
        return f'<uws:{name} xsi:nil="true"/>'
    return f"<uws:{name}>{escape(str(value))}</uws:{name}>"


def parameters_xml(job: dict[str, Any]) -> str:
    """The ``uws:parameters`` element of a job."""
    items = "".join(
        f'<uws:parameter id="{escape(k.lower())}">{escape(str(v))}</uws:parameter>'
        for k, v in job["parameters"].items()
        if not k.startswith("_")
    )
    return f"<uws:parameters>{items}</uws:parameters>"


def results_xml(job: dict[str, Any], url: str) -> str:
    """The ``uws:results`` element of a job."""
    items = ""
    if job["phase"] == "COMPLETED":
        items = "".join(
            f'<uws:result id="{escape(r["id"])}" xlink:href="{escape(url)}/results/'
            f'{escape(r["id"])}" mime-type="{escape(r["mime"])}"/>'
            for r in job["results"]
        )
    return f"<uws:results>{items}</uws:results>"


def job_document(job: dict[str, Any], url: str) -> str:
    """The job resource as UWS 1.1 XML."""
    error = ""
    if job["error"]:
        error = (
            '<uws:errorSummary type="fatal" hasDetail="false">'
            f"<uws:message>{escape(job['error'])}</uws:message></uws:errorSummary>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<uws:job xmlns:uws="{UWS_NS}" xmlns:xlink="{XLINK_NS}" xmlns:xsi="{XSI_NS}" '
        'version="1.1">'
        + _element("jobId", job["job_id"])
        + _element("runId", job["run_id"])
        + _element("ownerId", owner_id(job["owner"]))
        + _element("phase", job["phase"])
        + _element("quote", None)
        + _element("creationTime", iso(job["created"]))
        + _element("startTime", iso(job["started"]))
        + _element("endTime", iso(job["ended"]))
        + _element("executionDuration", job["execution_duration"])
        + _element("destruction", iso(job["destruction"]))
        + parameters_xml(job)
        + results_xml(job, url)
        + error
        + "</uws:job>\n"
    )


def job_json(job: dict[str, Any], url: str) -> str:
    """The job resource as JSON."""
    return json.dumps(
        {
            "jobId": job["job_id"],
            "jobType": job["job_type"],
            "runId": job["run_id"],
            "ownerId": owner_id(job["owner"]),
            "phase": job["phase"],
            "creationTime": iso(job["created"]),
            "startTime": iso(job["started"]),
            "endTime": iso(job["ended"]),
            "executionDuration": job["execution_duration"],
            "destruction": iso(job["destruction"]),
            "parameters": {k: v for k, v in job["parameters"].items() if not k.startswith("_")},
            "results": [
                {"id": r["id"], "href": f"{url}/results/{r['id']}", "mime-type": r["mime"]}
                for r in job["results"]
            ]
            if job["phase"] == "COMPLETED"
            else [],
            "errorSummary": job["error"],
        }
    )


def job_list(jobs: list[dict[str, Any]], url: str) -> str:
    """A job list as UWS 1.1 XML."""
    refs = "".join(
        f'<uws:jobref id="{escape(j["job_id"])}" xlink:href="{escape(url)}/{escape(j["job_id"])}">'
        f"<uws:phase>{j['phase']}</uws:phase>"
        + (f"<uws:runId>{escape(j['run_id'])}</uws:runId>" if j["run_id"] else "")
        + f"<uws:ownerId>{escape(owner_id(j['owner']))}</uws:ownerId>"
        f"<uws:creationTime>{iso(j['created'])}</uws:creationTime></uws:jobref>"
        for j in jobs
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:jobs xmlns:uws="{UWS_NS}" '
        f'xmlns:xlink="{XLINK_NS}" version="1.1">{refs}</uws:jobs>\n'
    )


def description(job_types: dict[str, JobType], url: str) -> str:
    """The job types and their declared parameters (as OPUS describes its jobs)."""
    parts = []
    for name, job_type in job_types.items():
        params = "".join(
            f"<parameter name={quoteattr(p.name)} type={quoteattr(p.type)}"
            + (f" unit={quoteattr(p.unit)}" if p.unit else "")
            + (f" default={quoteattr(p.default)}" if p.default is not None else "")
            + (f" min={quoteattr(str(p.minimum))}" if p.minimum is not None else "")
            + (f" max={quoteattr(str(p.maximum))}" if p.maximum is not None else "")
            + (f" options={quoteattr(','.join(p.allowed))}" if p.allowed else "")
            + f" required={quoteattr(str(p.default is None and not p.optional).lower())}>"
            f"{escape(p.description)}</parameter>"
            for p in job_type.parameters
        )
        parts.append(
            f"<jobType name={quoteattr(name)} href={quoteattr(f'{url}/{name}')}>"
            f"<description>{escape(job_type.description)}</description>{params}"
            "</jobType>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<jobTypes xmlns="urn:ctanb:uws">'
        + "".join(parts)
        + "</jobTypes>\n"
    )
