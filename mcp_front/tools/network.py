"""Private network tools: list directly; create a network and attach servers through jobs."""

from __future__ import annotations

import ipaddress
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from mcp_front import envelope
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.toolkit import ToolInput, ToolSpec
from mcp_front.tools.instance import (
    check_name,
    check_tags,
    check_tags_filter,
    check_uuid,
    region_of,
    scaleway,
    zone_of,
)
from workers.scaleway.summaries import private_network_summary


class RegionInput(ToolInput):
    region: str | None = Field(None, description="Region, e.g. fr-par (default: config).")


class ListPrivateNetworksInput(RegionInput):
    name: str | None = Field(None, description="Only networks whose name contains this.")
    tags: list[str] | None = Field(None, description="Only networks with one of these tags.")
    vpc_id: str | None = Field(None, description="Only networks of this VPC (UUID).")
    page: int = Field(1, ge=1, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=100, description="Networks per page.")

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str | None) -> str | None:
        return check_uuid(value, "a VPC") if value else value


class CreatePrivateNetworkInput(RegionInput):
    name: str = Field(description="Network name: letters, digits, '.', '_' or '-'.")
    vpc_id: str | None = Field(None, description="VPC to create it in (default VPC if omitted).")
    subnets: list[str] = Field(
        default_factory=list, description="CIDR subnets, e.g. 172.16.8.0/22 (auto if omitted)."
    )
    tags: list[str] = Field(default_factory=list, description="Tags for the network.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_tags(value)

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str | None) -> str | None:
        return check_uuid(value, "a VPC") if value else value

    @field_validator("subnets")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        checked = []
        for value in values:
            try:
                network = ipaddress.ip_network(value, strict=True)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a CIDR subnet such as 172.16.8.0/22 or fd00::/64"
                ) from None
            if not network.is_private:
                raise ValueError(f"{value!r} is not a private range (RFC 1918 or fd00::/8)")
            checked.append(str(network))
        return checked


class AttachInput(ToolInput):
    server_id: str = Field(description="Server id (UUID).")
    private_network_id: str = Field(description="Private network id (UUID), same region.")
    zone: str | None = Field(None, description="The server's zone (default: config).")

    @field_validator("server_id")
    @classmethod
    def _server(cls, value: str) -> str:
        return check_uuid(value, "a server")

    @field_validator("private_network_id")
    @classmethod
    def _network(cls, value: str) -> str:
        return check_uuid(value, "a private network")


async def list_private_networks(
    args: ListPrivateNetworksInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Private networks of a region, summarised and paginated (cached briefly)."""
    region = region_of(runtime, args.region)
    if args.tags:
        check_tags_filter(args.tags)
    client = scaleway(runtime)

    async def load() -> dict[str, Any]:
        response = await client.read(
            client.vpc.list_private_networks,
            region=region,
            name=args.name,
            tags=args.tags,
            vpc_id=args.vpc_id,
            page=args.page,
            page_size=args.per_page,
        )
        total = int(response.total_count or 0)
        return {
            "private_networks": [private_network_summary(n) for n in response.private_networks],
            "count": len(response.private_networks),
            "total_count": total,
            "page": args.page,
            "next_page": args.page + 1 if args.page * args.per_page < total else None,
        }

    key = (region, args.name, tuple(args.tags or ()), args.vpc_id, args.page, args.per_page)
    page = await runtime.services.read_cache.get_or_load("private_network", key, load)
    return envelope.success(page, source=runtime.source)


async def create_private_network(
    args: CreatePrivateNetworkInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a private network (a job)."""
    params = {
        "region": region_of(runtime, args.region),
        "name": args.name,
        "vpc_id": args.vpc_id,
        "subnets": args.subnets,
        "tags": args.tags,
    }
    return await submit_and_wait(runtime, ctx, "network.create_private_network", params)


async def attach_instance_to_network(
    args: AttachInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Attach a server to a private network (a job); attaching twice returns the same NIC."""
    params = {
        "zone": zone_of(runtime, args.zone),
        "server_id": args.server_id,
        "private_network_id": args.private_network_id,
    }
    return await submit_and_wait(runtime, ctx, "network.attach_server", params)


TOOLS = [
    ToolSpec(
        name="list_private_networks",
        title="List private networks",
        description="Private networks of a region: id, name, VPC, subnets, tags. Paginated.",
        input_model=ListPrivateNetworksInput,
        handler=list_private_networks,
        group="network",
        read_only=True,
    ),
    ToolSpec(
        name="create_private_network",
        title="Create private network",
        description="Create a private network (job) in a region, optional VPC, subnets, tags.",
        input_model=CreatePrivateNetworkInput,
        handler=create_private_network,
        group="network",
        read_only=False,
    ),
    ToolSpec(
        name="attach_instance_to_network",
        title="Attach instance to network",
        description=(
            "Connect a server to a private network (job) and wait until its NIC is available. "
            "Attaching twice returns the existing NIC."
        ),
        input_model=AttachInput,
        handler=attach_instance_to_network,
        group="network",
        read_only=False,
        idempotent=True,
    ),
]
