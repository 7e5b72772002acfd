"""A short-TTL cache for list reads, invalidated by kind when a job touches that kind."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any

Key = tuple[str, Hashable]


class ReadCache:
    """Values by (kind, key), each kept ``ttl_s`` seconds or until its kind is invalidated."""

    def __init__(self, ttl_s: float = 10.0, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._now = now
        self._values: dict[Key, tuple[float, Any]] = {}

    async def get_or_load(
        self, kind: str, key: Hashable, load: Callable[[], Awaitable[Any]]
    ) -> Any:
        """The cached value, or ``await load()`` stored for next time."""
        entry = self._values.get((kind, key))
        if entry is not None and entry[0] > self._now():
            return entry[1]
        value = await load()
        if self.ttl_s > 0:
            self._values[(kind, key)] = (self._now() + self.ttl_s, value)
        return value

    def invalidate(self, kinds: Iterable[str]) -> None:
        """Forget every value of these kinds."""
        drop = set(kinds)
        for cached in [k for k in self._values if k[0] in drop]:
            del self._values[cached]
