"""The Serverless Containers and Functions APIs over the adapter: namespaces, containers or
functions, crons and deploys of each kind, look-ups by id and by name, a function's code
upload, summaries. The only module that names their SDK methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest, Transient
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import get_or_explain

APP_WAIT = frozenset({"pending", "creating", "upgrading"})
NAMESPACE_WAIT = frozenset({"pending", "creating", "upgrading", "locking"})


class Kind(StrEnum):
    """Serverless Containers or Functions."""

    CONTAINERS = "containers"
    FUNCTIONS = "functions"

    @property
    def app(self) -> str:
        """``container`` or ``function``."""
        return self.value[:-1]


def api_of(client: ScalewayClient, kind: Kind) -> Any:
    """The SDK API of ``kind``."""
    return client.containers if kind is Kind.CONTAINERS else client.functions


@dataclass(frozen=True, slots=True)
class AppSettings:
    """What a deploy sets on a container (image, port) or a function (runtime, handler)."""

    region: str
    env: dict[str, str] = field(default_factory=dict)
    min_scale: int = 0
    max_scale: int = 5
    memory_mb: int = 256
    privacy: str = "public"
    description: str = ""
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    port: int | None = None
    runtime: str | None = None
    handler: str | None = None

    def sdk_arguments(self, kind: Kind) -> dict[str, Any]:
        """The SDK's create/update arguments for ``kind``."""
        own: dict[str, Any] = (
            {"registry_image": self.image, "port": self.port}
            if kind is Kind.CONTAINERS
            else {"runtime": self.runtime, "handler": self.handler}
        )
        return {
            "region": self.region,
            "environment_variables": self.env,
            "min_scale": self.min_scale,
            "max_scale": self.max_scale,
            "memory_limit": self.memory_mb,
            "privacy": self.privacy,
            "description": self.description,
            "tags": self.tags,
            **own,
        }


async def list_namespaces(client: ScalewayClient, kind: Kind, region: str) -> list[Any]:
    """Every namespace of ``kind`` in a region."""
    namespaces: list[Any] = await client.call_idempotent(
        api_of(client, kind).list_namespaces_all, region=region
    )
    return namespaces


async def create_namespace(
    client: ScalewayClient,
    kind: Kind,
    region: str,
    *,
    name: str,
    description: str,
    tags: list[str],
    project_id: str | None,
) -> Any:
    """A new namespace of ``kind`` (one call, no retries)."""
    return await client.call(
        api_of(client, kind).create_namespace,
        region=region,
        name=name,
        description=description,
        tags=tags,
        project_id=project_id or client.project_id,
    )


async def delete_namespace(client: ScalewayClient, kind: Kind, region: str, ns_id: str) -> None:
    """Ask for a namespace's deletion; NotFound when it is gone."""
    await client.call_idempotent(
        api_of(client, kind).delete_namespace, region=region, namespace_id=ns_id
    )


async def create_app(
    client: ScalewayClient, kind: Kind, namespace_id: str, name: str, settings: AppSettings
) -> Any:
    """A new container or function (one call, no retries)."""
    create = getattr(api_of(client, kind), f"create_{kind.app}")
    return await client.call(
        create, namespace_id=namespace_id, name=name, **settings.sdk_arguments(kind)
    )


async def update_app(client: ScalewayClient, kind: Kind, app_id: str, settings: AppSettings) -> Any:
    """Set a container's or function's settings (a later deploy applies them)."""
    update = getattr(api_of(client, kind), f"update_{kind.app}")
    return await client.call_idempotent(
        update, **{f"{kind.app}_id": app_id}, **settings.sdk_arguments(kind)
    )


async def deploy_app(client: ScalewayClient, kind: Kind, region: str, app_id: str) -> None:
    """Ask for a deploy (Conflict with ``current_state`` pending while one is under way)."""
    deploy = getattr(api_of(client, kind), f"deploy_{kind.app}")
    await client.call_idempotent(deploy, region=region, **{f"{kind.app}_id": app_id})


async def delete_app(client: ScalewayClient, kind: Kind, region: str, app_id: str) -> None:
    """Ask for a container's or function's deletion; NotFound when it is gone."""
    delete = getattr(api_of(client, kind), f"delete_{kind.app}")
    await client.call_idempotent(delete, region=region, **{f"{kind.app}_id": app_id})


async def crons_of(client: ScalewayClient, kind: Kind, region: str, app_id: str) -> list[Any]:
    """Every cron trigger of a container or function."""
    crons: list[Any] = await client.call_idempotent(
        api_of(client, kind).list_crons_all, region=region, **{f"{kind.app}_id": app_id}
    )
    return crons


async def create_cron(
    client: ScalewayClient,
    kind: Kind,
    region: str,
    app_id: str,
    *,
    name: str,
    schedule: str,
    args: dict[str, Any],
) -> Any:
    """A new cron trigger of a container or function (one call, no retries)."""
    return await client.call(
        api_of(client, kind).create_cron,
        region=region,
        schedule=schedule,
        args=args,
        name=name,
        **{f"{kind.app}_id": app_id},
    )


async def function_runtimes(client: ScalewayClient, region: str) -> list[str]:
    """The function runtimes the region offers, e.g. ``python311``."""
    response = await client.call_idempotent(client.functions.list_function_runtimes, region=region)
    return [str(r.name) for r in response.runtimes]


async def get_namespace(client: ScalewayClient, kind: Kind, region: str, ns_id: str) -> Any:
    """The namespace, or NotFound saying where to look."""
    return await get_or_explain(
        client,
        api_of(client, kind).get_namespace,
        f"{kind} namespace {ns_id} was not found in {region}; list_serverless_namespaces "
        "shows them",
        resource="namespace",
        resource_id=ns_id,
        region=region,
        namespace_id=ns_id,
    )


async def find_namespace(client: ScalewayClient, kind: Kind, region: str, name: str) -> Any | None:
    """The namespace called ``name`` (unique in a region), if any."""
    response = await client.call_idempotent(
        api_of(client, kind).list_namespaces, region=region, name=name, page_size=100
    )
    return next((n for n in response.namespaces if n.name == name), None)


async def get_app(client: ScalewayClient, kind: Kind, region: str, app_id: str) -> Any:
    """The container or function, or NotFound saying where to look."""
    return await get_or_explain(
        client,
        getattr(api_of(client, kind), f"get_{kind.app}"),
        f"{kind.app} {app_id} was not found in {region}; list_{kind} shows them",
        resource=kind.app,
        resource_id=app_id,
        region=region,
        **{f"{kind.app}_id": app_id},
    )


async def apps_of(client: ScalewayClient, kind: Kind, region: str, ns_id: str | None) -> list[Any]:
    """The containers or functions of a region, or of one namespace."""
    lister = getattr(api_of(client, kind), f"list_{kind.value}_all")
    apps: list[Any] = await client.call_idempotent(lister, region=region, namespace_id=ns_id)
    return apps


async def find_app(
    client: ScalewayClient, kind: Kind, region: str, ns_id: str, name: str
) -> Any | None:
    """The namespace's container or function called ``name``, if any."""
    return next((a for a in await apps_of(client, kind, region, ns_id) if a.name == name), None)


async def upload_function_code(
    client: ScalewayClient, region: str, function_id: str, code: bytes
) -> None:
    """Send a function's zip archive to the upload URL the API hands out."""
    import requests

    target = await client.call_idempotent(
        client.functions.get_function_upload_url,
        region=region,
        function_id=function_id,
        content_length=len(code),
    )
    headers = {k: v[0] for k, v in (target.headers or {}).items() if v}
    timeout = (client.config.connect_timeout_s, client.config.read_timeout_s)
    response = await client.call(
        partial(requests.put, target.url, data=code, headers=headers, timeout=timeout)
    )
    if response.status_code >= 500:
        raise Transient(f"the code upload failed ({response.status_code})", status=500)
    if response.status_code >= 400:
        raise InvalidRequest(f"the code upload was refused ({response.status_code})")


def namespace_summary(ns: Any) -> JSON:
    """One serverless namespace."""
    return {
        "id": ns.id,
        "name": ns.name,
        "status": status_text(ns.status),
        "registry_endpoint": ns.registry_endpoint,
        "region": str(ns.region),
        "description": ns.description,
    }


def app_summary(app: Any) -> JSON:
    """One container or function: status, where it answers, its image or runtime."""
    out: JSON = {
        "id": app.id,
        "name": app.name,
        "namespace_id": app.namespace_id,
        "status": status_text(app.status),
        "url": f"https://{app.domain_name}" if app.domain_name else None,
        "min_scale": app.min_scale,
        "max_scale": app.max_scale,
        "memory_mb": app.memory_limit,
        "privacy": status_text(app.privacy),
    }
    if hasattr(app, "registry_image"):
        out.update(image=app.registry_image, port=app.port)
    else:
        out.update(runtime=status_text(app.runtime), handler=app.handler)
    if app.error_message:
        out["error_message"] = app.error_message
    return out


def cron_summary(cron: Any) -> JSON:
    """One cron trigger."""
    target = getattr(cron, "container_id", None) or getattr(cron, "function_id", None)
    return {
        "id": cron.id,
        "name": cron.name,
        "schedule": cron.schedule,
        "target_id": target,
        "status": status_text(cron.status),
    }
