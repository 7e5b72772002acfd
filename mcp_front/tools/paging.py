"""Pages of summarised list results, the same shape for every list tool."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from mcp.types import CallToolResult
from pydantic import Field

from jobs.models import JSON
from mcp_front import envelope
from mcp_front.runtime import Runtime
from mcp_front.tools.network import RegionInput


class PageInput(RegionInput):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=100, description="Items per page.")


def page_of(key: str, items: list[Any], total: int, page: int, per_page: int) -> JSON:
    """``{key: items, count, total_count, page, next_page}``."""
    return {
        key: items,
        "count": len(items),
        "total_count": total,
        "page": page,
        "next_page": page + 1 if page * per_page < total else None,
    }


def slice_page(key: str, items: list[Any], page: int, per_page: int) -> JSON:
    """One page of a list filtered here rather than by the API."""
    start = (page - 1) * per_page
    return page_of(key, items[start : start + per_page], len(items), page, per_page)


def response_page(key: str, response: Any, summarise: Callable[[Any], JSON], args: Any) -> JSON:
    """A page of an API list response (``response.<key>``, ``total_count``) summarised."""
    items = [summarise(item) for item in getattr(response, key)]
    return page_of(key, items, int(response.total_count or 0), args.page, args.per_page)


async def cached_page(
    runtime: Runtime, kind: str, key: Hashable, load: Callable[[], Awaitable[JSON]]
) -> CallToolResult:
    """The envelope of a page read through the short-TTL cache of ``kind``."""
    page = await runtime.services.read_cache.get_or_load(kind, key, load)
    return envelope.success(page, source=runtime.source)
