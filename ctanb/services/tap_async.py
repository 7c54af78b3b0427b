"""Asynchronous TAP queries: the IVOA UWS 1.1 binding at ``/tap/async``.

Jobs live in the store (``uws.tap_job``), so a restart of the service loses none: jobs
that were QUEUED run again; jobs that were EXECUTING go to ERROR saying the service
restarted (their query may be re-submitted). Results are VOTable files under
``<home>/tap-results`` and are deleted with their job, at the latest at destruction time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from ctanb.services.auth import Identity, get_identity
from ctanb.services.results import error_document, render
from ctanb.services.store import Store
from ctanb.services.tap import QueryError, base_url, check_query_params, run_query, tap_request

__all__ = ["JOBS_SQL", "install", "router"]

log = logging.getLogger(__name__)

JOBS_SQL = """
CREATE SCHEMA IF NOT EXISTS uws;
CREATE TABLE IF NOT EXISTS uws.tap_job (
    job_id text PRIMARY KEY,
    owner text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    phase text NOT NULL,
    parameters jsonb NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    started timestamptz,
    ended timestamptz,
    destruction timestamptz NOT NULL,
    execution_duration integer NOT NULL,
    error text,
    result_path text,
    result_type text
);
CREATE INDEX IF NOT EXISTS tap_job_owner_idx ON uws.tap_job (owner, created);
REVOKE ALL ON SCHEMA uws FROM PUBLIC;
"""

PHASES = (
    "PENDING",
    "QUEUED",
    "EXECUTING",
    "COMPLETED",
    "ERROR",
    "ABORTED",
    "HELD",
    "SUSPENDED",
    "ARCHIVED",
    "UNKNOWN",
)
FINAL = ("COMPLETED", "ERROR", "ABORTED", "ARCHIVED")
DEFAULT_DURATION_S = 600
MAX_DURATION_S = 3600
RETENTION = timedelta(days=7)
MAX_WAIT_S = 60.0
UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"

router = APIRouter(prefix="/tap/async", tags=["TAP"])


# ---------------------------------------------------------------------------- storage
def _iso(value: datetime | None) -> str | None:
    return (
        value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if value
        else None
    )


def _job(store: Store, job_id: str, owner: str) -> dict[str, Any]:
    with store.connection() as conn:
        cur = conn.execute("SELECT * FROM uws.tap_job WHERE job_id = %s", (job_id,))
        row = cur.fetchone()
        names = [d.name for d in cur.description or []]
    if row is None:
        raise HTTPException(404, f"no job {job_id}")
    job = dict(zip(names, row, strict=True))
    if job["owner"] != owner:  # another user's job does not exist for this caller
        raise HTTPException(404, f"no job {job_id}")
    return job


def _update(store: Store, job_id: str, **values: Any) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in values)
    with store.connection() as conn:
        conn.execute(
            f"UPDATE uws.tap_job SET {assignments} WHERE job_id = %(job_id)s",
            {**values, "job_id": job_id},
        )


# ---------------------------------------------------------------------------- execution
class Runner:
    """Runs queued TAP jobs in worker threads and restores jobs after a restart."""

    def __init__(self, store: Store, results_dir: Path, workers: int = 4) -> None:
        self.store = store
        self.results_dir = results_dir
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="tap-async")
        self.changed = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._janitor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Restore jobs left by a previous run and start the janitor."""
        self.loop = asyncio.get_running_loop()
        self.results_dir.mkdir(parents=True, exist_ok=True)
        with self.store.connection() as conn:
            conn.execute(JOBS_SQL)
            conn.execute(
                "UPDATE uws.tap_job SET phase = 'ERROR', ended = now(), error = "
                "'the service restarted while this query ran: submit it again' "
                "WHERE phase = 'EXECUTING'"
            )
            queued = conn.execute(
                "SELECT job_id FROM uws.tap_job WHERE phase = 'QUEUED' ORDER BY created"
            ).fetchall()
        for (job_id,) in queued:
            self.submit(job_id)
        self._janitor = asyncio.create_task(self._destroy_expired())

    async def stop(self) -> None:
        """Stop the janitor and the workers (running queries finish)."""
        if self._janitor:
            self._janitor.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def notify(self) -> None:
        """Wake every WAIT (thread-safe)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._pulse)

    def _pulse(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def submit(self, job_id: str) -> None:
        """Queue a job for execution."""
        self.pool.submit(self._execute, job_id)

    def _execute(self, job_id: str) -> None:
        with self.store.connection() as conn:
            row = conn.execute(
                "UPDATE uws.tap_job SET phase = 'EXECUTING', started = now() "
                "WHERE job_id = %s AND phase = 'QUEUED' "
                "RETURNING parameters, groups, execution_duration",
                (job_id,),
            ).fetchone()
        if row is None:  # aborted or deleted meanwhile
            return
        self.notify()
        parameters, groups, duration = row
        try:
            query, maxrec, fmt, media = check_query_params(parameters)
            result = run_query(
                self.store,
                query,
                maxrec=maxrec,
                groups=frozenset(groups),
                timeout_ms=duration * 1000,
            )
            path = self.results_dir / f"{job_id}.{'csv' if fmt == 'csv' else 'dat'}"
            path.write_bytes(render(result, fmt, parameters.get("_BASE_URL", "")))
            with self.store.connection() as conn:
                updated = conn.execute(
                    "UPDATE uws.tap_job SET phase = 'COMPLETED', ended = now(), "
                    "result_path = %s, result_type = %s WHERE job_id = %s AND phase = 'EXECUTING'",
                    (str(path), media, job_id),
                ).rowcount
            if not updated:
                path.unlink(missing_ok=True)
        except QueryError as exc:
            _update(self.store, job_id, phase="ERROR", ended=datetime.now(UTC), error=str(exc))
        except Exception as exc:
            log.exception("TAP job %s failed", job_id)
            _update(
                self.store,
                job_id,
                phase="ERROR",
                ended=datetime.now(UTC),
                error=f"internal error: {exc}",
            )
        self.notify()

    async def _destroy_expired(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                with self.store.connection() as conn:
                    expired = conn.execute(
                        "DELETE FROM uws.tap_job WHERE destruction < now() RETURNING result_path"
                    ).fetchall()
                for (path,) in expired:
                    if path:
                        Path(path).unlink(missing_ok=True)
            await asyncio.sleep(60)


def _runner(request: Request) -> Runner:
    return request.app.state.tap_async


# ---------------------------------------------------------------------------- documents
def _job_xml(job: dict[str, Any], url: str) -> str:
    def element(name: str, value: Any) -> str:
        if value is None:
            return f'<uws:{name} xsi:nil="true"/>'
        return f"<uws:{name}>{escape(str(value))}</uws:{name}>"

    parameters = "".join(
        f'<uws:parameter id="{escape(k.lower())}">{escape(str(v))}</uws:parameter>'
        for k, v in job["parameters"].items()
        if not k.startswith("_")
    )
    results = ""
    if job["phase"] == "COMPLETED" and job["result_path"]:
        results = (
            f'<uws:result id="result" xlink:href="{escape(url)}/results/result" '
            f'mime-type="{escape(job["result_type"] or "")}"/>'
        )
    error = ""
    if job["error"]:
        error = (
            f'<uws:errorSummary type="fatal" hasDetail="false">'
            f"<uws:message>{escape(job['error'])}</uws:message></uws:errorSummary>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<uws:job xmlns:uws="{UWS_NS}" xmlns:xlink="{XLINK_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1">'
        + element("jobId", job["job_id"])
        + element("runId", job["parameters"].get("RUNID"))
        + element("ownerId", job["owner"])
        + element("phase", job["phase"])
        + element("quote", None)
        + element("creationTime", _iso(job["created"]))
        + element("startTime", _iso(job["started"]))
        + element("endTime", _iso(job["ended"]))
        + element("executionDuration", job["execution_duration"])
        + element("destruction", _iso(job["destruction"]))
        + f"<uws:parameters>{parameters}</uws:parameters>"
        + f"<uws:results>{results}</uws:results>"
        + error
        + "</uws:job>\n"
    )


def _xml(body: str) -> Response:
    return Response(body, media_type="text/xml")


def _text(value: Any) -> Response:
    return Response("" if value is None else str(value), media_type="text/plain")


# ---------------------------------------------------------------------------- routes
@router.get("")
async def job_list(
    request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """List the caller's jobs (filters PHASE, AFTER, LAST)."""
    phases = [p.upper() for p in request.query_params.getlist("PHASE")]
    after = request.query_params.get("AFTER")
    last = request.query_params.get("LAST")
    conditions: list[str] = ["owner = %s"]
    values: list[Any] = [identity.name]
    if phases:
        conditions.append("phase = ANY(%s)")
        values.append(phases)
    else:
        conditions.append("phase <> 'ARCHIVED'")
    if after:
        conditions.append("created > %s::timestamptz")
        values.append(after)
    order = "created DESC" if last else "created"
    limit = f" LIMIT {int(last)}" if last and last.isdigit() else ""
    store: Store = request.app.state.store
    with store.connection() as conn:
        rows = conn.execute(
            f"SELECT job_id, phase, parameters->>'RUNID', owner, created FROM uws.tap_job "
            f"WHERE {' AND '.join(conditions)} ORDER BY {order}{limit}",
            values,
        ).fetchall()
    url = base_url(request) + "/tap/async"
    refs = "".join(
        f'<uws:jobref id="{escape(job_id)}" xlink:href="{escape(url)}/{escape(job_id)}">'
        f"<uws:phase>{phase}</uws:phase>"
        + (f"<uws:runId>{escape(run_id)}</uws:runId>" if run_id else "")
        + f"<uws:ownerId>{escape(owner)}</uws:ownerId>"
        f"<uws:creationTime>{_iso(created)}</uws:creationTime></uws:jobref>"
        for job_id, phase, run_id, owner, created in rows
    )
    return _xml(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:jobs xmlns:uws="{UWS_NS}" '
        f'xmlns:xlink="{XLINK_NS}" version="1.1">{refs}</uws:jobs>\n'
    )


@router.post("")
async def create_job(
    request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Create a query job (PENDING; QUEUED at once with PHASE=RUN)."""
    params = await tap_request(request)
    phase = params.pop("PHASE", "").upper()
    # Parameters are checked when the job runs: a bad one sends it to ERROR with a message.
    job_id = uuid.uuid4().hex[:16]
    params["_BASE_URL"] = base_url(request)
    store: Store = request.app.state.store
    with store.connection() as conn:
        conn.execute(
            "INSERT INTO uws.tap_job (job_id, owner, groups, phase, parameters, destruction, "
            "execution_duration) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                job_id,
                identity.name,
                sorted(identity.groups),
                "QUEUED" if phase == "RUN" else "PENDING",
                _json(params),
                datetime.now(UTC) + RETENTION,
                DEFAULT_DURATION_S,
            ),
        )
    if phase == "RUN":
        _runner(request).submit(job_id)
    return RedirectResponse(f"{base_url(request)}/tap/async/{job_id}", status_code=303)


def _json(params: dict[str, str]) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(params)


@router.get("/{job_id}")
async def get_job(
    job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Return the job document; with WAIT=seconds, block until the phase changes."""
    store: Store = request.app.state.store
    job = _job(store, job_id, identity.name)
    wait = request.query_params.get("WAIT")
    if wait is not None and job["phase"] in ("PENDING", "QUEUED", "EXECUTING"):
        try:
            seconds = MAX_WAIT_S if float(wait) < 0 else min(float(wait), MAX_WAIT_S)
        except ValueError:
            seconds = 0.0
        wanted = request.query_params.get("PHASE", job["phase"]).upper()
        deadline = asyncio.get_running_loop().time() + seconds
        while job["phase"] == wanted and job["phase"] not in FINAL:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_runner(request).changed.wait(), min(remaining, 1.0))
            job = _job(store, job_id, identity.name)
    return _xml(_job_xml(job, f"{base_url(request)}/tap/async/{job_id}"))


@router.delete("/{job_id}")
async def delete_job(
    job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Delete a job and its result."""
    store: Store = request.app.state.store
    job = _job(store, job_id, identity.name)
    with store.connection() as conn:
        conn.execute("DELETE FROM uws.tap_job WHERE job_id = %s", (job_id,))
    if job["result_path"]:
        Path(job["result_path"]).unlink(missing_ok=True)
    _runner(request).notify()
    return RedirectResponse(f"{base_url(request)}/tap/async", status_code=303)


@router.post("/{job_id}")
async def post_job(
    job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """ACTION=DELETE deletes the job; other parameters update a PENDING job."""
    params = await tap_request(request)
    if params.get("ACTION", "").upper() == "DELETE":
        return await delete_job(job_id, request, identity)
    store: Store = request.app.state.store
    job = _job(store, job_id, identity.name)
    if job["phase"] != "PENDING":
        raise HTTPException(409, f"job {job_id} is {job['phase']}: only PENDING jobs change")
    _update(store, job_id, parameters=_json({**job["parameters"], **params}))
    return RedirectResponse(f"{base_url(request)}/tap/async/{job_id}", status_code=303)


@router.get("/{job_id}/phase")
async def get_phase(
    job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Return the job's phase."""
    return _text(_job(request.app.state.store, job_id, identity.name)["phase"])


@router.post("/{job_id}/phase")
async def set_phase(
    job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """PHASE=RUN queues a PENDING job; PHASE=ABORT aborts an unfinished one."""
    store: Store = request.app.state.store
    job = _job(store, job_id, identity.name)
    phase = (await tap_request(request)).get("PHASE", "").upper()
    if phase == "RUN":
        if job["phase"] in ("PENDING", "HELD"):
            _update(store, job_id, phase="QUEUED")
            _runner(request).submit(job_id)
    elif phase == "ABORT":
        if job["phase"] not in FINAL:
            _update(store, job_id, phase="ABORTED", ended=datetime.now(UTC))
    else:
        raise HTTPException(400, f"PHASE must be RUN or ABORT, not '{phase}'")
    _runner(request).notify()
    return RedirectResponse(f"{base_url(request)}/tap/async/{job_id}", status_code=303)


@router.get("/{job_id}/{item}")
async def get_item(
    job_id: str, item: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """One item of the job resource (UWS 1.1 section 2.2.3)."""
    job = _job(request.app.state.store, job_id, identity.name)
    url = f"{base_url(request)}/tap/async/{job_id}"
    values = {
        "executionduration": job["execution_duration"],
        "destruction": _iso(job["destruction"]),
        "quote": None,
        "owner": job["owner"],
    }
    if item == "error":
        return Response(
            error_document(job["error"] or "no error"), media_type="application/x-votable+xml"
        )
    if item in values:
        return _text(values[item])
    full = _job_xml(job, url)
    if item in ("parameters", "results"):
        start, end = full.index(f"<uws:{item}>"), full.index(f"</uws:{item}>")
        return _xml(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:{item} xmlns:uws="{UWS_NS}" '
            f'xmlns:xlink="{XLINK_NS}">{full[start + len(item) + 6 : end]}</uws:{item}>\n'
        )
    raise HTTPException(404, f"no item {item} in a UWS job")


@router.post("/{job_id}/{item}")
async def set_item(
    job_id: str, item: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Change executionduration or destruction."""
    store: Store = request.app.state.store
    _job(store, job_id, identity.name)
    params = await tap_request(request)
    if item == "executionduration":
        try:
            seconds = int(params.get("EXECUTIONDURATION", ""))
        except ValueError as exc:
            raise HTTPException(400, "EXECUTIONDURATION must be whole seconds") from exc
        _update(store, job_id, execution_duration=max(1, min(seconds, MAX_DURATION_S)))
    elif item == "destruction":
        try:
            when = datetime.fromisoformat(params.get("DESTRUCTION", "").replace("Z", "+00:00"))
        except ValueError as exc:
            raise HTTPException(400, "DESTRUCTION must be an ISO 8601 date") from exc
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        _update(store, job_id, destruction=min(when, datetime.now(UTC) + RETENTION))
    elif item == "parameters":
        job = _job(store, job_id, identity.name)
        if job["phase"] != "PENDING":
            raise HTTPException(409, f"job {job_id} is {job['phase']}: only PENDING jobs change")
        _update(store, job_id, parameters=_json({**job["parameters"], **params}))
    else:
        raise HTTPException(404, f"{item} cannot be changed")
    return RedirectResponse(f"{base_url(request)}/tap/async/{job_id}", status_code=303)


@router.get("/{job_id}/results/result")
async def get_result(
    job_id: str, request: Request, identity: Annotated[Identity, Depends(get_identity)]
) -> Response:
    """Return the query result."""
    job = _job(request.app.state.store, job_id, identity.name)
    if job["phase"] != "COMPLETED" or not job["result_path"]:
        raise HTTPException(404, f"job {job_id} is {job['phase']}: no result")
    return FileResponse(job["result_path"], media_type=job["result_type"])


def install(app: FastAPI, store: Store, results_dir: Path) -> None:
    """Mount ``/tap/async`` and run its jobs while the app runs."""
    runner = Runner(store, results_dir)
    app.state.tap_async = runner
    app.include_router(router)
    app.router.add_event_handler("startup", runner.start)
    app.router.add_event_handler("shutdown", runner.stop)
