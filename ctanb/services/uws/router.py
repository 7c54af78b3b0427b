"""The UWS 1.1 REST binding: ``/uws/{jobtype}`` for analyses and ``/tap/async`` for TAP."""

from __future__ import annotations

import asyncio
import contextlib
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
from ctanb.services.uws.service import (
    FINAL,
    MAX_DURATION_S,
    RETENTION,
    JobNotFoundError,
    JobService,
    job_owner,
)

__all__ = ["add_routes"]

MAX_WAIT_S = 60.0


def _service(request: Request) -> JobService:
    return request.app.state.uws


def _xml(body: str) -> Response:
    return Response(body, media_type="text/xml")


def _text(value: Any) -> Response:
    return Response("" if value is None else str(value), media_type="text/plain")


def add_routes(app: FastAPI) -> None:
    """Mount ``/uws`` (description), ``/uws/{jobtype}/...`` and ``/tap/async/...``."""

    @app.get("/uws", tags=["UWS"])
    async def describe(request: Request) -> Response:
        """Describe the job types and their parameters."""
        return _xml(documents.description(JOB_TYPES, base_url(request) + "/uws"))

    app.include_router(_router("/uws/{jobtype}"))
    app.include_router(_router("/tap/async", fixed="tap"))


def _router(prefix: str, fixed: str | None = None) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["TAP" if fixed else "UWS"])

    def job_type(request: Request) -> str:
        name = fixed or request.path_params.get("jobtype", "")
        if name not in JOB_TYPES or (not fixed and name == "tap"):
            raise HTTPException(404, f"no job type {name!r}: see /uws for the job types")
        return name

    def list_url(request: Request, name: str) -> str:
        return base_url(request) + ("/tap/async" if fixed else f"/uws/{name}")

    async def load(request: Request, job_id: str, identity: Identity) -> dict[str, Any]:
        # the store is read in a worker thread: the event loop serves other requests
        try:
            return await run_in_threadpool(
                _service(request).job, job_id, identity, job_type(request)
            )
        except JobNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc

    def redirect(url: str) -> Response:
        return RedirectResponse(url, status_code=303)

    @router.get("")
    async def job_list(
        request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """List the caller's jobs (filters PHASE, AFTER, LAST); empty for anonymous callers."""
        name = job_type(request)
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
        return _xml(documents.job_list(jobs, list_url(request, name)))

    @router.post("")
    async def create(
        request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """Create a job: PENDING, or QUEUED at once with PHASE=RUN."""
        name = job_type(request)
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
        return redirect(f"{list_url(request, name)}/{job_id}")

    @router.get("/{job_id}")
    async def get_job(
        job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """Return the job document; with WAIT=seconds, block until the phase changes."""
        job = await load(request, job_id, identity)
        wait = request.query_params.get("WAIT")
        if wait is not None and job["phase"] not in FINAL:
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
                job = await load(request, job_id, identity)
        url = f"{list_url(request, job['job_type'])}/{job_id}"
        if "json" in request.headers.get("accept", ""):
            return Response(documents.job_json(job, url), media_type="application/json")
        return _xml(documents.job_document(job, url))

    @router.delete("/{job_id}")
    async def delete(
        job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """Delete a job and its results."""
        job = await load(request, job_id, identity)
        await run_in_threadpool(_service(request).delete, job)
        return redirect(list_url(request, job["job_type"]))

    @router.post("/{job_id}")
    async def post_job(
        job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """ACTION=DELETE deletes the job; other parameters change a PENDING job."""
        params = await tap_request(request)
        if params.get("ACTION", "").upper() == "DELETE":
            return await delete(job_id, request, identity)
        job = await load(request, job_id, identity)
        try:
            await run_in_threadpool(_service(request).set_parameters, job, params)
        except ParameterError as exc:
            raise HTTPException(409 if "PENDING" in str(exc) else 400, str(exc)) from exc
        return redirect(f"{list_url(request, job['job_type'])}/{job_id}")

    @router.get("/{job_id}/phase")
    async def get_phase(
        job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """Return the job's phase."""
        return _text((await load(request, job_id, identity))["phase"])

    @router.post("/{job_id}/phase")
    async def set_phase(
        job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
    ) -> Response:
        """PHASE=RUN queues a PENDING job; PHASE=ABORT aborts an unfinished one."""
        job = await load(request, job_id, identity)
        phase = (await tap_request(request)).get("PHASE", "").upper()
        if phase == "RUN":
            await run_in_threadpool(_service(request).run, job)
        elif phase == "ABORT":
            await run_in_threadpool(_service(request).abort, job)
        else:
            raise HTTPException(400, f"PHASE must be RUN or ABORT, not '{phase}'")
        return redirect(f"{list_url(request, job['job_type'])}/{job_id}")

    @router.get("/{job_id}/results/{result_id}")
    async def get_result(
        job_id: str,
        result_id: str,
        request: Request,
        identity: Annotated[Identity, Depends(get_identity)],
    ) -> Response:
        """Return one result file."""
        job = await load(request, job_id, identity)
        for result in job["results"] if job["phase"] == "COMPLETED" else []:
            if result["id"] == result_id:
                return FileResponse(result["path"], media_type=result["mime"])
        raise HTTPException(404, f"job {job_id} ({job['phase']}) has no result {result_id}")

    @router.get("/{job_id}/{item}")
    async def get_item(
        job_id: str,
        item: str,
        request: Request,
        identity: Annotated[Identity, Depends(get_identity)],
    ) -> Response:
        """Return one item of the job resource (UWS 1.1 section 2.2.3)."""
        job = await load(request, job_id, identity)
        url = f"{list_url(request, job['job_type'])}/{job_id}"
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
        wrap = '<?xml version="1.0" encoding="UTF-8"?>\n{}'
        if item == "parameters":
            body = documents.parameters_xml(job)
        elif item == "results":
            body = documents.results_xml(job, url)
        else:
            raise HTTPException(404, f"no item {item} in a UWS job")
        body = body.replace(
            f"<uws:{item}>",
            f'<uws:{item} xmlns:uws="{documents.UWS_NS}" xmlns:xlink="{documents.XLINK_NS}">',
            1,
        )
        return _xml(wrap.format(body))

    @router.post("/{job_id}/{item}")
    async def set_item(
        job_id: str,
        item: str,
        request: Request,
        identity: Annotated[Identity, Depends(get_identity)],
    ) -> Response:
        """Change executionduration, destruction or (PENDING jobs) parameters."""
        job = await load(request, job_id, identity)
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
            try:
                await run_in_threadpool(service.set_parameters, job, params)
            except ParameterError as exc:
                raise HTTPException(409 if "PENDING" in str(exc) else 400, str(exc)) from exc
        else:
            raise HTTPException(404, f"{item} cannot be changed")
        return redirect(f"{list_url(request, job['job_type'])}/{job_id}")

    return router
