"""What operations and read tools reach: the cloud adapters, the read cache, poll schedules.

Built once at start-up by ``mcp_front.runtime.build_services`` from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workers.cache import CacheKind, ReadCache
from workers.errors import PermanentError
from workers.polling import PollSettings

if TYPE_CHECKING:
    from workers.scaleway.client import ScalewayClient
    from workers.storage.client import ObjectStorage


@dataclass(slots=True)
class Services:
    """Shared, long-lived dependencies of operations."""

    secrets_dir: Path | None = None
    read_cache: ReadCache = field(default_factory=ReadCache)
    # Catalogue prices change rarely: kept a day, never invalidated by jobs.
    price_cache: ReadCache = field(default_factory=lambda: ReadCache(ttl_s=86_400.0))
    sandbox: bool = False
    storage: ObjectStorage | None = None
    scaleway: ScalewayClient | None = None
    polling: PollSettings = field(default_factory=PollSettings)

    def scaleway_client(self) -> ScalewayClient:
        """The Scaleway adapter; PermanentError when this server has none."""
        if self.scaleway is None:
            raise PermanentError("the Scaleway adapter is not configured in this server")
        return self.scaleway

    def object_storage(self) -> ObjectStorage:
        """The Object Storage adapter; PermanentError when this server has none."""
        if self.storage is None:
            raise PermanentError("Object Storage is not configured on this server")
        return self.storage

    def touched(self, kinds: tuple[CacheKind, ...]) -> None:
        """A job changed resources of these kinds: drop their cached lists."""
        self.read_cache.invalidate(kinds)

    async def aclose(self) -> None:
        """Release pooled connections of the adapters."""
        if self.storage is not None:
            await self.storage.aclose()
        if self.scaleway is not None:
            await self.scaleway.aclose()
