"""The read cache: list reads kept for a short TTL, dropped when a job touches their kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.cache import ReadCache
from workers.services import Services

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Loader:
    """Counts loads and returns a new value each time."""

    def __init__(self, name: str = "servers") -> None:
        self.name = name
        self.loads = 0

    async def __call__(self) -> list[str]:
        self.loads += 1
        return [f"{self.name}-v{self.loads}"]


async def test_value_is_served_from_the_cache_within_its_ttl() -> None:
    clock, load = Clock(), Loader()
    cache = ReadCache(ttl_s=10, now=clock)

    first = await cache.get_or_load("server", "fr-par-1", load)
    clock.t += 9.9
    second = await cache.get_or_load("server", "fr-par-1", load)

    assert first == second == ["servers-v1"]
    assert load.loads == 1


async def test_value_is_loaded_again_once_its_ttl_passed() -> None:
    clock, load = Clock(), Loader()
    cache = ReadCache(ttl_s=10, now=clock)

    await cache.get_or_load("server", "fr-par-1", load)
    clock.t += 10
    again = await cache.get_or_load("server", "fr-par-1", load)

    assert again == ["servers-v2"]
    assert load.loads == 2


async def test_keys_and_kinds_are_cached_separately() -> None:
    cache = ReadCache(ttl_s=10, now=Clock())
    servers, ips = Loader("servers"), Loader("ips")

    assert await cache.get_or_load("server", "fr-par-1", servers) == ["servers-v1"]
    assert await cache.get_or_load("server", "nl-ams-1", servers) == ["servers-v2"]
    assert await cache.get_or_load("ip", "fr-par-1", ips) == ["ips-v1"]
    assert await cache.get_or_load("server", "fr-par-1", servers) == ["servers-v1"]


async def test_invalidate_drops_every_value_of_the_kinds_and_only_those() -> None:
    cache = ReadCache(ttl_s=60, now=Clock())
    servers, volumes = Loader("servers"), Loader("volumes")
    await cache.get_or_load("server", "fr-par-1", servers)
    await cache.get_or_load("server", "nl-ams-1", servers)
    await cache.get_or_load("volume", "fr-par-1", volumes)

    cache.invalidate(["server", "cluster"])

    assert await cache.get_or_load("server", "fr-par-1", servers) == ["servers-v3"]
    assert await cache.get_or_load("server", "nl-ams-1", servers) == ["servers-v4"]
    assert await cache.get_or_load("volume", "fr-par-1", volumes) == ["volumes-v1"]


async def test_a_zero_ttl_caches_nothing() -> None:
    cache, load = ReadCache(ttl_s=0, now=Clock()), Loader()
    await cache.get_or_load("server", "k", load)
    await cache.get_or_load("server", "k", load)
    assert load.loads == 2


async def test_a_failed_load_is_not_cached() -> None:
    cache = ReadCache(ttl_s=60, now=Clock())
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("reset")
        return "ok"

    with pytest.raises(ConnectionError):
        await cache.get_or_load("server", "k", flaky)
    assert await cache.get_or_load("server", "k", flaky) == "ok"


async def test_services_touched_invalidates_their_read_cache(tmp_path: Path) -> None:
    services = Services(secrets_dir=tmp_path, read_cache=ReadCache(ttl_s=60, now=Clock()))
    load = Loader()
    await services.read_cache.get_or_load("server", "fr-par-1", load)

    services.touched(("server",))

    assert await services.read_cache.get_or_load("server", "fr-par-1", load) == ["servers-v2"]
