"""Container Registry operations: create a namespace (it is ready at once); delete one with
its images and wait until it is gone.

Namespaces carry no tags, but their names are unique in a region: the job records that it
is about to create one before the call, so a resumed job that finds the name taken knows the
namespace is its own, while a fresh job that finds it taken reports the conflict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.leftovers import Trace
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.registry import (
    create_namespace,
    delete_namespace,
    find_namespace,
    get_namespace,
    namespace_summary,
)
from workers.steps import CREATE_REJOIN_S, AnyOperation, Done, Operation, StepContext, StepOutcome

if TYPE_CHECKING:
    from scaleway.registry.v1 import Namespace


class CreateNamespaceParams(BaseModel):
    """Parameters of ``registry.create_namespace``."""

    region: str
    name: str
    description: str = ""
    is_public: bool = False
    project_id: str | None = None


class CreateNamespace(Operation[CreateNamespaceParams]):
    """Create a registry namespace, exactly once across crashes."""

    name = "registry.create_namespace"
    params_model = CreateNamespaceParams
    identity = ("region", "project_id", "name")
    rejoin_succeeded_s = CREATE_REJOIN_S
    touches = (CacheKind.REGISTRY,)
    # Namespaces carry no tags: after the marker, the unique name is what finds it.
    traces = (
        Trace(
            "namespace_id",
            lambda ctx: find_namespace(
                ctx.services.scaleway_client(),
                ctx.params.region,
                ctx.params.name,
            ),
            marker="create_sent",
        ),
    )

    async def step(self, ctx: StepContext[CreateNamespaceParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "namespace_id" not in ctx.checkpoint:
            if not ctx.checkpoint.get("create_sent"):
                existing = await find_namespace(client, params.region, params.name)
                if existing is not None:
                    raise Conflict(
                        f"registry namespace {params.name!r} already exists in {params.region} "
                        f"({existing.id}); names are unique per region: choose another",
                        status=409,
                        type_="already_exists",
                    )
                await ctx.save(create_sent=True)

            async def lookup() -> Namespace | None:
                return await find_namespace(client, params.region, params.name)

            namespace = await client.create_once(
                lookup,
                lambda: create_namespace(
                    client,
                    params.region,
                    name=params.name,
                    description=params.description,
                    is_public=params.is_public,
                    project_id=params.project_id,
                ),
            )
            await ctx.save(Progress("created", "namespace created", 1.0), namespace_id=namespace.id)
        else:
            namespace = await get_namespace(client, params.region, ctx.checkpoint["namespace_id"])
        result = namespace_summary(namespace)
        result["push_hint"] = (
            f"docker login {namespace.endpoint.split('/')[0]} -u nologin --password-stdin "
            f"(a Scaleway secret key); docker push {namespace.endpoint}/<image>:<tag>"
        )
        return Done(result)

    async def on_cancel(self, ctx: StepContext[CreateNamespaceParams]) -> JSON | None:
        ns_id = (await self.leftovers(ctx)).get("namespace_id")
        return {"created": {"namespace_id": ns_id} if ns_id else None}


class NamespaceRef(BaseModel):
    """Parameters of ``registry.delete_namespace``."""

    region: str
    namespace_id: str


class DeleteNamespace(Operation[NamespaceRef]):
    """Delete a namespace (its images go with it) and wait until it answers 404."""

    name = "registry.delete_namespace"
    params_model = NamespaceRef
    identity = ("region", "namespace_id")
    touches = (CacheKind.REGISTRY,)

    async def step(self, ctx: StepContext[NamespaceRef]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        try:
            if not ctx.checkpoint.get("delete_sent"):
                await delete_namespace(client, params.region, params.namespace_id)
                await ctx.save(Progress("deleting", "namespace deleting"), delete_sent=True)
            namespace = await get_namespace(client, params.region, params.namespace_id)
        except NotFound:
            return Done({"deleted": params.namespace_id, "region": params.region})
        what = f"namespace {namespace.name} goes"
        return poll_wait(ctx, PollKind.REGISTRY, "deleting", what)


CREATE_NAMESPACE = CreateNamespace()
DELETE_NAMESPACE = DeleteNamespace()
OPERATIONS: list[AnyOperation] = [CREATE_NAMESPACE, DELETE_NAMESPACE]
