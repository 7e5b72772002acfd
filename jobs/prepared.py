"""Job-row statements built once and run with parameters (the store's hot paths).

Building an UPDATE with SQLAlchemy (coercing each value, computing the statement's cache
key) costs more CPU than SQLite takes to run it. The statements a worker runs for every
job (claim, heartbeat, progress, park, finish) are built once per shape here; each call
only binds its values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)

from jobs.models import JSON
from jobs.schema import jobs_table as jobs_t
from jobs.states import JobState

# Expressions a value may be, besides a plain value: shared objects, so that a statement
# built for one call serves every later call of the same shape.
NEXT_EVENT_SEQ = jobs_t.c.event_seq + 1
NEXT_ATTEMPT = jobs_t.c.attempts + 1
_EXPRESSIONS = {id(NEXT_EVENT_SEQ): NEXT_EVENT_SEQ, id(NEXT_ATTEMPT): NEXT_ATTEMPT}

_RUNNING = JobState.RUNNING.value
_WAS_RUNNING = jobs_t.c.state == _RUNNING
_NOW = bindparam("now", type_=Float())


def _value(column: str) -> Any:
    return bindparam(f"v_{column}", type_=jobs_t.c[column].type)


def _shape(values: JSON) -> tuple[tuple[str, int], ...]:
    shape = []
    for column, value in values.items():
        if isinstance(value, ColumnElement):
            if id(value) not in _EXPRESSIONS:
                raise ValueError(f"{column}: only the expressions of jobs.prepared may be set")
            shape.append((column, id(value)))
        else:
            shape.append((column, 0))
    return tuple(shape)


class OwnedUpdates:
    """``UPDATE jobs SET … WHERE id, lease owner and running state match``, one per shape."""

    def __init__(self) -> None:
        self._built: dict[tuple[Any, ...], Any] = {}

    def bind(
        self,
        job_id: str,
        owner: str,
        values: JSON,
        *,
        unless_cancel_requested: bool = False,
        returning: tuple[str, ...] = (),
    ) -> tuple[Any, JSON]:
        """The statement for these columns and the parameters for this call."""
        shape = (_shape(values), unless_cancel_requested, returning)
        statement = self._built.get(shape)
        if statement is None:
            statement = self._build(values, unless_cancel_requested, returning)
            self._built[shape] = statement
        params = {
            f"v_{column}": value
            for column, value in values.items()
            if not isinstance(value, ColumnElement)
        }
        params["w_id"] = job_id
        params["w_owner"] = owner
        return statement, params

    @staticmethod
    def _build(values: JSON, unless_cancel_requested: bool, returning: tuple[str, ...]) -> Any:
        where = [
            jobs_t.c.id == bindparam("w_id"),
            jobs_t.c.lease_owner == bindparam("w_owner"),
            jobs_t.c.state == _RUNNING,
        ]
        if unless_cancel_requested:
            where.append(jobs_t.c.cancel_requested.is_(False))
        statement = (
            update(jobs_t)
            .where(*where)
            .values(
                {
                    column: value if isinstance(value, ColumnElement) else _value(column)
                    for column, value in values.items()
                }
            )
        )
        if returning:
            statement = statement.returning(*(jobs_t.c[name] for name in returning))
        return statement


def _due() -> Any:
    """Ids of claimable jobs at ``:now``, oldest due first."""
    now = _NOW
    is_due = or_(
        and_(
            jobs_t.c.state.in_([JobState.QUEUED.value, JobState.WAITING.value]),
            jobs_t.c.run_after_at <= now,
        ),
        # "Expired" is inclusive, like "due": at the boundary instant the job is
        # claimable, so a pool woken for it finds it.
        and_(_WAS_RUNNING, jobs_t.c.lease_expires_at <= now),
    )
    return select(jobs_t.c.id).where(is_due).order_by(jobs_t.c.run_after_at)


# Is anything due at :now? (an idle poll's look before it takes the write lock)
ANY_DUE = _due().limit(1)

# Take up to :limit due jobs for :owner; one statement, so no two workers take the same job.
# Its sub-select carries FOR UPDATE SKIP LOCKED, which PostgreSQL honours and SQLite (one
# writer at a time) does not need.
CLAIM = (
    update(jobs_t)
    .where(
        jobs_t.c.id.in_(
            _due().limit(bindparam("limit", type_=Integer())).with_for_update(skip_locked=True)
        )
    )
    .values(
        state=_RUNNING,
        lease_owner=bindparam("owner", type_=jobs_t.c.lease_owner.type),
        lease_expires_at=bindparam("lease_expires_at", type_=jobs_t.c.lease_expires_at.type),
        updated_at=_NOW,
        started_at=func.coalesce(jobs_t.c.started_at, _NOW),
        # Taking over from a dead worker counts as an attempt, so a job that kills its
        # worker every time gives up instead of looping forever.
        attempts=jobs_t.c.attempts + case((_WAS_RUNNING, 1), else_=0),
        event_seq=NEXT_EVENT_SEQ,
        event_kind=case((_WAS_RUNNING, "reclaimed"), else_="claimed"),
        event_message=bindparam("event_message", type_=jobs_t.c.event_message.type),
    )
    .returning(*jobs_t.c)
)
