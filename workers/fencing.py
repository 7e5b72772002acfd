"""Fencing: a step proves it still holds its job's lease right before a call that creates.

A worker starved of CPU (or cut off from the job store) for longer than its lease loses the
job to another worker while its step still runs. Both would then create the resource. Right
before each create, ``check_lease`` renews the lease, and raises LeaseLost if another worker
took the job, so the POST is never sent by a worker that no longer owns the job. The window
left is the time between that renewal and the POST: milliseconds, not a lease.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Fence = Callable[[], Awaitable[None]]

_FENCE: ContextVar[Fence | None] = ContextVar("fence", default=None)


@contextmanager
def fenced_by(fence: Fence) -> Iterator[None]:
    """Run a step with ``fence`` as its lease check (the runner does, around every step)."""
    token = _FENCE.set(fence)
    try:
        yield
    finally:
        _FENCE.reset(token)


async def check_lease() -> None:
    """Renew the current job's lease before a create; LeaseLost if another worker owns it.

    Outside a job step (an adapter used directly), there is no lease to check.
    """
    fence = _FENCE.get()
    if fence is not None:
        await fence()
