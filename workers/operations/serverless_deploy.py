"""Deploying a serverless container or function: create it (or update the one of that name),
upload a function's code, deploy, and wait until it is ``ready`` or report the API's error.

Names are unique in a namespace, so a job resumed after a crash finds the container or
function it created by its name and never makes a second one.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import anyio
from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.errors import PermanentError
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import Conflict
from workers.scaleway.k8s import status_text
from workers.scaleway.power import poll_wait, services_of
from workers.scaleway.serverless import (
    APP_WAIT,
    Kind,
    api_of,
    app_summary,
    find_app,
    get_app,
    upload_function_code,
)
from workers.steps import Done, Operation, StepContext, StepOutcome


class AppParams(BaseModel):
    """What a container and a function share."""

    region: str
    namespace_id: str
    name: str
    env: dict[str, str] = Field(default_factory=dict)
    min_scale: int = 0
    max_scale: int = 5
    memory_mb: int = 256
    privacy: str = "public"
    description: str = ""
    tags: list[str] = Field(default_factory=list)


class ContainerParams(AppParams):
    """Parameters of ``serverless.deploy_container``."""

    image: str
    port: int = 8080


class FunctionParams(AppParams):
    """Parameters of ``serverless.deploy_function``."""

    runtime: str
    handler: str = "handler.handle"
    zip_path: str | None = None


class DeployApp(Operation):
    """Create or update, deploy, and wait for ``ready``."""

    kind: ClassVar[Kind]
    touches = ("serverless",)

    @abc.abstractmethod
    def _own_fields(self, params: Any) -> dict[str, Any]:
        """The SDK arguments only this kind has (image and port, runtime and handler)."""

    async def _before_deploy(self, ctx: StepContext, client: ScalewayClient, app_id: str) -> None:
        """What must happen between the create and the deploy (a function's code)."""

    def _fields(self, p: AppParams) -> dict[str, Any]:
        return {
            "region": p.region,
            "environment_variables": p.env,
            "min_scale": p.min_scale,
            "max_scale": p.max_scale,
            "memory_limit": p.memory_mb,
            "privacy": p.privacy,
            "description": p.description,
            "tags": p.tags,
            **self._own_fields(p),
        }

    async def _create(self, client: ScalewayClient, params: AppParams) -> Any:
        create = getattr(api_of(client, self.kind), f"create_{self.kind.app}")
        return await client.call(
            create, namespace_id=params.namespace_id, name=params.name, **self._fields(params)
        )

    async def _update(self, client: ScalewayClient, params: AppParams, app_id: str) -> Any:
        update = getattr(api_of(client, self.kind), f"update_{self.kind.app}")
        return await client.read(update, **{f"{self.kind.app}_id": app_id}, **self._fields(params))

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: AppParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        kind, cp = self.kind, ctx.checkpoint
        if "app_id" not in cp:
            found = await find_app(client, kind, params.region, params.namespace_id, params.name)
            created = bool(cp.get("create_sent"))
            if found is None:
                await ctx.save(create_sent=True)
                found, created = await self._create(client, params), True
            else:
                await self._update(client, params, found.id)
            progress = Progress("created", f"{kind.app} {params.name}")
            await ctx.save(progress, app_id=found.id, created=created)
        app_id = cp["app_id"]
        if not cp.get("deploy_sent"):
            await self._before_deploy(ctx, client, app_id)
            deploy = getattr(api_of(client, kind), f"deploy_{kind.app}")
            try:
                await client.read(deploy, region=params.region, **{f"{kind.app}_id": app_id})
            except Conflict as exc:
                if exc.current_state != "pending":  # a deploy already under way is ours
                    raise
            await ctx.save(
                Progress("deploying", f"{kind.app} {params.name} deploys"), deploy_sent=True
            )
        app = await get_app(client, kind, params.region, app_id)
        status = status_text(app.status)
        if status == "ready":
            return Done({**app_summary(app), "created": bool(cp.get("created"))})
        if status in APP_WAIT:
            return poll_wait(
                ctx, client, "serverless", "deploying", f"{kind.app} {app.name} is {status}"
            )
        raise PermanentError(
            f"{kind.app} {app.name} ({app.id}) is {status!r} after its deploy: "
            f"{app.error_message or 'no message'}; fix it and deploy again, or delete it"
        )

    async def on_cancel(self, ctx: StepContext) -> JSON | None:
        app_id = ctx.checkpoint.get("app_id")
        return {
            "app": {"id": app_id, "kind": self.kind.app} if app_id else None,
            "note": "delete_serverless_app removes it" if app_id else f"no {self.kind.app} exists",
        }


class DeployContainer(DeployApp):
    """Deploy a container from a registry image."""

    name = "serverless.deploy_container"
    params_model = ContainerParams
    identity = None  # every parameter: a deploy with another image or setting is another call
    kind = Kind.CONTAINERS

    def _own_fields(self, params: Any) -> dict[str, Any]:
        return {"registry_image": params.image, "port": params.port}


class DeployFunction(DeployApp):
    """Deploy a function: its code (a zip file) uploaded first when given."""

    name = "serverless.deploy_function"
    params_model = FunctionParams
    identity = None  # every parameter: a deploy with another code or setting is another call
    kind = Kind.FUNCTIONS

    def _own_fields(self, params: Any) -> dict[str, Any]:
        return {"runtime": params.runtime, "handler": params.handler}

    async def _before_deploy(self, ctx: StepContext, client: ScalewayClient, app_id: str) -> None:
        params: FunctionParams = ctx.params  # type: ignore[assignment]
        if params.zip_path is None or ctx.checkpoint.get("code_uploaded"):
            return
        try:
            code = await anyio.Path(params.zip_path).read_bytes()
        except OSError as exc:
            raise PermanentError(
                f"cannot read the code archive {params.zip_path}: {exc.strerror}"
            ) from None
        await upload_function_code(client, params.region, app_id, code)
        await ctx.save(Progress("uploaded", f"{len(code)} bytes of code"), code_uploaded=True)


OPERATIONS: list[Operation] = [DeployContainer(), DeployFunction()]
