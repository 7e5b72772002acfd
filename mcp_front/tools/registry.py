"""Container Registry tools: namespaces, images and tags read directly; create through a job."""

from __future__ import annotations

import re
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from jobs.models import JSON
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.toolkit import ToolSpec
from mcp_front.tools.instance import check_uuid, region_of, scaleway
from mcp_front.tools.network import RegionInput
from mcp_front.tools.paging import PageInput, cached_page, response_page
from workers.scaleway.registry import image_summary, namespace_summary, tag_summary

NAMESPACE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,52}[a-z0-9]$")


class ListNamespacesInput(PageInput):
    name: str | None = Field(None, description="Only namespaces whose name contains this.")


class CreateNamespaceInput(RegionInput):
    name: str = Field(description="4-54 lowercase letters, digits or '-'; unique in the region.")
    description: str = Field("", max_length=255, description="Free text.")
    is_public: bool = Field(False, description="Let anyone pull its images.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAMESPACE_RE.match(value):
            raise ValueError(
                f"{value!r}: use 4-54 lowercase letters, digits or '-', not starting or "
                "ending with '-'"
            )
        return value


class ListImagesInput(PageInput):
    namespace_id: str | None = Field(None, description="Only images of this namespace (UUID).")
    name: str | None = Field(None, description="Only images whose name contains this.")

    @field_validator("namespace_id")
    @classmethod
    def _ns(cls, value: str | None) -> str | None:
        return check_uuid(value, "a namespace") if value else value


class ListTagsInput(PageInput):
    image_id: str = Field(description="Image id (UUID); list_registry_images shows them.")
    name: str | None = Field(None, description="Only the tag with this exact name.")

    @field_validator("image_id")
    @classmethod
    def _image(cls, value: str) -> str:
        return check_uuid(value, "an image")


async def list_registry_namespaces(
    args: ListNamespacesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Registry namespaces of a region, summarised and paginated (cached briefly)."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)

    async def load() -> JSON:
        response = await client.read(
            client.registry.list_namespaces,
            region=region,
            name=args.name,
            page=args.page,
            page_size=args.per_page,
        )
        return response_page("namespaces", response, namespace_summary, args)

    key = ("namespaces", region, args.name, args.page, args.per_page)
    return await cached_page(runtime, "registry", key, load)


async def create_registry_namespace(
    args: CreateNamespaceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a registry namespace (a job; it is ready at once)."""
    params = {**args.model_dump(exclude={"region"}), "region": region_of(runtime, args.region)}
    return await submit_and_wait(runtime, ctx, "registry.create_namespace", params)


async def list_registry_images(
    args: ListImagesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Images of a region or namespace, summarised and paginated."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)

    async def load() -> JSON:
        response = await client.read(
            client.registry.list_images,
            region=region,
            namespace_id=args.namespace_id,
            name=args.name,
            page=args.page,
            page_size=args.per_page,
        )
        return response_page("images", response, image_summary, args)

    key = ("images", region, args.namespace_id, args.name, args.page, args.per_page)
    return await cached_page(runtime, "registry", key, load)


async def list_registry_tags(args: ListTagsInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Tags of one image with their digests, paginated."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)

    async def load() -> JSON:
        response = await client.read(
            client.registry.list_tags,
            region=region,
            image_id=args.image_id,
            name=args.name,
            page=args.page,
            page_size=args.per_page,
        )
        return response_page("tags", response, tag_summary, args)

    key = ("tags", region, args.image_id, args.name, args.page, args.per_page)
    return await cached_page(runtime, "registry", key, load)


def _read(name: str, title: str, description: str, model: Any, handler: Any) -> ToolSpec:
    return ToolSpec(
        name=name,
        title=title,
        description=description,
        input_model=model,
        handler=handler,
        group="registry",
        read_only=True,
    )


TOOLS = [
    _read(
        "list_registry_namespaces",
        "List registry namespaces",
        "Container Registry namespaces of a region: id, name, endpoint, visibility, image "
        "count, size. Paginated.",
        ListNamespacesInput,
        list_registry_namespaces,
    ),
    ToolSpec(
        name="create_registry_namespace",
        title="Create registry namespace",
        description="Create a Container Registry namespace (job): name unique in the region, "
        "description, public or private. Returns its endpoint for docker push.",
        input_model=CreateNamespaceInput,
        handler=create_registry_namespace,
        group="registry",
        read_only=False,
    ),
    _read(
        "list_registry_images",
        "List registry images",
        "Images of a region or of one namespace: id, name, size, tags. Paginated.",
        ListImagesInput,
        list_registry_images,
    ),
    _read(
        "list_registry_tags",
        "List registry image tags",
        "Tags of one image with their digests. Paginated.",
        ListTagsInput,
        list_registry_tags,
    ),
]
