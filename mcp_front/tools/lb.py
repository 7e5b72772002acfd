"""Load Balancer tools (group ``lb``, off by default): list and read directly; create, add
backends and frontends, attach to a private network and delete through jobs.

Every argument that can be checked is checked before a job exists: ports, server ids and
their addresses, the tag that picks servers, the backend a frontend points at.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator, model_validator

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.inputs import (
    Name,
    Tags,
    ZoneInput,
    check_tags_filter,
    every_zone_field,
    optional_uuid_of,
    page_field,
    per_page_field,
    region_of,
    uuid_of,
    zone_of,
)
from mcp_front.job_wait import submit_and_wait
from mcp_front.price_note import with_price
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from mcp_front.tools.across import listing_page
from mcp_front.tools.paging import Listing
from workers.cache import CacheKind
from workers.operations.lb import (
    ATTACH_LB_NETWORK,
    CREATE_BACKEND,
    CREATE_FRONTEND,
    CREATE_LB,
    DELETE_LB,
    BackendParams,
    CreateLbParams,
    DeleteLbParams,
    FrontendParams,
    NetworkParams,
)
from workers.pricing.estimate import ItemKind, PlanItem
from workers.scaleway import lb as lb_api
from workers.scaleway.errors import NotFound
from workers.scaleway.instance import get_server
from workers.scaleway.lb import (
    get_backend,
    get_lb,
    lb_detail,
    lb_frontends,
    lb_summary,
    lb_types,
    server_address,
    servers_by_tag,
)
from workers.scaleway.network import get_private_network

Port = Annotated[int, Field(ge=1, le=65535)]
ServerId = Annotated[str, uuid_of("a server")]


class LbInput(ZoneInput):
    lb_id: Annotated[str, uuid_of("a load balancer")] = Field(
        description="Load balancer id (UUID); list_load_balancers shows them."
    )


class ListLbsInput(ZoneInput):
    zone: str | None = every_zone_field()
    name: str | None = Field(None, description="Only load balancers whose name contains this.")
    tags: list[str] | None = Field(None, description="Only those with one of these tags.")
    page: int = page_field()
    per_page: int = per_page_field("Load balancers")


class CreateLbInput(ZoneInput):
    name: Name = Field(description="Name: letters, digits, '.', '_' or '-'.")
    type: str = Field("LB-S", description="Offer type, e.g. LB-S, LB-GP-M.")
    description: str = Field("", max_length=255, description="Free text.")
    tags: Tags = Field(default_factory=list, description="Tags.")
    private_network_id: Annotated[str | None, optional_uuid_of("a private network")] = Field(
        None, description="Private network to attach it to once ready."
    )


class BackendInput(LbInput):
    name: Name = Field(description="Backend name.")
    port: Port = Field(description="Port the servers listen on (1-65535).")
    protocol: Literal["tcp", "http"] = Field("tcp", description="tcp or http.")
    server_ids: list[ServerId] = Field(
        default_factory=list, description="Servers (UUIDs) of the zone to send traffic to."
    )
    server_tag: str | None = Field(None, description="Or: every server carrying this tag.")
    health_check_port: Port | None = Field(None, description="Port to check (default: port).")
    health_check_path: str | None = Field(
        None, description="HTTP path to GET, e.g. /health (default: a TCP connect)."
    )

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^/[\x21-\x7e]*\Z", value):
            raise ValueError("must be a URL path starting with '/', e.g. /health")
        return value

    @model_validator(mode="after")
    def _servers(self) -> BackendInput:
        if not self.server_ids and not self.server_tag:
            raise ValueError(
                "server_ids: a backend's health check needs servers; give server_ids or server_tag"
            )
        if self.server_ids and self.server_tag:
            raise ValueError("server_tag: give server_ids or server_tag, not both")
        return self


class FrontendInput(LbInput):
    port: Port = Field(description="Port to listen on (1-65535).")
    backend_id: Annotated[str, uuid_of("a backend")] = Field(
        description="Backend (UUID) of this load balancer; get_load_balancer lists them."
    )
    name: Name | None = Field(None, description="Frontend name (default: port-<port>).")


class AttachLbInput(LbInput):
    private_network_id: Annotated[str, uuid_of("a private network")] = Field(
        description="Private network (UUID) of the zone's region."
    )


class DeleteLbInput(LbInput):
    release_ip: bool = Field(True, description="Also release its public IP.")


LBS = Listing(CacheKind.LOAD_BALANCERS, "lbs", lb_api.list_lbs, lb_summary)


async def list_load_balancers(args: ListLbsInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Load balancers of a zone, summarised and paginated (cached briefly)."""
    if args.tags:
        check_tags_filter(args.tags)
    return await listing_page(LBS, runtime, args, "zone", args.zone, name=args.name, tags=args.tags)


async def get_load_balancer(args: LbInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """A load balancer with its IPs, backends, frontends and private networks."""
    zone = zone_of(runtime, args.zone)
    client = scaleway(runtime)
    detail = await lb_detail(client, zone, await get_lb(client, zone, args.lb_id))
    return envelope.success(detail, source=runtime.source)


async def create_load_balancer(
    args: CreateLbInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a load balancer (a job, about a minute) once its type is checked."""
    zone = zone_of(runtime, args.zone)
    client = scaleway(runtime)
    offered = await lb_types(client, zone)
    by_upper = {t.upper(): t for t in offered}
    if args.type.upper() not in by_upper:
        raise ToolInputError(
            "type", f"{args.type!r} is not offered in {zone}: {', '.join(offered)}"
        )
    if args.private_network_id:
        await _network(runtime, zone, args.private_network_id)
    params = CreateLbParams(
        zone=zone,
        name=args.name,
        type=by_upper[args.type.upper()],
        description=args.description,
        tags=args.tags,
        private_network_id=args.private_network_id,
    )
    result = await submit_and_wait(runtime, ctx, CREATE_LB, params)
    return await with_price(runtime, result, [PlanItem(ItemKind.LOAD_BALANCER, zone, params.type)])


async def _network(runtime: Runtime, zone: str, pn_id: str) -> None:
    region = region_of(runtime, zone.rsplit("-", 1)[0])
    await get_private_network(scaleway(runtime), region, pn_id)


async def add_load_balancer_backend(
    args: BackendInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Add a backend (a job); servers are resolved to their addresses first."""
    zone = zone_of(runtime, args.zone)
    client = scaleway(runtime)
    lb = await get_lb(client, zone, args.lb_id)
    if args.server_tag:
        servers = await servers_by_tag(client, zone, args.server_tag)
        if not servers:
            raise ToolInputError("server_tag", f"no server in {zone} carries {args.server_tag!r}")
        field = "server_tag"
    else:
        servers = [await get_server(client, zone, sid) for sid in args.server_ids]
        field = "server_ids"
    addresses = []
    for server in servers:
        address = server_address(server)
        if address is None:
            raise ToolInputError(field, f"server {server.name} ({server.id}) has no IP address")
        addresses.append(address)
    params = BackendParams(
        zone=zone,
        lb_id=lb.id,
        name=args.name,
        protocol=args.protocol,
        port=args.port,
        server_ips=addresses,
        health_check_port=args.health_check_port or args.port,
        health_check_path=args.health_check_path,
    )
    return await submit_and_wait(runtime, ctx, CREATE_BACKEND, params)


async def add_load_balancer_frontend(
    args: FrontendInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Add a frontend (a job); the backend must be this load balancer's, the port free."""
    zone = zone_of(runtime, args.zone)
    client = scaleway(runtime)
    lb = await get_lb(client, zone, args.lb_id)
    try:
        backend = await get_backend(client, zone, args.backend_id)
    except NotFound:
        backend = None
    if backend is None or backend.lb is None or backend.lb.id != lb.id:
        raise ToolInputError(
            "backend_id", f"load balancer {lb.name} has no backend {args.backend_id}"
        )
    taken = await lb_frontends(client, zone, lb.id)
    for frontend in taken:
        if frontend.inbound_port == args.port:
            raise ToolInputError("port", f"port {args.port} is used by frontend {frontend.name}")
    params = FrontendParams(
        zone=zone,
        lb_id=lb.id,
        backend_id=backend.id,
        port=args.port,
        name=args.name or f"port-{args.port}",
    )
    return await submit_and_wait(runtime, ctx, CREATE_FRONTEND, params)


async def attach_load_balancer_to_network(
    args: AttachLbInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Attach a load balancer to a private network (a job)."""
    zone = zone_of(runtime, args.zone)
    lb = await get_lb(scaleway(runtime), zone, args.lb_id)
    await _network(runtime, zone, args.private_network_id)
    params = NetworkParams(zone=zone, lb_id=lb.id, private_network_id=args.private_network_id)
    return await submit_and_wait(runtime, ctx, ATTACH_LB_NETWORK, params)


async def delete_load_balancer(
    args: DeleteLbInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete a load balancer (a job) with its backends and frontends."""
    zone = zone_of(runtime, args.zone)
    lb = await get_lb(scaleway(runtime), zone, args.lb_id)
    params = DeleteLbParams(zone=zone, lb_id=lb.id, release_ip=args.release_ip)
    return await submit_and_wait(runtime, ctx, DELETE_LB, params)


async def describe_lb_deletion(args: DeleteLbInput, runtime: Runtime) -> str:
    """What ``delete_load_balancer`` takes away: the balancer, its routes, its IP if asked."""
    zone = zone_of(runtime, args.zone)
    lb = await get_lb(scaleway(runtime), zone, args.lb_id)
    what = (
        f"Delete load balancer {lb.name} ({zone}) with its {lb.frontend_count} frontend(s) "
        f"and {lb.backend_count} backend(s)"
    )
    ips = ", ".join(ip.ip_address for ip in lb.ip or [])
    if ips:
        return f"{what}; its IP {ips} is " + ("released." if args.release_ip else "kept.")
    return f"{what}."


TOOLS = [
    ToolSpec(
        name="list_load_balancers",
        title="List load balancers",
        description=(
            "Load balancers of a zone: id, name, status, type, IPs, counts, tags. Paginated."
        ),
        input_model=ListLbsInput,
        handler=list_load_balancers,
        group=ToolGroup.LB,
        read_only=True,
    ),
    ToolSpec(
        name="get_load_balancer",
        title="Get load balancer",
        description=(
            "One load balancer: IPs, backends (servers, health check), frontends, networks."
        ),
        input_model=LbInput,
        handler=get_load_balancer,
        group=ToolGroup.LB,
        read_only=True,
    ),
    ToolSpec(
        name="create_load_balancer",
        title="Create load balancer",
        description=(
            "Create a load balancer (job, ~1 min) with a public IP; waits until ready; optional "
            "private network."
        ),
        input_model=CreateLbInput,
        handler=create_load_balancer,
        group=ToolGroup.LB,
        read_only=False,
    ),
    ToolSpec(
        name="add_load_balancer_backend",
        title="Add load balancer backend",
        description=(
            "Add a backend (job): servers by ids or tag, their port, TCP or HTTP health check."
        ),
        input_model=BackendInput,
        handler=add_load_balancer_backend,
        group=ToolGroup.LB,
        read_only=False,
    ),
    ToolSpec(
        name="add_load_balancer_frontend",
        title="Add load balancer frontend",
        description="Add a frontend (job): a public port forwarded to a backend.",
        input_model=FrontendInput,
        handler=add_load_balancer_frontend,
        group=ToolGroup.LB,
        read_only=False,
    ),
    ToolSpec(
        name="attach_load_balancer_to_network",
        title="Attach load balancer to network",
        description="Attach a load balancer to a private network (job) and wait until ready.",
        input_model=AttachLbInput,
        handler=attach_load_balancer_to_network,
        group=ToolGroup.LB,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_load_balancer",
        title="Delete load balancer",
        description=(
            "Delete a load balancer (job) with its backends and frontends; releases its IP by "
            "default."
        ),
        input_model=DeleteLbInput,
        handler=delete_load_balancer,
        group=ToolGroup.LB,
        describe=describe_lb_deletion,
        read_only=False,
        destructive=True,
    ),
]
