"""Instance tools: list and read servers directly; create, start, stop, reboot, delete through
jobs."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.inputs import (
    NAME_RULE,
    Name,
    Tags,
    ZoneInput,
    check_tags_filter,
    every_zone_field,
    page_field,
    per_page_field,
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
from workers.operations.instance import (
    CREATE_SERVER,
    DELETE_SERVER,
    REBOOT_SERVER,
    START_SERVER,
    STOP_SERVER,
    CreateServerParams,
    DeleteServerParams,
    ServerRef,
)
from workers.pricing.estimate import ItemKind, PlanItem
from workers.scaleway.instance import (
    check_commercial_type,
    get_server,
    list_servers,
    resolve_image,
    state_text,
)
from workers.scaleway.summaries import server_detail, server_summary

ServerState = Literal["running", "stopped", "stopped in place", "starting", "stopping", "locked"]


# -- inputs ------------------------------------------------------------------------------------
class ServerInput(ZoneInput):
    server_id: Annotated[str, uuid_of("a server")] = Field(
        description="Server id (UUID); list_instances shows them."
    )


class ListInstancesInput(ZoneInput):
    zone: str | None = every_zone_field()
    name: str | None = Field(None, description="Only servers whose name contains this.")
    tags: list[str] | None = Field(None, description="Only servers carrying all these tags.")
    state: ServerState | None = Field(None, description="Only servers in this state.")
    page: int = page_field()
    per_page: int = per_page_field("Servers")


class CreateInstanceInput(ZoneInput):
    name: Name = Field(description=f"Server name: {NAME_RULE}.")
    commercial_type: str = Field(description="Commercial type offered in the zone, e.g. DEV1-S.")
    image: str = Field(
        "ubuntu_noble", description="Marketplace label (ubuntu_noble, debian_bookworm...) or id."
    )
    tags: Tags = Field(default_factory=list, description="Tags for the server.")
    volume_size_gb: int | None = Field(
        None, ge=10, le=10000, description="Root volume size in GB (block storage)."
    )
    start: bool = Field(True, description="Power the server on and wait until it runs.")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z", value):
            raise ValueError("must be a Marketplace label such as ubuntu_noble, or an image id")
        return value


class DeleteInstanceInput(ServerInput):
    delete_volumes: bool = Field(True, description="Also delete the server's volumes.")
    delete_ips: bool = Field(True, description="Also release the server's public IPs.")


# -- handlers ------------------------------------------------------------------------------------
SERVERS = Listing(CacheKind.SERVERS, "servers", list_servers, server_summary)


async def list_instances(
    args: ListInstancesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Servers of a zone (or every zone), summarised and paginated (cached briefly)."""
    if args.tags:
        check_tags_filter(args.tags)
    return await listing_page(
        SERVERS, runtime, args, "zone", args.zone, name=args.name, tags=args.tags, state=args.state
    )


async def get_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Every detail of one server."""
    zone = zone_of(runtime, args.zone)
    server = await get_server(scaleway(runtime), zone, args.server_id)
    return envelope.success(server_detail(server), source=runtime.source)


async def create_instance(
    args: CreateInstanceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a server (a job): checks the type and image first, then waits a short budget."""
    params = await server_params(args, runtime)
    result = await submit_and_wait(runtime, ctx, CREATE_SERVER, params)
    item = PlanItem(ItemKind.INSTANCE, params.zone, params.commercial_type)
    return await with_price(runtime, result, [item])


async def server_params(args: CreateInstanceInput, runtime: Runtime) -> CreateServerParams:
    """The job's parameters, zone, type and image checked (ToolInputError naming the field)."""
    zone = zone_of(runtime, args.zone)
    client, cache = scaleway(runtime), runtime.services.read_cache
    commercial_type = await check_commercial_type(client, cache, zone, args.commercial_type)
    image_id = await resolve_image(client, cache, zone, args.image, commercial_type)
    return CreateServerParams(
        zone=zone,
        name=args.name,
        commercial_type=commercial_type,
        image=image_id,
        tags=args.tags,
        volume_size_gb=args.volume_size_gb,
        start=args.start,
    )


async def start_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Power a server on (a job); already running succeeds at once."""
    params = ServerRef(zone=zone_of(runtime, args.zone), server_id=args.server_id)
    return await submit_and_wait(runtime, ctx, START_SERVER, params)


async def stop_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Power a server off (a job); already stopped succeeds at once."""
    params = ServerRef(zone=zone_of(runtime, args.zone), server_id=args.server_id)
    return await submit_and_wait(runtime, ctx, STOP_SERVER, params)


async def reboot_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Reboot a running server (a job); a server that is not running is refused, no job."""
    zone, _ = await _running_server(args, runtime)
    params = ServerRef(zone=zone, server_id=args.server_id)
    return await submit_and_wait(runtime, ctx, REBOOT_SERVER, params)


async def delete_instance(
    args: DeleteInstanceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete a server (a job): power off, delete, then its volumes and IPs."""
    params = DeleteServerParams(
        zone=zone_of(runtime, args.zone),
        server_id=args.server_id,
        delete_volumes=args.delete_volumes,
        delete_ips=args.delete_ips,
    )
    return await submit_and_wait(runtime, ctx, DELETE_SERVER, params)


async def _server_phrase(zone: str, server_id: str, runtime: Runtime) -> tuple[str, Any]:
    server = await get_server(scaleway(runtime), zone, server_id)
    state = state_text(server.state)
    return f"server {server.name} ({server.commercial_type}, {state}, {zone})", server


async def describe_reboot(args: ServerInput, runtime: Runtime) -> str:
    """What ``reboot_instance`` interrupts."""
    zone, server = await _running_server(args, runtime)
    return (
        f"Reboot server {server.name} ({server.commercial_type}, {zone}): whatever runs on it "
        "stops and is unreachable until it is back."
    )


async def _running_server(args: ServerInput, runtime: Runtime) -> tuple[str, Any]:
    """Zone and server, or ToolInputError when it is not running."""
    zone = zone_of(runtime, args.zone)
    server = await get_server(scaleway(runtime), zone, args.server_id)
    state = state_text(server.state)
    if state != "running":
        raise ToolInputError(
            "server_id", f"server {server.name} is {state}; only a running server reboots"
        )
    return zone, server


async def describe_stop(args: ServerInput, runtime: Runtime) -> str:
    """What ``stop_instance`` interrupts."""
    phrase, _ = await _server_phrase(zone_of(runtime, args.zone), args.server_id, runtime)
    return f"Power off {phrase}; whatever runs on it stops until it is started again."


async def describe_deletion(args: DeleteInstanceInput, runtime: Runtime) -> str:
    """What ``delete_instance`` takes away: the server, its volumes and IPs as asked."""
    phrase, server = await _server_phrase(zone_of(runtime, args.zone), args.server_id, runtime)
    gone: list[str] = []
    kept: list[str] = []
    volumes = len(getattr(server, "volumes", None) or {})
    if volumes:
        (gone if args.delete_volumes else kept).append(f"{volumes} volume(s)")
    ips = server_summary(server).get("public_ip")
    if ips:
        (gone if args.delete_ips else kept).append(f"public IP {ips}")
    text = f"Delete {phrase}" + (f" with its {' and '.join(gone)}" if gone else "")
    return text + (f"; {' and '.join(kept)} stay." if kept else ".")


TOOLS = [
    ToolSpec(
        name="list_instances",
        title="List instances",
        description=(
            "Servers of a zone: id, name, state, type, public IP, NIC count, tags. Filters: name, "
            "tags, state. Paginated."
        ),
        input_model=ListInstancesInput,
        handler=list_instances,
        group=ToolGroup.INSTANCE,
        read_only=True,
    ),
    ToolSpec(
        name="get_instance",
        title="Get instance",
        description="Every detail of one server.",
        input_model=ServerInput,
        handler=get_instance,
        group=ToolGroup.INSTANCE,
        read_only=True,
    ),
    ToolSpec(
        name="create_instance",
        title="Create instance",
        description=(
            "Create a server (job); powers it on and waits for running unless start=false. "
            "Returns its IPs."
        ),
        input_model=CreateInstanceInput,
        handler=create_instance,
        group=ToolGroup.INSTANCE,
        read_only=False,
    ),
    ToolSpec(
        name="start_instance",
        title="Start instance",
        description="Power a server on and wait for running (job).",
        input_model=ServerInput,
        handler=start_instance,
        group=ToolGroup.INSTANCE,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="stop_instance",
        title="Stop instance",
        description="Power a server off and wait for stopped (job).",
        input_model=ServerInput,
        handler=stop_instance,
        group=ToolGroup.INSTANCE,
        describe=describe_stop,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="reboot_instance",
        title="Reboot instance",
        description="Reboot a running server and wait until it runs again (job).",
        input_model=ServerInput,
        handler=reboot_instance,
        group=ToolGroup.INSTANCE,
        describe=describe_reboot,
        read_only=False,
        destructive=True,
    ),
    ToolSpec(
        name="delete_instance",
        title="Delete instance",
        description=(
            "Delete a server (job): powers it off, deletes it and, by default, its volumes and "
            "public IPs."
        ),
        input_model=DeleteInstanceInput,
        handler=delete_instance,
        group=ToolGroup.INSTANCE,
        describe=describe_deletion,
        read_only=False,
        destructive=True,
    ),
]
