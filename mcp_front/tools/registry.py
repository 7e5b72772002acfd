"""Container Registry tools: namespaces, images and tags read directly; create and delete
namespaces through jobs (a namespace with images only with ``force``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from mcp_front.inputs import (
    PageInput,
    RegionInput,
    every_region_field,
    optional_uuid_of,
    region_of,
    uuid_of,
)
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from mcp_front.tools.across import listing_page
from mcp_front.tools.paging import Listing
from workers.cache import CacheKind
from workers.errors import InUse
from workers.operations.registry import (
    CREATE_NAMESPACE,
    DELETE_NAMESPACE,
    CreateNamespaceParams,
    NamespaceRef,
)
from workers.scaleway.registry import (
    get_namespace,
    image_summary,
    list_images,
    list_namespaces,
    list_tags,
    namespace_images,
    namespace_summary,
    tag_summary,
)

NAMESPACE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,52}[a-z0-9]\Z")


class ListNamespacesInput(PageInput):
    region: str | None = every_region_field()
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


class DeleteNamespaceInput(RegionInput):
    namespace_id: Annotated[str, uuid_of("a namespace")] = Field(
        description="Namespace id (UUID); list_registry_namespaces shows them."
    )
    force: bool = Field(False, description="Also delete the images it holds.")


class ListImagesInput(PageInput):
    namespace_id: Annotated[str | None, optional_uuid_of("a namespace")] = Field(
        None, description="Only images of this namespace (UUID)."
    )
    name: str | None = Field(None, description="Only images whose name contains this.")


class ListTagsInput(PageInput):
    image_id: Annotated[str, uuid_of("an image")] = Field(
        description="Image id (UUID); list_registry_images shows them."
    )
    name: str | None = Field(None, description="Only the tag with this exact name.")


NAMESPACES = Listing(CacheKind.REGISTRY, "namespaces", list_namespaces, namespace_summary)


async def list_registry_namespaces(
    args: ListNamespacesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Registry namespaces of a region, summarised and paginated (cached briefly)."""
    return await listing_page(NAMESPACES, runtime, args, "region", args.region, name=args.name)


async def create_registry_namespace(
    args: CreateNamespaceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a registry namespace (a job; it is ready at once)."""
    params = CreateNamespaceParams(
        region=region_of(runtime, args.region),
        name=args.name,
        description=args.description,
        is_public=args.is_public,
    )
    return await submit_and_wait(runtime, ctx, CREATE_NAMESPACE, params)


async def delete_registry_namespace(
    args: DeleteNamespaceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete a namespace (a job); one holding images is refused, naming them, unless force."""
    region, namespace = await _deletable_namespace(args, runtime)
    params = NamespaceRef(region=region, namespace_id=namespace.id)
    return await submit_and_wait(runtime, ctx, DELETE_NAMESPACE, params)


async def describe_namespace_deletion(args: DeleteNamespaceInput, runtime: Runtime) -> str:
    """What ``delete_registry_namespace`` takes away: the namespace and its images."""
    region, namespace = await _deletable_namespace(args, runtime)
    images = f" and its {namespace.image_count} image(s)" if namespace.image_count else ""
    return f"Delete registry namespace {namespace.name} ({region}){images}."


async def _deletable_namespace(args: DeleteNamespaceInput, runtime: Runtime) -> tuple[str, Any]:
    """Region and namespace, or InUse naming its images unless ``force``."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    namespace = await get_namespace(client, region, args.namespace_id)
    if not args.force and namespace.image_count:
        images = await namespace_images(client, region, namespace.id)
        advice = "delete them first, or pass force=true to delete them with the namespace"
        raise InUse(f"registry namespace {namespace.name}", images, advice)
    return region, namespace


IMAGES = Listing(CacheKind.REGISTRY, "images", list_images, image_summary)


async def list_registry_images(
    args: ListImagesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Images of a region or namespace, summarised and paginated."""
    region = region_of(runtime, args.region)
    return await IMAGES.page(
        runtime, args, region=region, namespace_id=args.namespace_id, name=args.name
    )


TAGS = Listing(CacheKind.REGISTRY, "tags", list_tags, tag_summary)


async def list_registry_tags(args: ListTagsInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Tags of one image with their digests, paginated."""
    region = region_of(runtime, args.region)
    return await TAGS.page(runtime, args, region=region, image_id=args.image_id, name=args.name)


TOOLS = [
    ToolSpec(
        name="list_registry_namespaces",
        title="List registry namespaces",
        description=(
            "Container Registry namespaces of a region: id, name, endpoint, visibility, image "
            "count, size. Paginated."
        ),
        input_model=ListNamespacesInput,
        handler=list_registry_namespaces,
        group=ToolGroup.REGISTRY,
        read_only=True,
    ),
    ToolSpec(
        name="create_registry_namespace",
        title="Create registry namespace",
        description=(
            "Create a Container Registry namespace (job); returns its endpoint for docker push."
        ),
        input_model=CreateNamespaceInput,
        handler=create_registry_namespace,
        group=ToolGroup.REGISTRY,
        read_only=False,
    ),
    ToolSpec(
        name="list_registry_images",
        title="List registry images",
        description="Images of a region or of one namespace: id, name, size, tags. Paginated.",
        input_model=ListImagesInput,
        handler=list_registry_images,
        group=ToolGroup.REGISTRY,
        read_only=True,
    ),
    ToolSpec(
        name="list_registry_tags",
        title="List registry image tags",
        description="Tags of one image with their digests. Paginated.",
        input_model=ListTagsInput,
        handler=list_registry_tags,
        group=ToolGroup.REGISTRY,
        read_only=True,
    ),
    ToolSpec(
        name="delete_registry_namespace",
        title="Delete registry namespace",
        description=(
            "Delete a registry namespace (job). Refused while it holds images unless force=true."
        ),
        input_model=DeleteNamespaceInput,
        handler=delete_registry_namespace,
        group=ToolGroup.REGISTRY,
        describe=describe_namespace_deletion,
        read_only=False,
        destructive=True,
    ),
]
