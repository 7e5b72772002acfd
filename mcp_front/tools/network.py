"""Private network tools: list directly; create a network and attach servers through jobs."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from mcp_front.inputs import (
    Name,
    RegionInput,
    Tags,
    check_tags_filter,
    optional_uuid_of,
    page_field,
    per_page_field,
    region_of,
    uuid_of,
    zone_of,
)
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.toolkit import ToolInput, spec
from mcp_front.tools.paging import Listing
from workers.scaleway.summaries import private_network_summary

VpcId = Annotated[str | None, optional_uuid_of("a VPC")]


class ListPrivateNetworksInput(RegionInput):
    name: str | None = Field(None, description="Only networks whose name contains this.")
    tags: list[str] | None = Field(None, description="Only networks with one of these tags.")
    vpc_id: VpcId = Field(None, description="Only networks of this VPC (UUID).")
    page: int = page_field()
    per_page: int = per_page_field("Networks")


class CreatePrivateNetworkInput(RegionInput):
    name: Name = Field(description="Network name: letters, digits, '.', '_' or '-'.")
    vpc_id: VpcId = Field(None, description="VPC to create it in (default VPC if omitted).")
    subnets: list[str] = Field(
        default_factory=list, description="CIDR subnets, e.g. 172.16.8.0/22 (auto if omitted)."
    )
    tags: Tags = Field(default_factory=list, description="Tags for the network.")

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
    server_id: Annotated[str, uuid_of("a server")] = Field(description="Server id (UUID).")
    private_network_id: Annotated[str, uuid_of("a private network")] = Field(
        description="Private network id (UUID), same region."
    )
    zone: str | None = Field(None, description="The server's zone (default: config).")


NETWORKS = Listing(
    "private_network",
    "private_networks",
    lambda c: c.vpc.list_private_networks,
    private_network_summary,
)


async def list_private_networks(
    args: ListPrivateNetworksInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Private networks of a region, summarised and paginated (cached briefly)."""
    region = region_of(runtime, args.region)
    if args.tags:
        check_tags_filter(args.tags)
    return await NETWORKS.page(
        runtime, args, region=region, name=args.name, tags=args.tags, vpc_id=args.vpc_id
    )


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
    spec(
        "network",
        "list_private_networks",
        "List private networks",
        "Private networks of a region: id, name, VPC, subnets, tags. Paginated.",
        ListPrivateNetworksInput,
        list_private_networks,
        read_only=True,
    ),
    spec(
        "network",
        "create_private_network",
        "Create private network",
        "Create a private network (job) in a region, optional VPC, subnets, tags.",
        CreatePrivateNetworkInput,
        create_private_network,
        read_only=False,
    ),
    spec(
        "network",
        "attach_instance_to_network",
        "Attach instance to network",
        "Connect a server to a private network (job) and wait until its NIC is available. "
        "Attaching twice returns the existing NIC.",
        AttachInput,
        attach_instance_to_network,
        read_only=False,
        idempotent=True,
    ),
]
