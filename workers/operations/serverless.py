"""Serverless namespace and cron operations: create a namespace (names are unique per region,
so a resumed job finds its own), delete a namespace or a container or function and wait until
it is gone, add a cron trigger."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from jobs.models import Progress
from workers.errors import PermanentError
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.k8s import status_text
from workers.scaleway.power import poll_wait, services_of
from workers.scaleway.serverless import (
    NAMESPACE_WAIT,
    Kind,
    api_of,
    cron_summary,
    find_namespace,
    get_app,
    get_namespace,
    namespace_summary,
)
from workers.steps import Done, Operation, StepContext, StepOutcome


class NamespaceParams(BaseModel):
    """Parameters of ``serverless.create_namespace``."""

    kind: Kind
    region: str
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    project_id: str | None = None


class Target(BaseModel):
    """A namespace, container or function of a kind in a region."""

    kind: Kind
    region: str
    id: str


class CronParams(Target):
    """Parameters of ``serverless.create_cron``: ``id`` is the container or function."""

    name: str
    schedule: str
    args: dict[str, Any] = Field(default_factory=dict)


class CreateNamespace(Operation):
    """Create a serverless namespace once and wait until it is ``ready``."""

    name = "serverless.create_namespace"
    params_model = NamespaceParams
    identity = ("kind", "region", "project_id", "name")
    touches = ("serverless",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        p: NamespaceParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        api = api_of(client, p.kind)
        if "namespace_id" not in ctx.checkpoint:
            resumed = bool(ctx.checkpoint.get("create_sent"))
            existing = await find_namespace(client, p.kind, p.region, p.name)
            if existing is not None and not resumed:
                raise Conflict(
                    f"{p.kind} namespace {p.name!r} already exists in {p.region} ({existing.id})",
                    status=409,
                    type_="already_exists",
                )
            if existing is None:
                await ctx.save(create_sent=True)
                existing = await client.call(
                    api.create_namespace,
                    region=p.region,
                    name=p.name,
                    description=p.description,
                    tags=p.tags,
                    project_id=p.project_id or client.project_id,
                )
            await ctx.save(Progress("creating", "namespace created"), namespace_id=existing.id)
        ns = await get_namespace(client, p.kind, p.region, ctx.checkpoint["namespace_id"])
        status = status_text(ns.status)
        if status == "ready":
            return Done(namespace_summary(ns))
        if status not in NAMESPACE_WAIT:
            raise PermanentError(f"namespace {ns.id} is {status!r}: {ns.error_message or ''}")
        return poll_wait(ctx, client, "serverless", status, f"namespace {ns.name} is {status}")


class DeleteTarget(Operation):
    """Delete a namespace, container or function and wait until it answers 404."""

    what: ClassVar[str]  # "namespace" or "app"
    params_model = Target
    identity = ("kind", "region", "id")
    touches = ("serverless",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        p: Target = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        noun = "namespace" if self.what == "namespace" else p.kind.app
        get = get_namespace if self.what == "namespace" else get_app
        delete = getattr(api_of(client, p.kind), f"delete_{noun}")
        try:
            found = await get(client, p.kind, p.region, p.id)
            if not ctx.checkpoint.get("delete_sent") and status_text(found.status) != "deleting":
                await client.read(delete, region=p.region, **{f"{noun}_id": p.id})
                await ctx.save(Progress("deleting", f"{noun} {found.name}"), delete_sent=True)
        except NotFound:
            return Done({"deleted": p.id, "region": p.region})
        return poll_wait(ctx, client, "serverless", "deleting", f"{noun} {found.name} goes")


class DeleteNamespace(DeleteTarget):
    """Delete a serverless namespace and wait until it is gone."""

    name = "serverless.delete_namespace"
    what = "namespace"


class DeleteApp(DeleteTarget):
    """Delete a container or function (its crons go too) and wait until it is gone."""

    name = "serverless.delete_app"
    what = "app"


class CreateCron(Operation):
    """Add a cron trigger to a container or function (found by name on resume)."""

    name = "serverless.create_cron"
    params_model = CronParams
    identity = ("kind", "region", "id", "name")
    touches = ("serverless",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        p: CronParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        api = api_of(client, p.kind)
        target = {f"{p.kind.app}_id": p.id}
        if ctx.checkpoint.get("create_sent"):
            crons = await client.read(api.list_crons_all, region=p.region, **target)
            found = next((c for c in crons if c.name == p.name), None)
            if found is not None:
                return Done(cron_summary(found))
        await ctx.save(create_sent=True)
        cron = await client.call(
            api.create_cron,
            region=p.region,
            schedule=p.schedule,
            args=p.args,
            name=p.name,
            **target,
        )
        return Done(cron_summary(cron))


OPERATIONS: list[Operation] = [CreateNamespace(), DeleteNamespace(), DeleteApp(), CreateCron()]
