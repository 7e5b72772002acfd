"""Private network tools: list directly; create and delete networks, attach and detach servers
through jobs. Deleting a network that servers or clusters use is refused, naming them."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from mcp_front.errors import ToolInputError
from mcp_front.inputs import (
    Name,
    RegionInput,
    Tags,
    check_tags_filter,
    every_region_field,
    optional_uuid_of,
    page_field,
    per_page_field,
    region_of,
    uuid_of,
    zone_of,
)
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec, scaleway
from mcp_front.tools.across import listing_page
from mcp_front.tools.paging import Listing
from workers.cache import CacheKind
from workers.errors import InUse
from workers.operations.network import (
    ATTACH_SERVER,
    CREATE_PRIVATE_NETWORK,
    DELETE_PRIVATE_NETWORK,
    DETACH_SERVER,
    AttachServerParams,
    CreatePrivateNetworkParams,
    DeleteNetworkParams,
)
from workers.scaleway import network as network_api
from workers.scaleway.instance import get_server, nic_on_network
from workers.scaleway.network import DETACH_ADVICE, get_private_network, network_dependents
from workers.scaleway.summaries import private_network_summary

VpcId = Annotated[str | None, optional_uuid_of("a VPC")]


class ListPrivateNetworksInput(RegionInput):
    region: str | None = every_region_field()
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
    zone: str | None = Field(None, description="The server's zone.")


class NetworkInput(RegionInput):
    private_network_id: Annotated[str, uuid_of("a private network")] = Field(
        description="Private network id (UUID); list_private_networks shows them."
    )


NETWORKS = Listing(
    CacheKind.PRIVATE_NETWORKS,
    "private_networks",
    network_api.list_private_networks,
    private_network_summary,
)


async def list_private_networks(
    args: ListPrivateNetworksInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Private networks of a region, summarised and paginated (cached briefly)."""
    if args.tags:
        check_tags_filter(args.tags)
    return await listing_page(
        NETWORKS,
        runtime,
        args,
        "region",
        args.region,
        name=args.name,
        tags=args.tags,
        vpc_id=args.vpc_id,
    )


async def create_private_network(
    args: CreatePrivateNetworkInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a private network (a job)."""
    params = await private_network_params(args, runtime)
    return await submit_and_wait(runtime, ctx, CREATE_PRIVATE_NETWORK, params)


async def private_network_params(
    args: CreatePrivateNetworkInput, runtime: Runtime
) -> CreatePrivateNetworkParams:
    """The job's parameters, region checked (ToolInputError naming the field)."""
    return CreatePrivateNetworkParams(
        region=region_of(runtime, args.region),
        name=args.name,
        vpc_id=args.vpc_id,
        subnets=args.subnets,
        tags=args.tags,
    )


async def attach_instance_to_network(
    args: AttachInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Attach a server to a private network (a job); attaching twice returns the same NIC."""
    params = AttachServerParams(
        zone=zone_of(runtime, args.zone),
        server_id=args.server_id,
        private_network_id=args.private_network_id,
    )
    return await submit_and_wait(runtime, ctx, ATTACH_SERVER, params)


async def detach_instance_from_network(
    args: AttachInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Remove a server's NIC on a private network (a job); no NIC there is refused, no job."""
    zone, server = await _attached_server(args, runtime)
    params = AttachServerParams(
        zone=zone, server_id=server.id, private_network_id=args.private_network_id
    )
    return await submit_and_wait(runtime, ctx, DETACH_SERVER, params)


async def describe_detach(args: AttachInput, runtime: Runtime) -> str:
    """What ``detach_instance_from_network`` cuts."""
    _, server = await _attached_server(args, runtime)
    return (
        f"Detach server {server.name} from private network {args.private_network_id}: "
        "it loses its address there and whatever reaches it through that network."
    )


async def _attached_server(args: AttachInput, runtime: Runtime) -> tuple[str, Any]:
    """Zone and server, or ToolInputError when it has no NIC on the network."""
    zone = zone_of(runtime, args.zone)
    client = scaleway(runtime)
    server = await get_server(client, zone, args.server_id)
    if await nic_on_network(client, zone, server.id, args.private_network_id) is None:
        raise ToolInputError(
            "private_network_id",
            f"server {server.name} has no NIC on private network {args.private_network_id}",
        )
    return zone, server


async def delete_private_network(
    args: NetworkInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete a private network (a job); one in use is refused naming its users, no job."""
    region, _ = await _unused_network(args, runtime)
    params = DeleteNetworkParams(region=region, private_network_id=args.private_network_id)
    return await submit_and_wait(runtime, ctx, DELETE_PRIVATE_NETWORK, params)


async def describe_network_deletion(args: NetworkInput, runtime: Runtime) -> str:
    """What ``delete_private_network`` takes away (only an unused network gets this far)."""
    region, network = await _unused_network(args, runtime)
    subnets = ", ".join(s.subnet for s in (network.subnets or []) if getattr(s, "subnet", None))
    return f"Delete private network {network.name} ({subnets or 'no subnet'}, {region})."


async def _unused_network(args: NetworkInput, runtime: Runtime) -> tuple[str, Any]:
    """Region and network, or InUse naming the servers and clusters on it."""
    region = region_of(runtime, args.region)
    client, pn_id = scaleway(runtime), args.private_network_id
    network = await get_private_network(client, region, pn_id)
    dependents = await network_dependents(client, region, pn_id)
    if dependents:
        raise InUse(f"private network {pn_id}", dependents, DETACH_ADVICE)
    return region, network


TOOLS = [
    ToolSpec(
        name="list_private_networks",
        title="List private networks",
        description="Private networks of a region: id, name, VPC, subnets, tags. Paginated.",
        input_model=ListPrivateNetworksInput,
        handler=list_private_networks,
        group=ToolGroup.NETWORK,
        read_only=True,
    ),
    ToolSpec(
        name="create_private_network",
        title="Create private network",
        description="Create a private network (job) in a region, optional VPC, subnets, tags.",
        input_model=CreatePrivateNetworkInput,
        handler=create_private_network,
        group=ToolGroup.NETWORK,
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
        group=ToolGroup.NETWORK,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="detach_instance_from_network",
        title="Detach instance from network",
        description="Remove a server's NIC on a private network (job) and wait until it is gone.",
        input_model=AttachInput,
        handler=detach_instance_from_network,
        group=ToolGroup.NETWORK,
        describe=describe_detach,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_private_network",
        title="Delete private network",
        description="Delete a private network (job). Refused while servers or clusters use it.",
        input_model=NetworkInput,
        handler=delete_private_network,
        group=ToolGroup.NETWORK,
        describe=describe_network_deletion,
        read_only=False,
        destructive=True,
    ),
]
