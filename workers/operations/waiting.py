"""Waiting on resources between resumable steps: poll schedules, deadlines, progress.

``poll_wait`` is the next poll of a resource kind (a growing interval and a deadline, from
``Services.polling``). ``wait_in_status`` adds a deadline per observed status (the job fails
when a status lasts too long, saying what exists and what to do) and a progress fraction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from jobs.models import Progress
from workers.errors import PermanentError
from workers.polling import PollKind
from workers.steps import StepContext, Wait

T = TypeVar("T")
Lookup = Callable[[], Awaitable[T | None]]


def poll_wait(ctx: StepContext[Any], kind: PollKind, phase: str, what: str) -> Wait:
    """Wait for the next poll of ``kind``: growing interval, deadline, progress message.

    The poll count and start of ``phase`` are noted in the checkpoint committed with the wait.
    Raises PermanentError past the kind's deadline.
    """
    schedule = ctx.services.polling.for_kind(kind)
    key = f"polls_{phase}"
    polls = int(ctx.checkpoint.get(key, 0))
    started_key = f"since_{phase}"
    started = float(ctx.checkpoint.get(started_key, ctx.now()))
    ctx.note(**{started_key: started})
    waited = ctx.now() - started
    if schedule.expired(waited):
        raise PermanentError(
            f"gave up after {waited:.0f}s while {phase}: {what}; the resource still exists"
        )
    ctx.note(**{key: polls + 1})
    message = f"{what}; {ctx.elapsed_s:.0f}s elapsed"
    return Wait(schedule.delay_s(polls), Progress(phase, message))


def wait_in_status(
    ctx: StepContext[Any],
    kind: PollKind,
    status: str,
    message: str,
    *,
    advice: str,
    fraction: float | None = None,
) -> Wait:
    """The next poll while the resource is in ``status``; fails past the kind's deadline."""
    try:
        wait = poll_wait(ctx, kind, f"{kind} {status}", message)
    except PermanentError as exc:
        raise PermanentError(f"{exc}; {advice}") from None
    return replace(wait, progress=replace(wait.progress, fraction=fraction))


def failed_status(what: str, status: str, elapsed_s: float, advice: str) -> PermanentError:
    """The error for a resource that reached a status it will not leave by itself."""
    return PermanentError(
        f"{what} is {status!r} after {elapsed_s:.0f}s, a state it does not leave by itself; "
        f"{advice}"
    )


async def first_try_lookup(ctx: StepContext[Any], marker: str, lookup: Lookup[T]) -> Lookup[T]:
    """A look-up for ``create_once`` that costs no API call on a job's very first try.

    The marker is committed before the create: a job resumed after a crash finds it and
    looks up, so the create still happens once; a fresh job knows nothing can exist yet.
    """
    if ctx.checkpoint.get(marker):
        return lookup
    await ctx.save(**{marker: True})
    tries = 0

    async def guarded() -> T | None:
        nonlocal tries
        tries += 1
        return None if tries == 1 else await lookup()

    return guarded
