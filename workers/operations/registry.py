"""Container Registry operations: create a namespace (it is ready at once); delete one with
its images and wait until it is gone.

Namespaces carry no tags, but their names are unique in a region: the job records that it
is about to create one before the call, so a resumed job that finds the name taken knows the
namespace is its own, while a fresh job that finds it taken reports the conflict.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from jobs.models import JSON, Progress
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.power import poll_wait, services_of
from workers.scaleway.registry import find_namespace, namespace_summary
from workers.steps import Done, Operation, StepContext, StepOutcome


class CreateNamespaceParams(BaseModel):
    """Parameters of ``registry.create_namespace``."""

    region: str
    name: str
    description: str = ""
    is_public: bool = False
    project_id: str | None = None


class CreateNamespace(Operation):
    """Create a registry namespace, exactly once across crashes."""

    name = "registry.create_namespace"
    params_model = CreateNamespaceParams
    identity = ("region", "project_id", "name")
    touches = ("registry",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: CreateNamespaceParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
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

            async def lookup() -> Any | None:
                return await find_namespace(client, params.region, params.name)

            namespace = await client.create_once(
                lookup,
                lambda: client.call(
                    client.registry.create_namespace,
                    region=params.region,
                    name=params.name,
                    description=params.description,
                    is_public=params.is_public,
                    project_id=params.project_id or client.project_id,
                ),
            )
            await ctx.save(Progress("created", "namespace created", 1.0), namespace_id=namespace.id)
        else:
            namespace = await client.read(
                client.registry.get_namespace,
                region=params.region,
                namespace_id=ctx.checkpoint["namespace_id"],
            )
        result = namespace_summary(namespace)
        result["push_hint"] = (
            f"docker login {namespace.endpoint.split('/')[0]} -u nologin --password-stdin "
            f"(a Scaleway secret key); docker push {namespace.endpoint}/<image>:<tag>"
        )
        return Done(result)

    async def on_cancel(self, ctx: StepContext) -> JSON | None:
        ns_id = ctx.checkpoint.get("namespace_id")
        return {"created": {"namespace_id": ns_id} if ns_id else None}


class NamespaceRef(BaseModel):
    """Parameters of ``registry.delete_namespace``."""

    region: str
    namespace_id: str


class DeleteNamespace(Operation):
    """Delete a namespace (its images go with it) and wait until it answers 404."""

    name = "registry.delete_namespace"
    params_model = NamespaceRef
    identity = ("region", "namespace_id")
    touches = ("registry",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: NamespaceRef = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        ref = {"region": params.region, "namespace_id": params.namespace_id}
        try:
            if not ctx.checkpoint.get("delete_sent"):
                await client.read(client.registry.delete_namespace, **ref)
                await ctx.save(Progress("deleting", "namespace deleting"), delete_sent=True)
            namespace = await client.read(client.registry.get_namespace, **ref)
        except NotFound:
            return Done({"deleted": params.namespace_id, "region": params.region})
        return poll_wait(ctx, client, "registry", "deleting", f"namespace {namespace.name} goes")


OPERATIONS: list[Operation] = [CreateNamespace(), DeleteNamespace()]
