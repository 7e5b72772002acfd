"""What a stopped job left behind, found the way its resumed step would find it.

A create step commits the new resource's id to the checkpoint after the API call; a crash, a
dropped answer or a store that could not write leaves the resource without its id. Cancelling
or failing such a job must not say "nothing was created": it looks the resource up by the job's
tag (or by marker and name) exactly as the resumed step does, and names what it finds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobs.models import JSON

if TYPE_CHECKING:
    from workers.steps import StepContext

Finder = Callable[["StepContext[Any]"], Awaitable[Any | None]]


@dataclass(frozen=True, slots=True)
class Trace:
    """One resource a create step may leave: its checkpoint key, the marker committed before
    the create call (None: the step has none, so always look), and its look-up."""

    id_key: str
    find: Finder
    marker: str | None = None


async def find_leftovers(ctx: StepContext[Any], traces: Sequence[Trace]) -> JSON:
    """``{id_key: id}`` of every traced resource that exists: from the checkpoint, else found
    by its look-up. Scaleway errors of a look-up propagate (the caller says it could not check).
    """
    found: JSON = {}
    for trace in traces:
        resource_id = ctx.checkpoint.get(trace.id_key)
        if resource_id is None and (trace.marker is None or ctx.checkpoint.get(trace.marker)):
            resource = await trace.find(ctx)
            resource_id = getattr(resource, "id", None)
        if resource_id:
            found[trace.id_key] = resource_id
    return found


def unverified(job_id: str, reason: str) -> JSON:
    """The result of a cancel whose look-up failed: say so, and how to find what may exist."""
    return {
        "created": "unknown",
        "note": (
            f"could not check what this job created ({reason}); resources "
            f"tagged job:{job_id} may exist: list them by that tag and delete what you do not need"
        ),
    }
