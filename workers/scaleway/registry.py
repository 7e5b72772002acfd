"""The Container Registry API over the adapter: namespaces, images and tags listed, namespaces
created and read, summaries. The only module that names Registry SDK methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import get_or_explain

if TYPE_CHECKING:
    from scaleway.registry.v1 import (
        ListImagesResponse,
        ListNamespacesResponse,
        ListTagsResponse,
        Namespace,
    )


async def find_namespace(client: ScalewayClient, region: str, name: str) -> Namespace | None:
    """The namespace called ``name`` in a region (names are unique there), if any."""
    response = await client.call_idempotent(
        client.registry.list_namespaces, region=region, name=name, page=1, page_size=100
    )
    return next((n for n in response.namespaces if n.name == name), None)


async def get_namespace(client: ScalewayClient, region: str, namespace_id: str) -> Namespace:
    """The namespace, or NotFound naming it and where to look."""
    namespace: Namespace = await get_or_explain(
        client,
        client.registry.get_namespace,
        f"registry namespace {namespace_id} was not found in {region}; "
        "list_registry_namespaces shows them",
        resource="namespace",
        resource_id=namespace_id,
        region=region,
        namespace_id=namespace_id,
    )
    return namespace


async def delete_namespace(client: ScalewayClient, region: str, namespace_id: str) -> None:
    """Ask for a namespace's deletion (its images go with it); NotFound when it is gone."""
    await client.call_idempotent(
        client.registry.delete_namespace, region=region, namespace_id=namespace_id
    )


async def namespace_images(client: ScalewayClient, region: str, namespace_id: str) -> list[str]:
    """Names of a namespace's images (the first 100)."""
    response = await client.call_idempotent(
        client.registry.list_images, region=region, namespace_id=namespace_id, page_size=100
    )
    return [f"image {i.name} ({i.id})" for i in response.images]


async def list_namespaces(
    client: ScalewayClient, region: str, *, page: int, page_size: int, name: str | None = None
) -> ListNamespacesResponse:
    """One page of the region's namespaces, filtered by name part."""
    return await client.call_idempotent(
        client.registry.list_namespaces, region=region, page=page, page_size=page_size, name=name
    )


async def list_images(
    client: ScalewayClient,
    region: str,
    *,
    page: int,
    page_size: int,
    namespace_id: str | None = None,
    name: str | None = None,
) -> ListImagesResponse:
    """One page of the region's images, filtered by namespace and name part."""
    return await client.call_idempotent(
        client.registry.list_images,
        region=region,
        page=page,
        page_size=page_size,
        namespace_id=namespace_id,
        name=name,
    )


async def list_tags(
    client: ScalewayClient,
    region: str,
    *,
    page: int,
    page_size: int,
    image_id: str,
    name: str | None = None,
) -> ListTagsResponse:
    """One page of an image's tags, filtered by exact name."""
    return await client.call_idempotent(
        client.registry.list_tags,
        region=region,
        page=page,
        page_size=page_size,
        image_id=image_id,
        name=name,
    )


async def create_namespace(
    client: ScalewayClient,
    region: str,
    *,
    name: str,
    description: str,
    is_public: bool,
    project_id: str | None,
) -> Namespace:
    """A new namespace (one call, no retries: callers use ``client.create_once``)."""
    return await client.call(
        client.registry.create_namespace,
        region=region,
        name=name,
        description=description,
        is_public=is_public,
        project_id=project_id or client.project_id,
    )


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
