"""``watch_resource`` (group ``monitoring``): a durable job that polls a resource's status and
records each change, until a status is reached, an alert condition holds, or it is cancelled.

Everything is checked before the job exists: the kind's statuses (the valid ones are named),
the zone or region, the bounds of the interval and duration, and that the resource exists
now (a watch of nothing is refused). See ``workers/operations/watch.py`` for how it ends.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, model_validator

from mcp_front.errors import ToolInputError
from mcp_front.inputs import region_of, uuid_of, zone_of
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec, scaleway
from workers.operations.watch import WATCH_RESOURCE, WatchParams
from workers.scaleway.watched import WatchKind, observe, statuses

MIN_INTERVAL_S, MAX_INTERVAL_S = 5, 3600
MIN_DURATION_S, MAX_DURATION_S = 60, 7 * 86_400
# Each poll leaves a few job events: a week of polls every 5 s would be 120,960 of them.
MAX_POLLS = 10_000
# The call answers once the first poll is in (or with the job id): a watch is long by nature.
ANSWER_WITHIN_S = 1.0


class WatchInput(ToolInput):
    kind: WatchKind = Field(description="server, cluster, pool, database or load_balancer.")
    resource_id: Annotated[str, uuid_of("a resource")] = Field(description="Its id.")
    zone: str | None = Field(None, description="Zone of a server or load balancer.")
    region: str | None = Field(None, description="Region of a cluster, pool or database.")
    until: str | None = Field(None, description="End once the status is this, e.g. running.")
    alert_if_leaves: str | None = Field(
        None, description="End with an alert once the status leaves this, e.g. ready."
    )
    interval_s: int = Field(
        30, ge=MIN_INTERVAL_S, le=MAX_INTERVAL_S, description="Seconds between polls."
    )
    max_duration_s: int = Field(
        3600, ge=MIN_DURATION_S, le=MAX_DURATION_S, description="Stop watching after this."
    )

    @model_validator(mode="after")
    def _consistent(self) -> WatchInput:
        if self.until is not None and self.alert_if_leaves is not None:
            raise ValueError("until: give until or alert_if_leaves, not both")
        if self.interval_s > self.max_duration_s:
            raise ValueError("interval_s: must not exceed max_duration_s")
        if self.interval_s * MAX_POLLS < self.max_duration_s:
            least = -(-self.max_duration_s // MAX_POLLS)
            raise ValueError(
                f"interval_s: a watch polls at most {MAX_POLLS} times; for max_duration_s "
                f"{self.max_duration_s} poll every {least} s or more"
            )
        if self.kind.zoned and self.region is not None:
            raise ValueError(f"region: a {self.kind.value} lives in a zone; give zone")
        if not self.kind.zoned and self.zone is not None:
            raise ValueError(f"zone: a {self.kind.value} lives in a region; give region")
        return self


def _status(kind: WatchKind, field: str, value: str | None) -> str | None:
    """``value`` as the API spells it, if ``kind`` has it; else ToolInputError with the list."""
    if value is None:
        return None
    spelled = value.strip().lower()
    if kind is WatchKind.SERVER:
        spelled = spelled.replace("_", " ")
    known = statuses(kind)
    if spelled not in known:
        raise ToolInputError(
            field, f"{value!r} is no status of a {kind.value}; one of: {', '.join(known)}"
        )
    return spelled


async def watch_resource(args: WatchInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Start a watch job once the statuses are known and the resource is there."""
    until = _status(args.kind, "until", args.until)
    leaves = _status(args.kind, "alert_if_leaves", args.alert_if_leaves)
    place = zone_of(runtime, args.zone) if args.kind.zoned else region_of(runtime, args.region)
    now = await observe(scaleway(runtime), args.kind, place, args.resource_id)
    if leaves is not None and now.status != leaves:
        raise ToolInputError(
            "alert_if_leaves",
            f"{args.kind.value} {now.name} is {now.status}, not {leaves}: it cannot leave a "
            f"status it is not in; watch with until: {leaves} first",
        )
    params = WatchParams(
        kind=args.kind,
        resource_id=args.resource_id,
        place=place,
        until=until,
        alert_if_leaves=leaves,
        interval_s=args.interval_s,
        max_duration_s=args.max_duration_s,
    )
    budget_s = min(runtime.settings.wait_budget_s, ANSWER_WITHIN_S)
    return await submit_and_wait(runtime, ctx, WATCH_RESOURCE, params, budget_s=budget_s)


TOOLS = [
    ToolSpec(
        name="watch_resource",
        title="Watch resource",
        description=(
            "Job polling a server, cluster, pool, database or load balancer, recording each "
            "status change until: a status (until), an alert (alert_if_leaves), the time is up "
            "or cancel_job."
        ),
        input_model=WatchInput,
        handler=watch_resource,
        group=ToolGroup.MONITORING,
        read_only=False,
        idempotent=True,
    ),
]
