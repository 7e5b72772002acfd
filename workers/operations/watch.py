"""``monitoring.watch_resource``: poll a resource's status on a schedule, record each change.

One step is one poll. A change of status is committed to the checkpoint with a progress
event (``server web-1: stopped -> starting``) before the step returns ``Wait``, so the job
holds no worker between polls and a restarted process resumes from the last status seen,
recording nothing twice. The watch ends:

- ``until``: when the status is reached (``Done``, outcome ``reached``); past
  ``max_duration_s`` without it, once the resource is gone, or in a status it does not leave
  by itself (``STUCK``: a database in ``error``), the job fails saying so.
- ``alert_if_leaves``: when the status leaves that value (or the resource goes): an
  ``alert`` event, and ``Done`` with outcome ``alert`` — the job's end is the alert its
  subscribers hear. Past ``max_duration_s`` it ends with outcome ``held``.
- neither: past ``max_duration_s`` (outcome ``expired``) or when the resource goes
  (``gone``); or when cancelled, the result naming what was seen.

Intervals and durations are the user's seconds times ``Services.polling.scale`` (tests and
a fast sandbox poll faster). A poll that fails transiently is retried at the next interval,
up to ``MAX_FAILED_POLLS`` in a row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from jobs.models import JSON, Progress
from workers.errors import PermanentError, TransientError
from workers.operations.waiting import failed_status
from workers.scaleway.errors import NotFound
from workers.scaleway.watched import GONE, STUCK, WatchKind, observe
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome, Wait

MAX_CHANGES = 20
MAX_FAILED_POLLS = 10


class WatchParams(BaseModel):
    """Parameters of ``monitoring.watch_resource`` (already checked by the tool)."""

    kind: WatchKind
    resource_id: str
    place: str
    until: str | None = None
    alert_if_leaves: str | None = None
    interval_s: float
    max_duration_s: float


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _what(ctx: StepContext[WatchParams]) -> str:
    params = ctx.params
    return f"{params.kind.value} {ctx.checkpoint.get('name') or params.resource_id}"


def watch_summary(ctx: StepContext[WatchParams], outcome: str, message: str) -> JSON:
    """The watch's result: the resource, how it ended, the status and the changes seen."""
    params = ctx.params
    place = "zone" if params.kind.zoned else "region"
    return {
        "resource": {
            "kind": params.kind.value,
            "id": params.resource_id,
            "name": ctx.checkpoint.get("name"),
            place: params.place,
        },
        "outcome": outcome,
        "message": message,
        "status": ctx.checkpoint.get("status"),
        "changes": ctx.checkpoint.get("changes", []),
        "changes_total": ctx.checkpoint.get("changes_total", 0),
        "polls": ctx.checkpoint.get("polls", 0),
    }


class WatchResource(Operation[WatchParams]):
    """Poll a resource until cancelled or a condition holds, one event per status change."""

    name = "monitoring.watch_resource"
    params_model = WatchParams
    identity = None  # every parameter: the same watch joins the one running, another starts

    async def step(self, ctx: StepContext[WatchParams]) -> StepOutcome:
        params = ctx.params
        interval_s = params.interval_s * ctx.services.polling.scale
        status = await self._poll(ctx)
        if status is None:  # the poll failed for now: try again at the next interval
            failed = ctx.checkpoint.get("failed_polls", 0)
            return Wait(interval_s, Progress("watching", f"{_what(ctx)}: poll {failed} failed"))
        what = _what(ctx)
        if status != ctx.checkpoint.get("status"):
            await self._record(ctx, status)
        if params.until is not None and status == params.until:
            return Done(watch_summary(ctx, "reached", f"{what} is {status}"))
        if params.until is not None and status in STUCK[params.kind]:
            advice = f"it will not become {params.until} without help; the watch ended"
            raise failed_status(what, status, ctx.elapsed_s, advice)
        if params.alert_if_leaves is not None and status != params.alert_if_leaves:
            message = f"{what} left {params.alert_if_leaves}: it is {status}"
            return Done(watch_summary(ctx, "alert", message))
        if status == GONE:
            if params.until is not None:
                raise PermanentError(f"{what} was deleted before it was {params.until}")
            return Done(watch_summary(ctx, "gone", f"{what} was deleted"))
        max_s = params.max_duration_s * ctx.services.polling.scale
        if ctx.elapsed_s >= max_s:
            return self._expired(ctx, status)
        return Wait(interval_s, Progress("watching", self._watching(ctx, status)))

    def _watching(self, ctx: StepContext[WatchParams], status: str) -> str:
        """The progress between polls: the status, the last change and how many were seen."""
        message = f"{_what(ctx)} is {status}"
        changes = ctx.checkpoint.get("changes", [])
        if len(changes) > 1:
            last = changes[-1]
            message += f" (was {last['from']} until {last['at']})"
        total = ctx.checkpoint.get("changes_total", 0)
        return f"{message}; {total} change(s) seen since {_iso(ctx.job.created_at)}"

    async def _poll(self, ctx: StepContext[WatchParams]) -> str | None:
        """The status now (``gone`` once deleted), or None after a transient failure."""
        params = ctx.params
        client = ctx.services.scaleway_client()
        try:
            seen = await observe(client, params.kind, params.place, params.resource_id)
        except NotFound:
            ctx.note(polls=ctx.checkpoint.get("polls", 0) + 1, failed_polls=0)
            return GONE
        except TransientError:
            failed = ctx.checkpoint.get("failed_polls", 0) + 1
            if failed >= MAX_FAILED_POLLS:
                raise
            ctx.note(failed_polls=failed)
            return None
        ctx.note(polls=ctx.checkpoint.get("polls", 0) + 1, failed_polls=0, name=seen.name)
        return seen.status

    async def _record(self, ctx: StepContext[WatchParams], status: str) -> None:
        """Commit a change of status with its event before anything else."""
        params, before = ctx.params, ctx.checkpoint.get("status")
        what = _what(ctx)
        change = {"at": _iso(ctx.now()), "from": before, "to": status}
        changes = [*ctx.checkpoint.get("changes", []), change][-MAX_CHANGES:]
        total = ctx.checkpoint.get("changes_total", 0) + 1
        if before is None:
            progress = Progress("changed", f"{what} is {status}")
        elif params.alert_if_leaves is not None and status != params.alert_if_leaves:
            progress = Progress("alert", f"alert: {what} left {before}: {before} -> {status}")
        else:
            progress = Progress("changed", f"{what}: {before} -> {status}")
        await ctx.save(progress, status=status, changes=changes, changes_total=total)

    def _expired(self, ctx: StepContext[WatchParams], status: str) -> Done:
        params, what = ctx.params, _what(ctx)
        if params.until is not None:
            raise PermanentError(
                f"{what} is still {status} after {params.max_duration_s:.0f}s, never "
                f"{params.until}; the watch ended (max_duration_s)"
            )
        if params.alert_if_leaves is not None:
            message = f"{what} stayed {status} for {params.max_duration_s:.0f}s"
            return Done(watch_summary(ctx, "held", message))
        message = f"watched {what} for {params.max_duration_s:.0f}s; it is {status}"
        return Done(watch_summary(ctx, "expired", message))

    async def on_cancel(self, ctx: StepContext[WatchParams]) -> JSON | None:
        """What the watch saw until it was cancelled."""
        return watch_summary(ctx, "cancelled", f"stopped watching {_what(ctx)}")


WATCH_RESOURCE = WatchResource()
OPERATIONS: list[AnyOperation] = [WATCH_RESOURCE]
