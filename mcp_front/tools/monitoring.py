"""Monitoring tools (group ``monitoring``, off by default): Cockpit's preconfigured alert rules,
the alerts firing now and the email contact points alerts go to, per project and region.

Reads answer directly (never cached: a firing alert is news); enabling rules and adding or
removing a contact point are jobs, each turning the region's Alert manager on if it is off.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import AfterValidator, Field

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.inputs import RegionInput, page_field, per_page_field, region_of
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from mcp_front.tools.paging import slice_page
from workers.operations.monitoring import (
    CREATE_CONTACT_POINT,
    DELETE_CONTACT_POINT,
    ENABLE_ALERT_RULES,
    ContactPointParams,
    EnableAlertRulesParams,
)
from workers.scaleway.monitoring import (
    AlertState,
    alert_manager_summary,
    alert_summary,
    contact_point_summary,
    email_problem,
    get_alert_manager,
    list_alerts,
    list_contact_points,
)


def _email(value: str) -> str:
    problem = email_problem(value.strip())
    if problem:
        raise ValueError(problem)
    return value.strip().lower()


Email = Annotated[str, AfterValidator(_email)]


class ListRulesInput(RegionInput):
    state: Literal["inactive", "pending", "firing"] | None = Field(
        None, description="Only rules in this state."
    )
    product: str | None = Field(None, description="Only rules of this product, e.g. instance.")
    page: int = page_field()
    per_page: int = per_page_field("Rules")


class EnableRulesInput(RegionInput):
    rule_ids: list[str] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Preconfigured rule ids from list_alert_rules (default: every one).",
    )


class ContactPointInput(RegionInput):
    email: Email = Field(description="Email address alerts are sent to.")


class CreateContactPointInput(ContactPointInput):
    send_resolved_notifications: bool = Field(
        False, description="Also send an email when an alert is resolved."
    )


async def list_alert_rules(args: ListRulesInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """The Alert manager's state and the preconfigured rules: status (enabled…), state."""
    client, region = scaleway(runtime), region_of(runtime, args.region)
    manager = await get_alert_manager(client, region)
    state = AlertState(args.state) if args.state else None
    rows = [
        alert_summary(a) for a in await list_alerts(client, region, state=state, preconfigured=True)
    ]
    if args.product:
        rows = [r for r in rows if r.get("product") == args.product.lower()]
    page = slice_page("rules", rows, args.page, args.per_page)
    data = {"region": region, "alert_manager": alert_manager_summary(manager), **page}
    return envelope.success(data, source=runtime.source)


async def list_firing_alerts(args: RegionInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Alert rules firing now in the region, preconfigured or custom."""
    client, region = scaleway(runtime), region_of(runtime, args.region)
    alerts = await list_alerts(client, region, state=AlertState.FIRING)
    rows = [alert_summary(a) for a in alerts]
    return envelope.success(
        {"region": region, "alerts": rows, "count": len(rows)}, source=runtime.source
    )


async def enable_alert_rules(
    args: EnableRulesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Enable preconfigured rules (a job) once every id is known."""
    client, region = scaleway(runtime), region_of(runtime, args.region)
    rule_ids = None
    if args.rule_ids is not None:
        known = {
            a.preconfigured_data.preconfigured_rule_id: a
            for a in await list_alerts(client, region, preconfigured=True)
            if a.preconfigured_data is not None
        }
        unknown = [i for i in args.rule_ids if i not in known]
        if unknown:
            raise ToolInputError(
                "rule_ids",
                f"unknown preconfigured rule id(s) {', '.join(unknown[:5])}; the rules of "
                f"{region} are: {', '.join(sorted(known))} (list_alert_rules names them)",
            )
        rule_ids = list(dict.fromkeys(args.rule_ids))
    params = EnableAlertRulesParams(region=region, rule_ids=rule_ids)
    return await submit_and_wait(runtime, ctx, ENABLE_ALERT_RULES, params)


async def list_contact_points_tool(
    args: RegionInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """The email contact points of the region's Alert manager."""
    client, region = scaleway(runtime), region_of(runtime, args.region)
    rows = [contact_point_summary(p) for p in await list_contact_points(client, region)]
    return envelope.success(
        {"region": region, "contact_points": rows, "count": len(rows)}, source=runtime.source
    )


async def create_contact_point(
    args: CreateContactPointInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Add an email contact point (a job)."""
    params = ContactPointParams(
        region=region_of(runtime, args.region),
        email=args.email,
        send_resolved_notifications=args.send_resolved_notifications,
    )
    return await submit_and_wait(runtime, ctx, CREATE_CONTACT_POINT, params)


async def _existing(args: ContactPointInput, runtime: Runtime) -> tuple[str, int]:
    """The region, and how many contact points it has; refuses an address not among them."""
    client, region = scaleway(runtime), region_of(runtime, args.region)
    points = await list_contact_points(client, region)
    addresses = [p.email.to.lower() for p in points if p.email]
    if args.email not in addresses:
        shown = ", ".join(addresses) or "none"
        raise ToolInputError(
            "email", f"{args.email} is not a contact point in {region}; there: {shown}"
        )
    return region, len(points)


async def describe_contact_point_deletion(args: ContactPointInput, runtime: Runtime) -> str:
    """What removing the contact point means for who hears about alerts."""
    region, count = await _existing(args, runtime)
    left = count - 1
    after = f"{left} other contact point(s) remain" if left else "no contact point will remain"
    return f"Remove contact point {args.email} in {region}: it stops receiving alerts; {after}."


async def delete_contact_point(
    args: ContactPointInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Remove an email contact point (a job) that exists now."""
    region, _ = await _existing(args, runtime)
    params = ContactPointParams(region=region, email=args.email)
    return await submit_and_wait(runtime, ctx, DELETE_CONTACT_POINT, params)


TOOLS = [
    ToolSpec(
        name="list_alert_rules",
        title="List alert rules",
        description="Cockpit's preconfigured alert rules: id, product, enabled or not, state.",
        input_model=ListRulesInput,
        handler=list_alert_rules,
        group=ToolGroup.MONITORING,
        read_only=True,
    ),
    ToolSpec(
        name="enable_alert_rules",
        title="Enable alert rules",
        description="Enable preconfigured alert rules (default: all); turns the Alert manager on.",
        input_model=EnableRulesInput,
        handler=enable_alert_rules,
        group=ToolGroup.MONITORING,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="list_firing_alerts",
        title="List firing alerts",
        description="Cockpit alerts firing now in a region.",
        input_model=RegionInput,
        handler=list_firing_alerts,
        group=ToolGroup.MONITORING,
        read_only=True,
    ),
    ToolSpec(
        name="list_contact_points",
        title="List contact points",
        description="Email addresses Cockpit sends a region's alerts to.",
        input_model=RegionInput,
        handler=list_contact_points_tool,
        group=ToolGroup.MONITORING,
        read_only=True,
    ),
    ToolSpec(
        name="create_contact_point",
        title="Create contact point",
        description="Send a region's Cockpit alerts to an email address too.",
        input_model=CreateContactPointInput,
        handler=create_contact_point,
        group=ToolGroup.MONITORING,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_contact_point",
        title="Delete contact point",
        description="Stop sending a region's Cockpit alerts to an email address.",
        input_model=ContactPointInput,
        handler=delete_contact_point,
        group=ToolGroup.MONITORING,
        read_only=False,
        destructive=True,
        idempotent=True,
        describe=describe_contact_point_deletion,
    ),
]
