"""Pages of summarised list results, the same shape for every list tool, read through a cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mcp.types import CallToolResult

from jobs.models import JSON
from mcp_front import envelope
from mcp_front.runtime import Runtime
from mcp_front.toolkit import scaleway
from workers.cache import CacheKind

if TYPE_CHECKING:
    pass


class Paged(Protocol):
    """Arguments that ask for one page."""

    page: int
    per_page: int


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


def response_page(key: str, response: Any, summarise: Callable[[Any], JSON], args: Paged) -> JSON:
    """A page of an API list response (``response.<key>``, ``total_count``) summarised."""
    items = [summarise(item) for item in getattr(response, key)]
    return page_of(key, items, int(response.total_count or 0), args.page, args.per_page)


async def cached_page(
    runtime: Runtime, kind: CacheKind, key: Hashable, load: Callable[[], Awaitable[JSON]]
) -> CallToolResult:
    """The envelope of a page read through the short-TTL cache of ``kind``."""
    page = await runtime.services.read_cache.get_or_load(kind, key, load)
    return envelope.success(page, source=runtime.source)


# An adapter list function: ``fetch(client, <zone or region>=..., page=, page_size=, **filters)``.
PageFetch = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Listing:
    """An adapter list function served as cached, summarised pages.

    ``kind`` is the cache kind (jobs that touch it invalidate it), ``items`` the response
    field and page key, ``fetch`` the adapter function (e.g. ``servers.list_servers``).
    """

    kind: CacheKind
    items: str
    fetch: PageFetch
    summarise: Callable[[Any], JSON]

    async def page(self, runtime: Runtime, args: Paged, **query: Any) -> CallToolResult:
        """The envelope of the page ``args`` asks for, the call filtered by ``query``."""
        client = scaleway(runtime)

        async def load() -> JSON:
            response = await self.fetch(client, **query, page=args.page, page_size=args.per_page)
            return response_page(self.items, response, self.summarise, args)

        key = (self.items, *(hashable(v) for v in query.values()), args.page, args.per_page)
        return await cached_page(runtime, self.kind, key, load)


def hashable(value: Any) -> Hashable:
    """A list query value as a tuple, so that it can key the cache."""
    return tuple(value) if isinstance(value, list) else value
