"""The UWS 1.1 REST binding: ``/uws/{jobtype}`` for analyses and ``/tap/async`` for TAP.

Every route is a plain function of the request; :func:`add_routes` mounts the same
functions under both prefixes. A route learns its job type from the path (``jobtype``, or
``tap`` under ``/tap/async``) and reads the store in a worker thread, so the event loop
serves other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ctanb.services.auth import Identity, get_identity
from ctanb.services.results import error_document
from ctanb.services.tap import base_url, tap_request
from ctanb.services.uws import documents
from ctanb.services.uws.definitions import JOB_TYPES, ParameterError
from ctanb.services.uws.jobs import MAX_DURATION_S, RETENTION, JobNotFoundError, job_owner
from ctanb.services.uws.service import JobService
from ctanb.uws import FINAL

__all__ = ["add_routes"]

MAX_WAIT_S = 60.0
TAP_ASYNC = "/tap/async"
Caller = Annotated[Identity, Depends(get_identity)]


def add_routes(app: FastAPI) -> None:
    """Mount ``/uws`` (description), ``/uws/{jobtype}/...`` and ``/tap/async/...``."""
    app.add_api_route("/uws", describe, methods=["GET"], tags=["UWS"])
    for prefix, tag in (("/uws/{jobtype}", "UWS"), (TAP_ASYNC, "TAP")):
        router = APIRouter(prefix=prefix, tags=[tag])
        for path, route, methods in ROUTES:
            router.add_api_route(path, route, methods=methods)
        app.include_router(router)


# ---------------------------------------------------------------- helpers


def _service(request: Request) -> JobService:
    return request.app.state.uws


def _xml(body: str) -> Response:
    return Response(body, media_type="text/xml")


def _text(value: Any) -> Response:
    return Response("" if value is None else str(value), media_type="text/plain")


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _job_type(request: Request) -> str:
    """The job type of the path: ``tap`` under /tap/async, else a declared analysis."""
    name = request.path_params.get("jobtype")
    if name is None:
        return "tap"
    if name not in JOB_TYPES or name == "tap":
        raise HTTPException(404, f"no job type {name!r}: see /uws for the job types")
    return name


def _list_url(request: Request, name: str) -> str:
    tap = "jobtype" not in request.path_params
    return base_url(request) + (TAP_ASYNC if tap else f"/uws/{name}")


def _job_url(request: Request, job: dict[str, Any]) -> str:
    return f"{_list_url(request, job['job_type'])}/{job['job_id']}"


async def _load(request: Request, job_id: str, identity: Identity) -> dict[str, Any]:
    try:
        return await run_in_threadpool(_service(request).job, job_id, identity, _job_type(request))
    except JobNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


async def _set_parameters(request: Request, job: dict[str, Any], params: dict[str, str]) -> None:
    try:
        await run_in_threadpool(_service(request).set_parameters, job, params)
    except ParameterError as exc:
        raise HTTPException(409 if "PENDING" in str(exc) else 400, str(exc)) from exc


async def _wait_for_change(
    request: Request, job: dict[str, Any], identity: Identity, wait: str
) -> dict[str, Any]:
    """UWS WAIT: the job once its phase leaves PHASE (default its phase), or at the timeout."""
    try:
        seconds = MAX_WAIT_S if float(wait) < 0 else min(float(wait), MAX_WAIT_S)
    except ValueError:
        seconds = 0.0
    wanted = request.query_params.get("PHASE", job["phase"]).upper()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while job["phase"] == wanted and job["phase"] not in FINAL:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_service(request).changed.wait(), min(remaining, 1))
        job = await _load(request, job["job_id"], identity)
    return job


# ---------------------------------------------------------------- routes


async def describe(request: Request) -> Response:
    """Describe the job types and their parameters."""
    return _xml(documents.description(JOB_TYPES, base_url(request) + "/uws"))


async def job_list(request: Request, identity: Caller) -> Response:
    """List the caller's jobs (filters PHASE, AFTER, LAST); empty for anonymous callers."""
    name = _job_type(request)
    phases = [p.upper() for p in request.query_params.getlist("PHASE")]
    last = request.query_params.get("LAST")
    jobs = await run_in_threadpool(
        _service(request).jobs,
        identity,
        name,
        phases,
        request.query_params.get("AFTER"),
        int(last) if last and last.isdigit() else None,
    )
    return _xml(documents.job_list(jobs, _list_url(request, name)))


async def create(request: Request, identity: Caller) -> Response:
    """Create a job: PENDING, or QUEUED at once with PHASE=RUN."""
    name = _job_type(request)
    params = await tap_request(request)
    params["_BASE_URL"] = base_url(request)
    try:
        job_id = await run_in_threadpool(
            _service(request).create, name, job_owner(identity), identity.groups, params
        )
    except ParameterError as exc:
        return Response(
            error_document(str(exc)), status_code=400, media_type="application/x-votable+xml"
        )
    return _redirect(f"{_list_url(request, name)}/{job_id}")


async def get_job(job_id: str, request: Request, identity: Caller) -> Response:
    """Return the job document; with WAIT=seconds, block until the phase changes."""
    job = await _load(request, job_id, identity)
    wait = request.query_params.get("WAIT")
    if wait is not None and job["phase"] not in FINAL:
        job = await _wait_for_change(request, job, identity, wait)
    url = _job_url(request, job)
    if "json" in request.headers.get("accept", ""):
        return Response(documents.job_json(job, url), media_type="application/json")
    return _xml(documents.job_document(job, url))


async def delete(job_id: str, request: Request, identity: Caller) -> Response:
    """Delete a job and its results."""
    job = await _load(request, job_id, identity)
    await run_in_threadpool(_service(request).delete, job)
    return _redirect(_list_url(request, job["job_type"]))


async def post_job(job_id: str, request: Request, identity: Caller) -> Response:
    """ACTION=DELETE deletes the job; other parameters change a PENDING job."""
    params = await tap_request(request)
    if params.get("ACTION", "").upper() == "DELETE":
        return await delete(job_id, request, identity)
    job = await _load(request, job_id, identity)
    await _set_parameters(request, job, params)
    return _redirect(_job_url(request, job))


async def get_phase(job_id: str, request: Request, identity: Caller) -> Response:
    """Return the job's phase."""
    return _text((await _load(request, job_id, identity))["phase"])


async def set_phase(job_id: str, request: Request, identity: Caller) -> Response:
    """PHASE=RUN queues a PENDING job; PHASE=ABORT aborts an unfinished one."""
    job = await _load(request, job_id, identity)
    phase = (await tap_request(request)).get("PHASE", "").upper()
    if phase == "RUN":
        await run_in_threadpool(_service(request).run, job)
    elif phase == "ABORT":
        await run_in_threadpool(_service(request).abort, job)
    else:
        raise HTTPException(400, f"PHASE must be RUN or ABORT, not '{phase}'")
    return _redirect(_job_url(request, job))


async def get_result(job_id: str, result_id: str, request: Request, identity: Caller) -> Response:
    """Return one result file."""
    job = await _load(request, job_id, identity)
    for result in job["results"] if job["phase"] == "COMPLETED" else []:
        if result["id"] == result_id:
            return FileResponse(result["path"], media_type=result["mime"])
    raise HTTPException(404, f"job {job_id} ({job['phase']}) has no result {result_id}")


async def get_item(job_id: str, item: str, request: Request, identity: Caller) -> Response:
    """Return one item of the job resource (UWS 1.1 section 2.2.3)."""
    job = await _load(request, job_id, identity)
    if item == "error":
        return Response(
            error_document(job["error"] or "no error"), media_type="application/x-votable+xml"
        )
    simple = {
        "executionduration": job["execution_duration"],
        "quote": None,
        "destruction": documents.iso(job["destruction"]),
        "owner": documents.owner_id(job["owner"]),
    }
    if item in simple:
        return _text(simple[item])
    if item == "parameters":
        return _xml(documents.parameters_document(job))
    if item == "results":
        return _xml(documents.results_document(job, _job_url(request, job)))
    raise HTTPException(404, f"no item {item} in a UWS job")


async def set_item(job_id: str, item: str, request: Request, identity: Caller) -> Response:
    """Change executionduration, destruction or (PENDING jobs) parameters."""
    job = await _load(request, job_id, identity)
    service = _service(request)
    params = await tap_request(request)
    if item == "executionduration":
        try:
            seconds = int(params.get("EXECUTIONDURATION", ""))
        except ValueError as exc:
            raise HTTPException(400, "EXECUTIONDURATION must be whole seconds") from exc
        duration = max(1, min(seconds, MAX_DURATION_S))
        await run_in_threadpool(service.update, job_id, execution_duration=duration)
    elif item == "destruction":
        try:
            when = datetime.fromisoformat(params.get("DESTRUCTION", "").replace("Z", "+00:00"))
        except ValueError as exc:
            raise HTTPException(400, "DESTRUCTION must be an ISO 8601 date") from exc
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        when = min(when, datetime.now(UTC) + RETENTION)
        await run_in_threadpool(service.update, job_id, destruction=when)
    elif item == "parameters":
        await _set_parameters(request, job, params)
    else:
        raise HTTPException(404, f"{item} cannot be changed")
    return _redirect(_job_url(request, job))


#: (path under the prefix, route, methods), in matching order: fixed paths first.
ROUTES: tuple[tuple[str, Callable[..., Any], list[str]], ...] = (
    ("", job_list, ["GET"]),
    ("", create, ["POST"]),
    ("/{job_id}", get_job, ["GET"]),
    ("/{job_id}", delete, ["DELETE"]),
    ("/{job_id}", post_job, ["POST"]),
    ("/{job_id}/phase", get_phase, ["GET"]),
    ("/{job_id}/phase", set_phase, ["POST"]),
    ("/{job_id}/results/{result_id}", get_result, ["GET"]),
    ("/{job_id}/{item}", get_item, ["GET"]),
    ("/{job_id}/{item}", set_item, ["POST"]),
)
