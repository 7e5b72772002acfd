"""Container Registry over the adapter: namespace look-ups and summaries."""

from __future__ import annotations

from typing import Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import get_or_explain


async def find_namespace(client: ScalewayClient, region: str, name: str) -> Any | None:
    """The namespace called ``name`` in a region (names are unique there), if any."""
    response = await client.read(
        client.registry.list_namespaces, region=region, name=name, page=1, page_size=100
    )
    return next((n for n in response.namespaces if n.name == name), None)


async def get_namespace(client: ScalewayClient, region: str, namespace_id: str) -> Any:
    """The namespace, or NotFound naming it and where to look."""
    return await get_or_explain(
        client,
        client.registry.get_namespace,
        f"registry namespace {namespace_id} was not found in {region}; "
        "list_registry_namespaces shows them",
        resource="namespace",
        resource_id=namespace_id,
        region=region,
        namespace_id=namespace_id,
    )


async def namespace_images(client: ScalewayClient, region: str, namespace_id: str) -> list[str]:
    """Names of a namespace's images (the first 100)."""
    response = await client.read(
        client.registry.list_images, region=region, namespace_id=namespace_id, page_size=100
    )
    return [f"image {i.name} ({i.id})" for i in response.images]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def namespace_summary(ns: Any) -> JSON:
    """One row of ``list_registry_namespaces``."""
    return {
        "id": ns.id,
        "name": ns.name,
        "status": status_text(ns.status),
        "endpoint": ns.endpoint,
        "is_public": ns.is_public,
        "image_count": ns.image_count,
        "size_bytes": ns.size,
        "region": str(ns.region),
        "description": ns.description,
    }


def image_summary(image: Any) -> JSON:
    """One row of ``list_registry_images``."""
    return {
        "id": image.id,
        "name": image.name,
        "namespace_id": image.namespace_id,
        "status": status_text(image.status),
        "visibility": status_text(image.visibility),
        "size_bytes": image.size,
        "tags": list(image.tags or []),
        "updated_at": _iso(image.updated_at),
    }


def tag_summary(tag: Any) -> JSON:
    """One row of ``list_registry_tags``."""
    return {
        "id": tag.id,
        "name": tag.name,
        "image_id": tag.image_id,
        "status": status_text(tag.status),
        "digest": tag.digest,
        "created_at": _iso(tag.created_at),
    }
