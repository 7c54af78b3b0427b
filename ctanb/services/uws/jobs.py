"""The job table ``uws.job``: who owns a job, and every statement that reads or changes one.

Jobs live in the store (owner, the owner's groups, phase, parameters, times and results),
so a restart of the service loses none. Who may touch a job: an authenticated caller sees,
reads, aborts and deletes only the jobs it owns. Callers without a token share no owner:
each anonymous job gets an owner of its own (``anonymous:<random>``), the anonymous job list
is empty, and the job's URL, whose id holds 144 random bits, is the capability to read,
abort or delete it (as a signed link is).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ctanb.services.auth import Identity
from ctanb.services.store import Store

__all__ = [
    "ANONYMOUS_PREFIX",
    "DEFAULT_DURATION_S",
    "JOBS_SQL",
    "JOB_LOCK",
    "MAX_DURATION_S",
    "RETENTION",
    "JobNotFoundError",
    "JobTable",
    "job_owner",
    "may_access",
    "new_job_id",
]

JOBS_SQL = """
CREATE SCHEMA IF NOT EXISTS uws;
CREATE TABLE IF NOT EXISTS uws.job (
    job_id text PRIMARY KEY,
    job_type text NOT NULL,
    owner text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    phase text NOT NULL,
    parameters jsonb NOT NULL,
    run_id text,
    created timestamptz NOT NULL DEFAULT now(),
    started timestamptz,
    ended timestamptz,
    destruction timestamptz NOT NULL,
    execution_duration integer NOT NULL,
    error text,
    results jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS job_owner_idx ON uws.job (owner, job_type, created);
REVOKE ALL ON SCHEMA uws FROM PUBLIC;
"""

DEFAULT_DURATION_S = 600
MAX_DURATION_S = 3600
RETENTION = timedelta(days=7)
# A process running a job holds this advisory lock (with the job id's hash) on a connection
# of its own: a job left EXECUTING whose lock nobody holds was running in a process that died.
JOB_LOCK = 724003
ANONYMOUS_PREFIX = "anonymous:"


def new_job_id() -> str:
    """An unguessable job id (144 random bits, URL-safe): the capability of anonymous jobs."""
    return secrets.token_urlsafe(18)


def job_owner(identity: Identity) -> str:
    """The owner recorded for a new job: the user's name, or a fresh ``anonymous:<random>``."""
    if identity.anonymous:
        return ANONYMOUS_PREFIX + secrets.token_urlsafe(18)
    return identity.name


def may_access(job_owner_name: str, identity: Identity) -> bool:
    """Whether ``identity`` may read or change a job of ``job_owner_name``.

    Its owner may; an anonymous job (``anonymous:...``) is open to whoever holds its URL.
    """
    return job_owner_name == identity.name or job_owner_name.startswith(ANONYMOUS_PREFIX)


class JobNotFoundError(LookupError):
    """No such job for this owner."""


def _as_rows(cur: psycopg.Cursor) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class JobTable:
    """The statements on ``uws.job`` (values always bound as parameters).

    Parameters
    ----------
    store : Store
        The store holding the table.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self) -> None:
        """Create the table (idempotent); give the old shared anonymous owner's jobs URLs."""
        with self.store.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(724001)")  # one DDL writer at a time
            conn.execute(JOBS_SQL)
            # jobs of the shared owner of earlier versions become capability-URL jobs
            conn.execute(
                "UPDATE uws.job SET owner = 'anonymous:' || job_id WHERE owner = 'anonymous'"
            )

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job's row as a dict, or None."""
        with self.store.connection() as conn:
            rows = _as_rows(conn.execute("SELECT * FROM uws.job WHERE job_id = %s", (job_id,)))
        return rows[0] if rows else None

    def select(
        self, owner: str, job_type: str, phases: list[str], after: str | None, last: int | None
    ) -> list[dict[str, Any]]:
        """An owner's jobs of one type, filtered as UWS 1.1 lists them."""
        conditions, values = ["owner = %s", "job_type = %s"], [owner, job_type]
        if phases:
            conditions.append("phase = ANY(%s)")
            values.append(phases)  # type: ignore[arg-type]
        else:
            conditions.append("phase <> 'ARCHIVED'")
        if after:
            conditions.append("created > %s::timestamptz")
            values.append(after)
        order = "created DESC" if last else "created"
        limit = f" LIMIT {int(last)}" if last else ""
        with self.store.connection() as conn:
            return _as_rows(
                conn.execute(
                    f"SELECT job_id, phase, run_id, owner, created FROM uws.job "
                    f"WHERE {' AND '.join(conditions)} ORDER BY {order}{limit}",
                    values,
                )
            )

    def insert(
        self,
        job_type: str,
        owner: str,
        groups: frozenset[str],
        params: dict[str, str],
        phase: str,
    ) -> str:
        """Add a job; return its new id."""
        job_id = new_job_id()
        with self.store.connection() as conn:
            conn.execute(
                "INSERT INTO uws.job (job_id, job_type, owner, groups, phase, parameters, run_id,"
                " destruction, execution_duration) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    job_id,
                    job_type,
                    owner,
                    sorted(groups),
                    phase,
                    Jsonb(params),
                    params.get("RUNID"),
                    datetime.now(UTC) + RETENTION,
                    DEFAULT_DURATION_S,
                ),
            )
        return job_id

    def update(self, job_id: str, **values: Any) -> int:
        """Set columns of a job; return the number of rows changed."""
        return self._set(job_id, values, "", "")

    def finish(self, job_id: str, **values: Any) -> int:
        """End an EXECUTING job with ``values`` (phase, results or error); rows changed."""
        return self._set(job_id, values, ", ended = now()", " AND phase = 'EXECUTING'")

    def _set(self, job_id: str, values: dict[str, Any], also: str, condition: str) -> int:
        # column names quoted as identifiers: only the service's own code names them
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name))
            for name in values
        )
        bound = {k: Jsonb(v) if isinstance(v, dict | list) else v for k, v in values.items()}
        statement = sql.SQL("UPDATE uws.job SET {}{} WHERE job_id = %(job_id)s{}").format(
            assignments, sql.SQL(also), sql.SQL(condition)
        )
        with self.store.connection() as conn:
            return conn.execute(statement, {**bound, "job_id": job_id}).rowcount

    def delete(self, job_id: str) -> None:
        """Delete a job's row."""
        with self.store.connection() as conn:
            conn.execute("DELETE FROM uws.job WHERE job_id = %s", (job_id,))

    def start(self, job_id: str) -> tuple[str, dict[str, Any], list[str], int] | None:
        """Set a QUEUED job EXECUTING; its type, parameters, groups and duration, or None."""
        with self.store.connection() as conn:
            return conn.execute(
                "UPDATE uws.job SET phase = 'EXECUTING', started = now() WHERE job_id = %s "
                "AND phase = 'QUEUED' RETURNING job_type, parameters, groups, execution_duration",
                (job_id,),
            ).fetchone()

    def queued(self) -> list[str]:
        """The ids of the QUEUED jobs, oldest first."""
        with self.store.connection() as conn:
            rows = conn.execute(
                "SELECT job_id FROM uws.job WHERE phase = 'QUEUED' ORDER BY created"
            ).fetchall()
        return [job_id for (job_id,) in rows]

    def executing(self) -> int:
        """How many jobs are EXECUTING (here or in another process)."""
        with self.store.connection() as conn:
            left = conn.execute("SELECT count(*) FROM uws.job WHERE phase = 'EXECUTING'").fetchone()
        return left[0] if left else 0

    def settle_orphans(self) -> int:
        """Set to ERROR the EXECUTING jobs that no running process holds; return how many."""
        settled = 0
        with self.store.connection() as conn:
            running = conn.execute("SELECT job_id FROM uws.job WHERE phase = 'EXECUTING'")
            for (job_id,) in running.fetchall():
                with conn.transaction():
                    free = conn.execute(
                        "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", (JOB_LOCK, job_id)
                    ).fetchone()
                    if free and free[0]:
                        settled += conn.execute(
                            "UPDATE uws.job SET phase = 'ERROR', ended = now(), error = 'the "
                            "service restarted while this job ran: submit it again' WHERE "
                            "job_id = %s AND phase = 'EXECUTING'",
                            (job_id,),
                        ).rowcount
        return settled

    def expire(self) -> list[str]:
        """Delete the jobs past their destruction time; return their ids."""
        with self.store.connection() as conn:
            expired = conn.execute(
                "DELETE FROM uws.job WHERE destruction < now() RETURNING job_id"
            ).fetchall()
        return [job_id for (job_id,) in expired]
