"""The VPC API over the adapter: private networks listed, read, found by a job's tag,
created at most once, deleted. The only module that names VPC SDK methods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaleway.vpc.v2 import ListPrivateNetworksResponse, PrivateNetwork

from workers.scaleway.client import ScalewayClient
from workers.scaleway.presence import delete_if_present, exists, get_or_explain, tagged


async def find_network_by_tag(
    client: ScalewayClient, region: str, tag: str
) -> PrivateNetwork | None:
    """The private network carrying ``tag`` (a job's mark), if any."""
    found = await client.call_idempotent(
        client.vpc.list_private_networks, region=region, tags=[tag]
    )
    network: PrivateNetwork | None = tagged(found.private_networks, tag)
    return network


async def list_private_networks(
    client: ScalewayClient,
    region: str,
    *,
    page: int,
    page_size: int,
    name: str | None = None,
    tags: list[str] | None = None,
    vpc_id: str | None = None,
) -> ListPrivateNetworksResponse:
    """One page of the region's private networks, filtered by name part, tags and VPC."""
    return await client.call_idempotent(
        client.vpc.list_private_networks,
        region=region,
        page=page,
        page_size=page_size,
        name=name,
        tags=tags,
        vpc_id=vpc_id,
    )


async def get_private_network(client: ScalewayClient, region: str, pn_id: str) -> PrivateNetwork:
    """The private network, or NotFound naming it and where to look."""
    network: PrivateNetwork = await get_or_explain(
        client,
        client.vpc.get_private_network,
        f"private network {pn_id} was not found in {region}; list_private_networks shows them",
        resource="private_network",
        resource_id=pn_id,
        region=region,
        private_network_id=pn_id,
    )
    return network


async def ensure_network(
    client: ScalewayClient,
    region: str,
    name: str,
    tags: list[str],
    project_id: str | None,
    lookup: Callable[[], Awaitable[PrivateNetwork | None]],
    *,
    subnets: list[str] | None = None,
    vpc_id: str | None = None,
) -> PrivateNetwork:
    """The private network ``lookup`` finds, else one created with this name and tags."""
    return await client.create_once(
        lookup,
        lambda: client.call(
            client.vpc.create_private_network,
            default_route_propagation_enabled=False,
            region=region,
            name=name,
            project_id=project_id or client.project_id,
            tags=tags,
            subnets=subnets,
            vpc_id=vpc_id,
        ),
    )


async def private_network_exists(client: ScalewayClient, region: str, pn_id: str) -> bool:
    """Whether a private network still exists."""
    return await exists(
        client, client.vpc.get_private_network, region=region, private_network_id=pn_id
    )


async def delete_private_network(client: ScalewayClient, region: str, pn_id: str) -> None:
    """Delete a private network; one already gone is fine."""
    await delete_if_present(
        client, client.vpc.delete_private_network, region=region, private_network_id=pn_id
    )


DETACH_ADVICE = "detach_instance_from_network removes a server's NIC; delete or move clusters first"


def region_zones(region: str) -> list[str]:
    """The zones of a region the SDK knows (``fr-par`` -> ``fr-par-1``, ``fr-par-2``...)."""
    from scaleway_core.bridge.zone import ALL_ZONES

    return [str(z) for z in ALL_ZONES if str(z).startswith(f"{region}-")]


async def network_dependents(client: ScalewayClient, region: str, pn_id: str) -> list[str]:
    """What uses a private network: servers with a NIC on it (per zone) and clusters."""
    found: list[str] = []
    for zone in region_zones(region):
        response = await client.call_idempotent(
            client.instance.list_servers, zone=zone, private_network=pn_id, per_page=100, page=1
        )
        for server in response.servers:
            nics = [n.id for n in server.private_nics or [] if n.private_network_id == pn_id]
            found.append(
                f"server {server.name} ({server.id}, {zone}) through private NIC " + ", ".join(nics)
            )
    clusters = await client.call_idempotent(
        client.k8s.list_clusters, region=region, private_network_id=pn_id, page_size=100
    )
    found += [f"Kubernetes cluster {c.name} ({c.id})" for c in clusters.clusters]
    return found
