"""Instance tools: list and read servers directly; create, start, stop, delete through jobs."""

from __future__ import annotations

import re
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from mcp_front import envelope
from mcp_front.config import UUID_RE, check_region, check_zone
from mcp_front.errors import ToolInputError
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.toolkit import ToolInput, ToolSpec
from workers.scaleway.client import ScalewayClient
from workers.scaleway.servers import check_commercial_type, get_server, resolve_image
from workers.scaleway.summaries import server_detail, server_summary

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
NAME_RULE = "1-63 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
STATES = ("running", "stopped", "stopped in place", "starting", "stopping", "locked")
RESERVED_TAG_PREFIX = "job:"


# -- argument checks shared with the network tools --------------------------------------------
def check_uuid(value: str, what: str) -> str:
    """``value`` if it is a UUID; else an error naming the field."""
    if not UUID_RE.match(value or ""):
        raise ValueError(f"must be {what} id (a UUID such as 11111111-2222-3333-4444-555555555555)")
    return value.lower()


def check_name(value: str) -> str:
    """A resource name following the Scaleway naming rules we accept."""
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} is not a valid name; use {NAME_RULE}")
    return value


def check_tags(values: list[str]) -> list[str]:
    """Tags: at most 20, each 1-128 characters, no commas, not the reserved ``job:`` prefix."""
    if len(values) > 20:
        raise ValueError("at most 20 tags")
    for tag in values:
        if not tag or len(tag) > 128 or "," in tag:
            raise ValueError(f"tag {tag!r} must be 1-128 characters without commas")
        if tag.startswith(RESERVED_TAG_PREFIX):
            raise ValueError(f"tag {tag!r}: the prefix {RESERVED_TAG_PREFIX!r} is reserved")
    return values


def zone_of(runtime: Runtime, zone: str | None) -> str:
    """The zone argument (or the configured default), checked against the known zones."""
    return check_zone(zone or runtime.settings.credentials.zone, field_name="zone")


def region_of(runtime: Runtime, region: str | None) -> str:
    """The region argument (or the configured default), checked against the known regions."""
    return check_region(region or runtime.settings.credentials.region, field_name="region")


def scaleway(runtime: Runtime) -> ScalewayClient:
    """The Scaleway adapter of the runtime."""
    client = runtime.services.scaleway
    if client is None:
        raise ToolInputError("configuration", "the Scaleway adapter is not configured")
    return client


# -- inputs ------------------------------------------------------------------------------------
class ZoneInput(ToolInput):
    zone: str | None = Field(None, description="Zone, e.g. fr-par-1 (default: config).")


class ServerInput(ZoneInput):
    server_id: str = Field(description="Server id (UUID); list_instances shows them.")

    @field_validator("server_id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_uuid(value, "a server")


class ListInstancesInput(ZoneInput):
    name: str | None = Field(None, description="Only servers whose name contains this.")
    tags: list[str] | None = Field(None, description="Only servers carrying all these tags.")
    state: Literal[STATES] | None = Field(None, description="Only servers in this state.")  # type: ignore[valid-type]
    page: int = Field(1, ge=1, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=100, description="Servers per page.")


class CreateInstanceInput(ZoneInput):
    name: str = Field(description=f"Server name: {NAME_RULE}.")
    commercial_type: str = Field(description="Commercial type offered in the zone, e.g. DEV1-S.")
    image: str = Field(
        "ubuntu_noble", description="Marketplace label (ubuntu_noble, debian_bookworm...) or id."
    )
    tags: list[str] = Field(default_factory=list, description="Tags for the server.")
    volume_size_gb: int | None = Field(
        None, ge=10, le=10000, description="Root volume size in GB (block storage)."
    )
    start: bool = Field(True, description="Power the server on and wait until it runs.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_tags(value)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", value):
            raise ValueError("must be a Marketplace label such as ubuntu_noble, or an image id")
        return value


class DeleteInstanceInput(ServerInput):
    delete_volumes: bool = Field(True, description="Also delete the server's volumes.")
    delete_ips: bool = Field(True, description="Also release the server's public IPs.")


# -- handlers ------------------------------------------------------------------------------------
async def list_instances(
    args: ListInstancesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Servers of a zone, summarised and paginated (cached briefly)."""
    zone = zone_of(runtime, args.zone)
    if args.tags:
        check_tags_filter(args.tags)
    client = scaleway(runtime)

    async def load() -> dict[str, Any]:
        response = await client.read(
            client.instance.list_servers,
            zone=zone,
            name=args.name,
            tags=args.tags,
            state=args.state,
            page=args.page,
            per_page=args.per_page,
        )
        total = int(response.total_count or 0)
        return {
            "servers": [server_summary(s) for s in response.servers],
            "count": len(response.servers),
            "total_count": total,
            "page": args.page,
            "next_page": args.page + 1 if args.page * args.per_page < total else None,
        }

    key = (zone, args.name, tuple(args.tags or ()), args.state, args.page, args.per_page)
    page = await runtime.services.read_cache.get_or_load("instance", key, load)
    return envelope.success(page, source=runtime.source)


def check_tags_filter(tags: list[str]) -> None:
    """Tag filters are sent comma-separated: a comma inside one would change its meaning."""
    for tag in tags:
        if "," in tag or not tag:
            raise ToolInputError("tags", f"tag {tag!r} must be non-empty and without commas")


async def get_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Every detail of one server."""
    zone = zone_of(runtime, args.zone)
    server = await get_server(scaleway(runtime), zone, args.server_id)
    return envelope.success(server_detail(server), source=runtime.source)


async def create_instance(
    args: CreateInstanceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a server (a job): checks the type and image first, then waits a short budget."""
    zone = zone_of(runtime, args.zone)
    client, cache = scaleway(runtime), runtime.services.read_cache
    commercial_type = await check_commercial_type(client, cache, zone, args.commercial_type)
    image_id = await resolve_image(client, cache, zone, args.image, commercial_type)
    params = {
        "zone": zone,
        "name": args.name,
        "commercial_type": commercial_type,
        "image": image_id,
        "tags": args.tags,
        "volume_size_gb": args.volume_size_gb,
        "start": args.start,
    }
    return await submit_and_wait(runtime, ctx, "instance.create_server", params)


async def start_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Power a server on (a job); already running succeeds at once."""
    params = {"zone": zone_of(runtime, args.zone), "server_id": args.server_id}
    return await submit_and_wait(runtime, ctx, "instance.start_server", params)


async def stop_instance(args: ServerInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Power a server off (a job); already stopped succeeds at once."""
    params = {"zone": zone_of(runtime, args.zone), "server_id": args.server_id}
    return await submit_and_wait(runtime, ctx, "instance.stop_server", params)


async def delete_instance(
    args: DeleteInstanceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete a server (a job): power off, delete, then its volumes and IPs."""
    params = {
        "zone": zone_of(runtime, args.zone),
        "server_id": args.server_id,
        "delete_volumes": args.delete_volumes,
        "delete_ips": args.delete_ips,
    }
    return await submit_and_wait(runtime, ctx, "instance.delete_server", params)


def _spec(
    name: str, title: str, description: str, model: type[ToolInput], handler: Any, **hints: bool
) -> ToolSpec:
    return ToolSpec(
        name=name,
        title=title,
        description=description,
        input_model=model,
        handler=handler,
        group="instance",
        **hints,
    )


TOOLS = [
    _spec(
        "list_instances",
        "List instances",
        "Servers of a zone: id, name, state, type, public IP, NIC count, tags. Filters: name, "
        "tags, state. Paginated.",
        ListInstancesInput,
        list_instances,
        read_only=True,
    ),
    _spec(
        "get_instance",
        "Get instance",
        "Every detail of one server.",
        ServerInput,
        get_instance,
        read_only=True,
    ),
    _spec(
        "create_instance",
        "Create instance",
        "Create a server (job): name, commercial type, image label or id, tags, volume size; "
        "powers it on and waits for running unless start=false. Returns its IPs.",
        CreateInstanceInput,
        create_instance,
        read_only=False,
    ),
    _spec(
        "start_instance",
        "Start instance",
        "Power a server on and wait for running (job).",
        ServerInput,
        start_instance,
        read_only=False,
        idempotent=True,
    ),
    _spec(
        "stop_instance",
        "Stop instance",
        "Power a server off and wait for stopped (job).",
        ServerInput,
        stop_instance,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
    _spec(
        "delete_instance",
        "Delete instance",
        "Delete a server (job): powers it off, deletes it and, by default, its volumes and "
        "public IPs.",
        DeleteInstanceInput,
        delete_instance,
        read_only=False,
        destructive=True,
    ),
]
