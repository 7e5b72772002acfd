"""A short-TTL cache for list reads, invalidated by kind when a job touches that kind."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from enum import StrEnum
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class CacheKind(StrEnum):
    """What a cached read lists; a job that touches a kind drops its cached reads."""

    SERVERS = "servers"
    SERVER_TYPES = "server_types"
    IMAGES = "images"
    PRIVATE_NETWORKS = "private_networks"
    CLUSTERS = "clusters"
    K8S_VERSIONS = "k8s_versions"
    DATABASES = "databases"
    DATABASE_ENGINES = "database_engines"
    DATABASE_NODE_TYPES = "database_node_types"
    REGISTRY = "registry"
    BUCKETS = "buckets"
    OBJECTS = "objects"
    LOAD_BALANCERS = "load_balancers"
    DNS_ZONES = "dns_zones"
    DATABASE_BACKUPS = "database_backups"
    DATABASE_USERS = "database_users"
    DATABASE_NAMES = "database_names"
    SERVERLESS = "serverless"
    PRICES = "prices"


Key = tuple[str, Hashable]


class ListCache(Protocol):
    """What adapter helpers need of a cache: a value by (kind, key), loaded when missing."""

    async def get_or_load(
        self, kind: CacheKind, key: Hashable, load: Callable[[], Awaitable[T]]
    ) -> T:
        """The cached value, or ``await load()`` stored for next time."""
        ...


class ReadCache:
    """Values by (kind, key), each kept ``ttl_s`` seconds or until its kind is invalidated."""

    def __init__(self, ttl_s: float = 10.0, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._now = now
        self._values: dict[Key, tuple[float, Any]] = {}

    async def get_or_load(
        self, kind: CacheKind, key: Hashable, load: Callable[[], Awaitable[T]]
    ) -> T:
        """The cached value, or ``await load()`` stored for next time."""
        entry = self._values.get((kind, key))
        if entry is not None and entry[0] > self._now():
            value: T = entry[1]
            return value
        value = await load()
        if self.ttl_s > 0:
            self._values[(kind, key)] = (self._now() + self.ttl_s, value)
        return value

    def invalidate(self, kinds: Iterable[CacheKind]) -> None:
        """Forget every value of these kinds."""
        drop = set(kinds)
        for cached in [k for k in self._values if k[0] in drop]:
            del self._values[cached]
