"""The Instance API over the adapter: servers, power actions, volumes, IPs, private NICs,
types and Marketplace images. The only module that names Instance SDK methods."""

from __future__ import annotations

import uuid
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, cast

from workers.cache import CacheKind, ListCache
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest, Transient
from workers.scaleway.presence import delete_if_present, exists, get_or_explain

if TYPE_CHECKING:
    from scaleway.instance.v1 import (
        ListServersResponse,
        PrivateNIC,
        Server,
        ServerState,
        VolumeServerTemplate,
    )

GB = 1000**3

RUNNING = "running"
STOPPED = "stopped"
STOPPED_IN_PLACE = "stopped in place"
TRANSIT = frozenset({"starting", "stopping"})


class Move(StrEnum):
    """What to do next to bring a server to a target power state."""

    DONE = "done"
    WAIT = "wait"
    POWERON = "poweron"
    POWEROFF = "poweroff"
    STUCK = "stuck"


def state_text(state: Any) -> str:
    """A server state as the API spells it (``stopped in place``, not the SDK's enum name)."""
    text = str(state.value if isinstance(state, Enum) else state or "")
    return text.replace("_", " ")


def next_move(state: str, target: str) -> Move:
    """The move from ``state`` towards ``target`` (``running`` or ``stopped``)."""
    if state == target:
        return Move.DONE
    if state in TRANSIT:
        return Move.WAIT
    if target == RUNNING and state in (STOPPED, STOPPED_IN_PLACE):
        return Move.POWERON
    if target == STOPPED and state in (RUNNING, STOPPED_IN_PLACE):
        return Move.POWEROFF
    return Move.STUCK


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID."""
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(value) == 36


async def get_server(client: ScalewayClient, zone: str, server_id: str) -> Server:
    """The server, or NotFound naming it."""
    response = await get_or_explain(
        client,
        client.instance.get_server,
        f"server {server_id} was not found in {zone}; list_instances shows the servers there",
        resource="instance_server",
        resource_id=server_id,
        zone=zone,
        server_id=server_id,
    )
    server: Server = response.server
    return server


async def find_server_by_tag(client: ScalewayClient, zone: str, tag: str) -> Server | None:
    """The server carrying ``tag`` (a job's mark), if any."""
    response = await client.call_idempotent(
        client.instance.list_servers, zone=zone, tags=[tag], per_page=10, page=1
    )
    return response.servers[0] if response.servers else None


async def server_types(client: ScalewayClient, cache: ListCache, zone: str) -> dict[str, Any]:
    """Commercial types offered in a zone, by name (cached)."""

    async def load() -> dict[str, Any]:
        found: dict[str, Any] = {}
        page = 1
        while True:
            response = await client.call_idempotent(
                client.instance.list_servers_types, zone=zone, per_page=100, page=page
            )
            found.update(response.servers or {})
            if not response.servers or len(found) >= int(response.total_count or 0):
                return found
            page += 1

    return await cache.get_or_load(CacheKind.SERVER_TYPES, zone, load)


async def check_commercial_type(
    client: ScalewayClient,
    cache: ListCache,
    zone: str,
    commercial_type: str,
    *,
    field: str = "commercial_type",
) -> str:
    """The zone's spelling of ``commercial_type``, or InvalidRequest naming ``field``."""
    types = await server_types(client, cache, zone)
    by_upper = {name.upper(): name for name in types}
    found = by_upper.get(commercial_type.upper())
    if found is None:
        allowed = ", ".join(sorted(types))
        raise InvalidRequest(
            f"{field} {commercial_type!r} is not offered in {zone}; use one of: {allowed}",
            details=[{"argument_name": field, "reason": "constraint"}],
        )
    return found


async def image_labels(client: ScalewayClient, cache: ListCache) -> list[str]:
    """Marketplace image labels (cached)."""

    async def load() -> list[str]:
        response = await client.call_idempotent(
            client.marketplace.list_images, include_eol=False, page_size=100, page=1
        )
        return sorted(image.label for image in response.images)

    return await cache.get_or_load(CacheKind.IMAGES, "labels", load)


async def resolve_image(
    client: ScalewayClient, cache: ListCache, zone: str, image: str, commercial_type: str
) -> str:
    """The image id for ``image`` (an id, or a Marketplace label such as ``ubuntu_noble``)."""
    if is_uuid(image):
        return image
    response = await client.call_idempotent(
        client.marketplace.list_local_images,
        image_label=image,
        zone=zone,
        type_="instance_sbs",
        page_size=100,
        page=1,
    )
    for local in response.local_images:
        if commercial_type in local.compatible_commercial_types:
            return str(local.id)
    if response.local_images:
        raise InvalidRequest(
            f"image {image!r} has no build for {commercial_type} in {zone}",
            details=[{"argument_name": "image", "reason": "constraint"}],
        )
    labels = ", ".join(await image_labels(client, cache))
    raise InvalidRequest(
        f"image {image!r} is not a Marketplace label in {zone}; use an image id or one of: "
        f"{labels}",
        details=[{"argument_name": "image", "reason": "constraint"}],
    )


async def list_servers(
    client: ScalewayClient,
    zone: str,
    *,
    page: int,
    page_size: int,
    name: str | None = None,
    tags: list[str] | None = None,
    state: str | None = None,
) -> ListServersResponse:
    """One page of the zone's servers, filtered by name part, tags and state."""
    return await client.call_idempotent(
        client.instance.list_servers,
        zone=zone,
        page=page,
        per_page=page_size,
        name=name,
        tags=tags,
        # Sent as the API spells it ("stopped in place"), which the SDK's enum does not.
        state=cast("ServerState | None", state),
    )


def sbs_root_volume(size_gb: int) -> dict[str, VolumeServerTemplate]:
    """The volumes argument of a server whose root is an SBS volume of ``size_gb`` GB."""
    from scaleway.instance.v1 import VolumeServerTemplate, VolumeVolumeType

    volume = VolumeServerTemplate(
        volume_type=VolumeVolumeType.SBS_VOLUME, size=size_gb * GB, boot=True
    )
    return {"0": volume}


async def create_server(
    client: ScalewayClient,
    zone: str,
    *,
    commercial_type: str,
    name: str,
    image: str,
    tags: list[str],
    project_id: str | None,
    volumes: dict[str, VolumeServerTemplate] | None = None,
) -> Server:
    """A new server (one call, no retries: callers use ``client.create_once``)."""
    response = await client.call(
        client.instance.create_server,
        zone=zone,
        commercial_type=commercial_type,
        name=name,
        image=image,
        volumes=volumes,
        tags=tags,
        project=project_id or client.project_id,
    )
    if response.server is None:
        raise Transient("the API answered the server creation without the server", status=200)
    server: Server = response.server
    return server


async def server_action(client: ScalewayClient, zone: str, server_id: str, action: str) -> None:
    """Send a power action (``poweron``, ``poweroff``) to a server."""
    from scaleway.instance.v1 import ServerAction

    await client.call_idempotent(
        client.instance.server_action, zone=zone, server_id=server_id, action=ServerAction(action)
    )


async def server_exists(client: ScalewayClient, zone: str, server_id: str) -> bool:
    """Whether the server is still there."""
    return await exists(client, client.instance.get_server, zone=zone, server_id=server_id)


async def delete_server(client: ScalewayClient, zone: str, server_id: str) -> None:
    """Delete a (stopped) server; one already gone is fine."""
    await delete_if_present(client, client.instance.delete_server, zone=zone, server_id=server_id)


async def delete_volume(client: ScalewayClient, zone: str, volume_id: str, *, sbs: bool) -> None:
    """Delete a volume (an SBS one through Block storage); one already gone is fine."""
    delete = client.block.delete_volume if sbs else client.instance.delete_volume
    await delete_if_present(client, delete, zone=zone, volume_id=volume_id)


async def delete_ip(client: ScalewayClient, zone: str, ip_id: str) -> None:
    """Release a flexible IP; one already gone is fine."""
    await delete_if_present(client, client.instance.delete_ip, zone=zone, ip=ip_id)


async def get_private_nic(
    client: ScalewayClient, zone: str, server_id: str, nic_id: str
) -> PrivateNIC | None:
    """A private NIC of a server."""
    response = await client.call_idempotent(
        client.instance.get_private_nic, zone=zone, server_id=server_id, private_nic_id=nic_id
    )
    return response.private_nic


async def list_private_nics(client: ScalewayClient, zone: str, server_id: str) -> list[PrivateNIC]:
    """The private NICs of a server (first 100)."""
    response = await client.call_idempotent(
        client.instance.list_private_ni_cs, zone=zone, server_id=server_id, per_page=100
    )
    return list(response.private_nics)


async def create_private_nic(
    client: ScalewayClient, zone: str, server_id: str, private_network_id: str, tags: list[str]
) -> PrivateNIC | None:
    """A new private NIC of the server on the network (one call, no retries)."""
    response = await client.call(
        client.instance.create_private_nic,
        zone=zone,
        server_id=server_id,
        private_network_id=private_network_id,
        tags=tags,
    )
    return response.private_nic


async def nic_on_network(
    client: ScalewayClient, zone: str, server_id: str, pn_id: str
) -> PrivateNIC | None:
    """The server's private NIC on a private network, if there is one."""
    nics = await list_private_nics(client, zone, server_id)
    return next((n for n in nics if n.private_network_id == pn_id), None)


async def private_nic_exists(
    client: ScalewayClient, zone: str, server_id: str, nic_id: str
) -> bool:
    """Whether a server's private NIC is still there."""
    return await exists(
        client,
        client.instance.get_private_nic,
        zone=zone,
        server_id=server_id,
        private_nic_id=nic_id,
    )


async def delete_private_nic(
    client: ScalewayClient, zone: str, server_id: str, nic_id: str
) -> None:
    """Remove a server's private NIC; one already gone is fine."""
    await delete_if_present(
        client,
        client.instance.delete_private_nic,
        zone=zone,
        server_id=server_id,
        private_nic_id=nic_id,
    )


async def block_volume_sizes(client: ScalewayClient, zone: str, server: Server) -> dict[str, int]:
    """Sizes in bytes of the server's block volumes, which the Instance API leaves out."""
    sizes: dict[str, int] = {}
    for volume in (server.volumes or {}).values():
        kind = getattr(volume.volume_type, "value", volume.volume_type)
        if getattr(volume, "size", None) or kind != "sbs_volume":
            continue
        block = await client.call_idempotent(
            client.block.get_volume, zone=zone, volume_id=volume.id
        )
        sizes[volume.id] = int(block.size or 0)
    return sizes
