"""Private networks over the adapter: the one a job tagged, created at most once; existence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from workers.scaleway.client import ScalewayClient
from workers.scaleway.presence import delete_if_present, exists, tagged


async def find_network_by_tag(client: ScalewayClient, region: str, tag: str) -> Any | None:
    """The private network carrying ``tag`` (a job's mark), if any."""
    found = await client.read(client.vpc.list_private_networks, region=region, tags=[tag])
    return tagged(found.private_networks, tag)


async def ensure_network(
    client: ScalewayClient,
    region: str,
    name: str,
    tags: list[str],
    project_id: str | None,
    lookup: Callable[[], Awaitable[Any | None]],
    *,
    subnets: list[str] | None = None,
    vpc_id: str | None = None,
) -> Any:
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
        response = await client.read(
            client.instance.list_servers, zone=zone, private_network=pn_id, per_page=100, page=1
        )
        for server in response.servers:
            nics = [n.id for n in server.private_nics or [] if n.private_network_id == pn_id]
            found.append(
                f"server {server.name} ({server.id}, {zone}) through private NIC " + ", ".join(nics)
            )
    clusters = await client.read(
        client.k8s.list_clusters, region=region, private_network_id=pn_id, page_size=100
    )
    found += [f"Kubernetes cluster {c.name} ({c.id})" for c in clusters.clusters]
    return found


async def nic_on_network(client: ScalewayClient, zone: str, server_id: str, pn_id: str) -> Any:
    """The server's private NIC on a private network, if there is one."""
    response = await client.read(
        client.instance.list_private_ni_cs, zone=zone, server_id=server_id, per_page=100
    )
    return next((n for n in response.private_nics if n.private_network_id == pn_id), None)
