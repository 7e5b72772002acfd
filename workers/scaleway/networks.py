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
