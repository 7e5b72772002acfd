"""Instance servers over the adapter: power-state moves, tag look-ups, types and images."""

from __future__ import annotations

import uuid
from enum import Enum, StrEnum
from typing import Any

from workers.cache import ReadCache
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest
from workers.scaleway.presence import get_or_explain

RUNNING = "running"
STOPPED = "stopped"
STOPPED_IN_PLACE = "stopped in place"
TRANSIT = frozenset({"starting", "stopping"})
TYPES_KIND = "instance_types"
IMAGES_KIND = "marketplace_images"


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


def job_tag(job_id: str) -> str:
    """The tag that marks a resource as created by a job."""
    return f"job:{job_id}"


async def get_server(client: ScalewayClient, zone: str, server_id: str) -> Any:
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
    return response.server


async def find_server_by_tag(client: ScalewayClient, zone: str, tag: str) -> Any | None:
    """The server carrying ``tag`` (a job's mark), if any."""
    response = await client.read(
        client.instance.list_servers, zone=zone, tags=[tag], per_page=10, page=1
    )
    return response.servers[0] if response.servers else None


async def server_types(client: ScalewayClient, cache: ReadCache, zone: str) -> dict[str, Any]:
    """Commercial types offered in a zone, by name (cached)."""

    async def load() -> dict[str, Any]:
        found: dict[str, Any] = {}
        page = 1
        while True:
            response = await client.read(
                client.instance.list_servers_types, zone=zone, per_page=100, page=page
            )
            found.update(response.servers or {})
            if not response.servers or len(found) >= int(response.total_count or 0):
                return found
            page += 1

    return await cache.get_or_load(TYPES_KIND, zone, load)  # type: ignore[no-any-return]


async def check_commercial_type(
    client: ScalewayClient,
    cache: ReadCache,
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


async def image_labels(client: ScalewayClient, cache: ReadCache) -> list[str]:
    """Marketplace image labels (cached)."""

    async def load() -> list[str]:
        response = await client.read(
            client.marketplace.list_images, include_eol=False, page_size=100, page=1
        )
        return sorted(image.label for image in response.images)

    return await cache.get_or_load(IMAGES_KIND, "labels", load)  # type: ignore[no-any-return]


async def resolve_image(
    client: ScalewayClient, cache: ReadCache, zone: str, image: str, commercial_type: str
) -> str:
    """The image id for ``image`` (an id, or a Marketplace label such as ``ubuntu_noble``)."""
    if is_uuid(image):
        return image
    response = await client.read(
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


async def block_volume_sizes(client: ScalewayClient, zone: str, server: Any) -> dict[str, int]:
    """Sizes in bytes of the server's block volumes, which the Instance API leaves out."""
    sizes = {}
    for volume in (server.volumes or {}).values():
        kind = getattr(volume.volume_type, "value", volume.volume_type)
        if getattr(volume, "size", None) or kind != "sbs_volume":
            continue
        block = await client.read(client.block.get_volume, zone=zone, volume_id=volume.id)
        sizes[volume.id] = int(block.size or 0)
    return sizes
