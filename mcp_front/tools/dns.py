"""DNS tools (group ``dns``, off by default): list zones and records directly; change records
and point a name at a load balancer or a server through jobs that wait until the zone is
``active`` again. Record types, values, names and TTLs are checked before any call."""

from __future__ import annotations

import re
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import AfterValidator, Field, model_validator

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.inputs import optional_uuid_of, page_field, per_page_field, zone_of
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec, scaleway
from mcp_front.tools.paging import slice_page
from workers.cache import CacheKind
from workers.operations.dns import CHANGE_RECORDS, ChangeRecordsParams, RecordChangeParams
from workers.scaleway.dns import (
    TTL_MAX_S,
    TTL_MIN_S,
    ChangeAction,
    RecordType,
    data_problem,
    get_zone,
    list_zones,
    record_summary,
    zone_records,
    zone_summary,
)
from workers.scaleway.instance import get_server
from workers.scaleway.lb import get_lb, server_address

RECORD_NAME_RE = re.compile(
    r"^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$"
)
Ttl = Annotated[int, Field(ge=TTL_MIN_S, le=TTL_MAX_S)]


def _record_name(value: str) -> str:
    value = value.lower().rstrip(".")
    if value in ("", "@"):
        return ""
    if not RECORD_NAME_RE.match(value):
        raise ValueError("must be a name relative to the zone, e.g. www, api.v2 or @ for the apex")
    return value


RecordName = Annotated[str, AfterValidator(_record_name)]


class ZoneInput(ToolInput):
    zone: str = Field(description="DNS zone, e.g. example.com; list_dns_zones shows them.")


class ListZonesInput(ToolInput):
    page: int = page_field()
    per_page: int = per_page_field("Zones")


class ListRecordsInput(ZoneInput):
    name: RecordName | None = Field(None, description="Only records with this name (@ = apex).")
    type: RecordType | None = Field(None, description="Only records of this type.")
    page: int = page_field()
    per_page: int = per_page_field("Records")


class RecordChangeInput(ToolInput):
    action: ChangeAction = Field(
        description="add a record; set: replace every record of name+type; delete them."
    )
    name: RecordName = Field(description="Name in the zone: www, api, @ for the apex.")
    type: RecordType = Field(description="Record type.")
    data: str | None = Field(None, description="Value: IP for A/AAAA, host for CNAME/MX...")
    ttl: Ttl = Field(3600, description=f"Seconds, {TTL_MIN_S}-{TTL_MAX_S}.")
    priority: int | None = Field(None, ge=0, le=65535, description="MX priority.")

    @model_validator(mode="after")
    def _data(self) -> RecordChangeInput:
        if self.data is None:
            if self.action is not ChangeAction.DELETE:
                raise ValueError(f"data: an {self.action} change needs a value")
            return self
        problem = data_problem(self.type, self.data)
        if problem:
            raise ValueError(f"data: {problem}")
        if self.type is RecordType.CNAME and self.name == "":
            raise ValueError("name: a CNAME cannot be at the apex (@); use ALIAS")
        return self


class ChangeRecordsInput(ZoneInput):
    changes: list[RecordChangeInput] = Field(
        min_length=1, max_length=100, description="Changes, applied in order in one call."
    )


class PointNameInput(ZoneInput):
    name: RecordName = Field(description="Name in the zone to point: www, api, @ for the apex.")
    lb_id: Annotated[str | None, optional_uuid_of("a load balancer")] = Field(
        None, description="Load balancer whose public IP the name gets."
    )
    server_id: Annotated[str | None, optional_uuid_of("a server")] = Field(
        None, description="Or: server whose public IP the name gets."
    )
    resource_zone: str | None = Field(None, description="Zone of that resource.")
    ttl: Ttl = Field(300, description=f"Seconds, {TTL_MIN_S}-{TTL_MAX_S}.")

    @model_validator(mode="after")
    def _target(self) -> PointNameInput:
        if bool(self.lb_id) == bool(self.server_id):
            raise ValueError("lb_id: give exactly one of lb_id or server_id")
        return self


async def list_dns_zones(args: ListZonesInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """DNS zones of the project: name, status, name servers (cached briefly)."""
    client = scaleway(runtime)

    async def load() -> list[dict[str, object]]:
        return [zone_summary(z) for z in await list_zones(client)]

    rows = await runtime.services.read_cache.get_or_load(CacheKind.DNS_ZONES, "zones", load)
    page = slice_page("zones", rows, args.page, args.per_page)
    return envelope.success(page, source=runtime.source)


async def list_dns_records(
    args: ListRecordsInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Records of a zone, filtered by name and type, paginated."""
    client = scaleway(runtime)
    await get_zone(client, args.zone)
    kind = args.type.value if args.type else None
    records = await zone_records(client, args.zone, args.name or "", kind)
    if args.name is not None:
        records = [r for r in records if r.name == args.name]
    rows = [record_summary(r) for r in records]
    page = slice_page("records", rows, args.page, args.per_page)
    return envelope.success(page, source=runtime.source)


async def change_dns_records(
    args: ChangeRecordsInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Apply record changes (a job) once every change is checked and the zone is found."""
    await get_zone(scaleway(runtime), args.zone)
    changes = [
        RecordChangeParams(
            action=c.action,
            name=c.name,
            type=c.type.value,
            data=c.data,
            ttl=c.ttl,
            priority=c.priority,
        )
        for c in args.changes
    ]
    params = ChangeRecordsParams(zone=args.zone, changes=changes)
    return await submit_and_wait(runtime, ctx, CHANGE_RECORDS, params)


async def point_dns_name(args: PointNameInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Set ``name`` A to a load balancer's or server's public IPv4 (a job)."""
    client = scaleway(runtime)
    await get_zone(client, args.zone)
    where = zone_of(runtime, args.resource_zone)
    if args.lb_id:
        lb = await get_lb(client, where, args.lb_id)
        addresses = [ip.ip_address for ip in lb.ip or [] if ":" not in ip.ip_address]
        field, what = "lb_id", f"load balancer {lb.name}"
    else:
        server = await get_server(client, where, str(args.server_id))
        address = server_address(server)
        addresses = [address] if address and ":" not in address else []
        field, what = "server_id", f"server {server.name}"
    if not addresses:
        raise ToolInputError(field, f"{what} has no public IPv4 address to point at")
    change = RecordChangeParams(
        action=ChangeAction.SET,
        name=args.name,
        type=RecordType.A.value,
        data=addresses[0],
        ttl=args.ttl,
    )
    params = ChangeRecordsParams(zone=args.zone, changes=[change])
    return await submit_and_wait(runtime, ctx, CHANGE_RECORDS, params)


TOOLS = [
    ToolSpec(
        name="list_dns_zones",
        title="List DNS zones",
        description="DNS zones of the project: name, status, name servers. Paginated.",
        input_model=ListZonesInput,
        handler=list_dns_zones,
        group=ToolGroup.DNS,
        read_only=True,
    ),
    ToolSpec(
        name="list_dns_records",
        title="List DNS records",
        description=(
            "Records of a DNS zone: name, type, value, TTL. Filters: name, type. Paginated."
        ),
        input_model=ListRecordsInput,
        handler=list_dns_records,
        group=ToolGroup.DNS,
        read_only=True,
    ),
    ToolSpec(
        name="change_dns_records",
        title="Change DNS records",
        description=(
            "Add, set (replace all of name+type) or delete records of a zone in one call (job); "
            "waits until the zone is active."
        ),
        input_model=ChangeRecordsInput,
        handler=change_dns_records,
        group=ToolGroup.DNS,
        read_only=False,
        destructive=True,
    ),
    ToolSpec(
        name="point_dns_name",
        title="Point DNS name",
        description="Point a name (A record) at a load balancer's or a server's public IP (job).",
        input_model=PointNameInput,
        handler=point_dns_name,
        group=ToolGroup.DNS,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
]
