"""Waiting on long-lived resources (clusters, pools, databases) between resumable steps.

A thin layer over ``power.poll_wait``: the poll schedule of the resource kind, a deadline per
observed status (the job fails when a status lasts too long, saying what exists and what to
do), and a progress fraction for clients that draw a bar.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from workers.errors import PermanentError
from workers.scaleway.client import ScalewayClient
from workers.scaleway.power import poll_wait
from workers.steps import StepContext, Wait

T = TypeVar("T")
Lookup = Callable[[], Awaitable[T | None]]


def wait_in_status(
    ctx: StepContext,
    client: ScalewayClient,
    kind: str,
    status: str,
    message: str,
    *,
    advice: str,
    fraction: float | None = None,
) -> Wait:
    """The next poll while the resource is in ``status``; fails past the kind's deadline."""
    try:
        wait = poll_wait(ctx, client, kind, f"{kind} {status}", message)
    except PermanentError as exc:
        raise PermanentError(f"{exc}; {advice}") from None
    return replace(wait, progress=replace(wait.progress, fraction=fraction))


def failed_status(what: str, status: str, elapsed_s: float, advice: str) -> PermanentError:
    """The error for a resource that reached a status it will not leave by itself."""
    return PermanentError(
        f"{what} is {status!r} after {elapsed_s:.0f}s, a state it does not leave by itself; "
        f"{advice}"
    )


async def first_try_lookup(ctx: StepContext, marker: str, lookup: Lookup[T]) -> Lookup[T]:
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
