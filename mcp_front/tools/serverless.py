"""Serverless tools (group ``serverless``, off by default): namespaces, containers, functions
and cron triggers. Reads answer directly; creating, deploying and deleting are jobs that wait
until the resource is ``ready`` (or gone), reporting the API's error message when a deploy
fails. A namespace that still holds containers or functions is not deleted: they are named."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import AfterValidator, Field, model_validator

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.inputs import RegionInput, Tags, optional_uuid_of, region_of, uuid_of
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from workers.errors import InUse
from workers.operations.serverless import (
    CREATE_CRON,
    CREATE_NAMESPACE,
    DELETE_APP,
    DELETE_NAMESPACE,
    CronParams,
    NamespaceParams,
    Target,
)
from workers.operations.serverless_deploy import (
    DEPLOY_CONTAINER,
    DEPLOY_FUNCTION,
    ContainerParams,
    FunctionParams,
)
from workers.scaleway.serverless import (
    Kind,
    app_summary,
    apps_of,
    cron_summary,
    crons_of,
    function_runtimes,
    get_app,
    get_namespace,
    list_namespaces,
    namespace_summary,
)

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,32}[a-z0-9])?$")
CRON_FIELD_RE = re.compile(r"^[0-9*/,\-A-Za-z]+$")


def _name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError("must be 1-34 lowercase letters, digits or '-', not ending with '-'")
    return value


def _schedule(value: str) -> str:
    parts = value.split()
    if len(parts) != 5 or not all(CRON_FIELD_RE.match(p) for p in parts):
        raise ValueError("must be a 5-field cron schedule such as '*/5 * * * *' (UTC)")
    return " ".join(parts)


ServerlessName = Annotated[str, AfterValidator(_name)]
KindField = Literal["containers", "functions"]


class KindInput(RegionInput):
    kind: KindField = Field(description="containers or functions.")


class NamespaceInput(KindInput):
    namespace_id: Annotated[str, uuid_of("a namespace")] = Field(description="Namespace (UUID).")


class CreateNamespaceInput(KindInput):
    name: ServerlessName = Field(description="Name, unique in the region.")
    description: str = Field("", max_length=255, description="Free text.")
    tags: Tags = Field(default_factory=list, description="Tags.")


class ListAppsInput(KindInput):
    namespace_id: Annotated[str | None, optional_uuid_of("a namespace")] = Field(
        None, description="Only this namespace (UUID)."
    )


class AppInput(KindInput):
    id: Annotated[str, uuid_of("a container or function")] = Field(
        description="Container or function id (UUID)."
    )


class DeployInput(RegionInput):
    namespace_id: Annotated[str, uuid_of("a namespace")] = Field(description="Namespace (UUID).")
    name: ServerlessName = Field(description="Name; an existing one of that name is redeployed.")
    env: dict[str, str] = Field(default_factory=dict, description="Environment variables.")
    min_scale: int = Field(0, ge=0, le=50, description="Instances kept running.")
    max_scale: int = Field(5, ge=1, le=50, description="Most instances.")
    memory_mb: Literal[128, 256, 512, 1024, 2048, 3072, 4096] = Field(
        256, description="Memory per instance."
    )
    privacy: Literal["public", "private"] = Field("public", description="Who may call it.")
    tags: Tags = Field(default_factory=list, description="Tags.")

    @model_validator(mode="after")
    def _scale(self) -> DeployInput:
        if self.min_scale > self.max_scale:
            raise ValueError("min_scale: must not exceed max_scale")
        return self


class DeployContainerInput(DeployInput):
    image: str = Field(description="Registry image, e.g. rg.fr-par.scw.cloud/ns/app:1.2.")
    port: int = Field(8080, ge=1, le=65535, description="Port the container listens on.")


class DeployFunctionInput(DeployInput):
    runtime: str = Field(description="Runtime, e.g. python3, node20 (list in the error).")
    handler: str = Field("handler.handle", description="Entry point, file.function.")
    zip_path: str | None = Field(None, description="Local zip of the code to upload.")


class CronInput(AppInput):
    schedule: Annotated[str, AfterValidator(_schedule)] = Field(
        description="5-field cron schedule, UTC, e.g. '0 3 * * *'."
    )
    name: ServerlessName = Field("cron", description="Trigger name.")
    args: dict[str, Any] = Field(default_factory=dict, description="JSON body sent each time.")


def _kind(args: KindInput) -> Kind:
    return Kind(args.kind)


async def list_serverless_namespaces(
    args: KindInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Namespaces of containers or functions in a region."""
    region, client = region_of(runtime, args.region), scaleway(runtime)
    found = await list_namespaces(client, _kind(args), region)
    data = {"namespaces": [namespace_summary(n) for n in found]}
    return envelope.success(data, source=runtime.source)


async def create_serverless_namespace(
    args: CreateNamespaceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a namespace (a job, until ready)."""
    params = NamespaceParams(
        kind=_kind(args),
        region=region_of(runtime, args.region),
        name=args.name,
        description=args.description,
        tags=args.tags,
    )
    return await submit_and_wait(runtime, ctx, CREATE_NAMESPACE, params)


async def delete_serverless_namespace(
    args: NamespaceInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete an empty namespace (a job); one with containers or functions is refused."""
    region, ns = await _empty_namespace(args, runtime)
    params = Target(kind=_kind(args), region=region, id=ns.id)
    return await submit_and_wait(runtime, ctx, DELETE_NAMESPACE, params)


async def describe_namespace_deletion(args: NamespaceInput, runtime: Runtime) -> str:
    """What ``delete_serverless_namespace`` takes away (only an empty one gets this far)."""
    region, ns = await _empty_namespace(args, runtime)
    return f"Delete the empty {args.kind} namespace {ns.name} ({region})."


async def _empty_namespace(args: NamespaceInput, runtime: Runtime) -> tuple[str, Any]:
    """Region and namespace, or InUse naming the containers or functions in it."""
    region, client, kind = region_of(runtime, args.region), scaleway(runtime), _kind(args)
    ns = await get_namespace(client, kind, region, args.namespace_id)
    apps = await apps_of(client, kind, region, ns.id)
    if apps:
        named = [f"{kind.app} {a.name} ({a.id})" for a in apps]
        raise InUse(f"namespace {ns.name}", named, f"delete_{kind.app} removes them first")
    return region, ns


async def list_serverless_apps(
    args: ListAppsInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Containers or functions of a region or namespace, with status and URL."""
    region, client = region_of(runtime, args.region), scaleway(runtime)
    apps = await apps_of(client, _kind(args), region, args.namespace_id)
    return envelope.success({args.kind: [app_summary(a) for a in apps]}, source=runtime.source)


async def get_serverless_app(args: AppInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """One container or function, with its crons."""
    region, client, kind = region_of(runtime, args.region), scaleway(runtime), _kind(args)
    app = await get_app(client, kind, region, args.id)
    crons = await crons_of(client, kind, region, app.id)
    data = {**app_summary(app), "crons": [cron_summary(c) for c in crons]}
    return envelope.success(data, source=runtime.source)


async def _ready_namespace(runtime: Runtime, kind: Kind, region: str, ns_id: str) -> None:
    ns = await get_namespace(scaleway(runtime), kind, region, ns_id)
    if str(ns.status) != "ready":
        raise ToolInputError("namespace_id", f"namespace {ns.name} is {ns.status}; wait for ready")


async def deploy_container(
    args: DeployContainerInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create or update a container and deploy it (a job, until ready or error)."""
    region = region_of(runtime, args.region)
    await _ready_namespace(runtime, Kind.CONTAINERS, region, args.namespace_id)
    params = ContainerParams(
        region=region,
        namespace_id=args.namespace_id,
        name=args.name,
        env=args.env,
        min_scale=args.min_scale,
        max_scale=args.max_scale,
        memory_mb=args.memory_mb,
        privacy=args.privacy,
        tags=args.tags,
        image=args.image,
        port=args.port,
    )
    return await submit_and_wait(runtime, ctx, DEPLOY_CONTAINER, params)


async def deploy_function(
    args: DeployFunctionInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create or update a function, upload its zip, deploy it (a job, until ready or error)."""
    from workers.storage.paths import LocalPathError, check_source, resolve

    region, client = region_of(runtime, args.region), scaleway(runtime)
    offered = await function_runtimes(client, region)
    if args.runtime not in offered:
        raise ToolInputError("runtime", f"{args.runtime!r} is not offered: {', '.join(offered)}")
    zip_path: str | None = None
    if args.zip_path:
        try:
            path = resolve(args.zip_path)
            check_source(path)
        except LocalPathError as exc:
            raise ToolInputError("zip_path", str(exc)) from None
        zip_path = str(path)
    await _ready_namespace(runtime, Kind.FUNCTIONS, region, args.namespace_id)
    params = FunctionParams(
        region=region,
        namespace_id=args.namespace_id,
        name=args.name,
        env=args.env,
        min_scale=args.min_scale,
        max_scale=args.max_scale,
        memory_mb=args.memory_mb,
        privacy=args.privacy,
        tags=args.tags,
        runtime=args.runtime,
        handler=args.handler,
        zip_path=zip_path,
    )
    return await submit_and_wait(runtime, ctx, DEPLOY_FUNCTION, params)


async def delete_serverless_app(args: AppInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Delete a container or function with its crons (a job)."""
    region, kind = region_of(runtime, args.region), _kind(args)
    app = await get_app(scaleway(runtime), kind, region, args.id)
    params = Target(kind=kind, region=region, id=app.id)
    return await submit_and_wait(runtime, ctx, DELETE_APP, params)


async def create_cron_trigger(args: CronInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Add a cron trigger to a container or function (a job)."""
    region, kind = region_of(runtime, args.region), _kind(args)
    app = await get_app(scaleway(runtime), kind, region, args.id)
    params = CronParams(
        kind=kind,
        region=region,
        id=app.id,
        name=args.name,
        schedule=args.schedule,
        args=args.args,
    )
    return await submit_and_wait(runtime, ctx, CREATE_CRON, params)


TOOLS = [
    ToolSpec(
        name="list_serverless_namespaces",
        title="List serverless namespaces",
        description="Namespaces of containers or functions in a region.",
        input_model=KindInput,
        handler=list_serverless_namespaces,
        group=ToolGroup.SERVERLESS,
        read_only=True,
    ),
    ToolSpec(
        name="create_serverless_namespace",
        title="Create serverless namespace",
        description="Create a containers or functions namespace (job, until ready).",
        input_model=CreateNamespaceInput,
        handler=create_serverless_namespace,
        group=ToolGroup.SERVERLESS,
        read_only=False,
    ),
    ToolSpec(
        name="delete_serverless_namespace",
        title="Delete serverless namespace",
        description="Delete a namespace (job). Refused while it holds containers or functions.",
        input_model=NamespaceInput,
        handler=delete_serverless_namespace,
        group=ToolGroup.SERVERLESS,
        describe=describe_namespace_deletion,
        read_only=False,
        destructive=True,
    ),
    ToolSpec(
        name="list_serverless_apps",
        title="List containers or functions",
        description="Containers or functions: status, URL, image or runtime, scale.",
        input_model=ListAppsInput,
        handler=list_serverless_apps,
        group=ToolGroup.SERVERLESS,
        read_only=True,
    ),
    ToolSpec(
        name="get_serverless_app",
        title="Get container or function",
        description="One container or function with its cron triggers.",
        input_model=AppInput,
        handler=get_serverless_app,
        group=ToolGroup.SERVERLESS,
        read_only=True,
    ),
    ToolSpec(
        name="deploy_container",
        title="Deploy container",
        description=(
            "Create (or update, by name) a container from an image and deploy it (job) until "
            "ready; a failed deploy reports the API's message."
        ),
        input_model=DeployContainerInput,
        handler=deploy_container,
        group=ToolGroup.SERVERLESS,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="deploy_function",
        title="Deploy function",
        description=(
            "Create (or update, by name) a function, upload its zip, deploy it (job) until "
            "ready; a failed build reports the API's message."
        ),
        input_model=DeployFunctionInput,
        handler=deploy_function,
        group=ToolGroup.SERVERLESS,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_serverless_app",
        title="Delete container or function",
        description="Delete a container or function and its cron triggers (job).",
        input_model=AppInput,
        handler=delete_serverless_app,
        group=ToolGroup.SERVERLESS,
        read_only=False,
        destructive=True,
    ),
    ToolSpec(
        name="create_cron_trigger",
        title="Create cron trigger",
        description="Call a container or function on a cron schedule (UTC) with a JSON body (job).",
        input_model=CronInput,
        handler=create_cron_trigger,
        group=ToolGroup.SERVERLESS,
        read_only=False,
    ),
]
