"""UWS 1.1 documents (XML that pyvo reads, JSON if asked) and the job-type descriptions.

The job and job-list documents are vo-models' typed UWS models (pydantic-xml) written as
XML: no hand-made markup, so escaping and namespaces are the library's.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from pydantic_xml import BaseXmlModel, element
from vo_models.uws import (
    ErrorSummary,
    Jobs,
    JobSummary,
    Parameter,
    Parameters,
    ResultReference,
    Results,
    ShortJobDescription,
)
from vo_models.uws.types import ErrorType, UWSVersion

from ctanb.services.uws.definitions import JobType
from ctanb.services.uws.definitions import Parameter as JobParameter
from ctanb.uws import UWS_NS, XLINK_NS

__all__ = [
    "UWS_NS",
    "XLINK_NS",
    "description",
    "job_document",
    "job_json",
    "job_list",
    "parameters_document",
    "results_document",
]

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class JobParameters(Parameters):
    """A job's parameters as a list of ``uws:parameter``, in the order the job holds them.

    vo-models' ``Parameters`` wants one declared field per parameter; the parameters here
    are those of each job type (:mod:`ctanb.services.uws.definitions`), so they stay a list.
    """

    parameter: list[Parameter] = element(tag="parameter", default_factory=list)

    def __init__(self, **data: Any) -> None:
        BaseXmlModel.__init__(self, **data)  # not Parameters': it re-keys declared fields


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, as UWS writes dates."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def owner_id(owner: str) -> str:
    """The ownerId shown: ``anonymous`` for every anonymous job (its random owner stays inside)."""
    return "anonymous" if owner.startswith("anonymous:") else owner


def _to_xml(model: BaseXmlModel) -> str:
    """The document of ``model``: fields left unset are left out, ``None`` ones are nil."""
    body = model.to_xml(skip_empty=False, exclude_unset=True)
    text = body.decode() if isinstance(body, bytes) else body
    return _DECLARATION + text + "\n"


def _parameters(job: dict[str, Any]) -> JobParameters:
    return JobParameters(
        parameter=[
            Parameter(id=k.lower(), value=str(v))
            for k, v in job["parameters"].items()
            if not k.startswith("_")
        ]
    )


def _results(job: dict[str, Any], url: str) -> Results:
    done = job["phase"] == "COMPLETED"
    return Results(
        results=[
            ResultReference(id=r["id"], href=f"{url}/results/{r['id']}", mime_type=r["mime"])
            for r in (job["results"] if done else [])
        ]
    )


def parameters_document(job: dict[str, Any]) -> str:
    """The ``uws:parameters`` element of a job, as a document (UWS 1.1 section 2.2.3)."""
    return _to_xml(_parameters(job))


def results_document(job: dict[str, Any], url: str) -> str:
    """The ``uws:results`` element of a job, as a document."""
    return _to_xml(_results(job, url))


def job_document(job: dict[str, Any], url: str) -> str:
    """The job resource as UWS 1.1 XML."""
    fields: dict[str, Any] = {
        "job_id": job["job_id"],
        "owner_id": owner_id(job["owner"]),
        "phase": job["phase"],
        "quote": None,
        "creation_time": job["created"],
        "start_time": job["started"],
        "end_time": job["ended"],
        "execution_duration": job["execution_duration"],
        "destruction": job["destruction"],
        "parameters": _parameters(job),
        "results": _results(job, url),
        "version": UWSVersion.V1_1,
    }
    if job["run_id"] is not None:
        fields["run_id"] = job["run_id"]
    if job["error"]:
        fields["error_summary"] = ErrorSummary(
            message=job["error"], type=ErrorType.FATAL, has_detail=False
        )
    return _to_xml(JobSummary[JobParameters](**fields))


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
    refs = []
    for j in jobs:
        fields: dict[str, Any] = {
            "job_id": j["job_id"],
            "href": f"{url}/{j['job_id']}",
            "phase": j["phase"],
            "owner_id": owner_id(j["owner"]),
            "creation_time": j["created"],
        }
        if j["run_id"]:
            fields["run_id"] = j["run_id"]
        refs.append(ShortJobDescription(**fields))
    return _to_xml(Jobs(jobref=refs, version=UWSVersion.V1_1))


def _parameter_attributes(p: JobParameter) -> dict[str, str]:
    attributes = {"name": p.name, "type": p.type}
    optional = {
        "unit": p.unit or None,
        "default": p.default,
        "min": None if p.minimum is None else str(p.minimum),
        "max": None if p.maximum is None else str(p.maximum),
        "options": ",".join(p.allowed) if p.allowed else None,
    }
    attributes.update({k: v for k, v in optional.items() if v is not None})
    attributes["required"] = str(p.default is None and not p.optional).lower()
    return attributes


def description(job_types: dict[str, JobType], url: str) -> str:
    """The job types and their declared parameters (as OPUS describes its jobs)."""
    root = ET.Element("jobTypes", xmlns="urn:ctanb:uws")
    for name, job_type in job_types.items():
        node = ET.SubElement(root, "jobType", name=name, href=f"{url}/{name}")
        ET.SubElement(node, "description").text = job_type.description
        for p in job_type.parameters:
            ET.SubElement(node, "parameter", _parameter_attributes(p)).text = p.description
    return _DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
