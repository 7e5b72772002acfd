"""Whether resources are there: read by id (a NotFound says where to look), found by the tag
a job put on them, still existing, deleted unless already gone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import NotFound


async def get_or_explain(
    client: ScalewayClient,
    fn: Callable[..., Any],
    message: str,
    *,
    resource: str,
    resource_id: str,
    **kwargs: Any,
) -> Any:
    """``fn(**kwargs)`` read with retries, or NotFound with ``message`` (what, where to look)."""
    try:
        return await client.call_idempotent(fn, **kwargs)
    except NotFound as exc:
        raise NotFound(message, status=404, resource=resource, resource_id=resource_id) from exc


async def exists(client: ScalewayClient, fn: Callable[..., Any], **kwargs: Any) -> bool:
    """Whether ``fn(**kwargs)`` finds the resource (a NotFound says it is gone)."""
    try:
        await client.call_idempotent(fn, **kwargs)
    except NotFound:
        return False
    return True


def job_tag(job_id: str) -> str:
    """The tag that marks a resource as created by a job."""
    return f"job:{job_id}"


def tagged(items: Iterable[Any], tag: str) -> Any | None:
    """The first item carrying ``tag`` (a job's mark), if any."""
    return next((item for item in items if tag in (item.tags or [])), None)


async def delete_if_present(client: ScalewayClient, fn: Callable[..., Any], **kwargs: Any) -> None:
    """Delete with ``fn(**kwargs)``; a resource already gone is fine."""
    try:
        await client.call_idempotent(fn, **kwargs)
    except NotFound:
        pass
