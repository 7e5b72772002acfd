"""The Object Storage adapter: one aioboto3 session, one pooled client per region, retries.

aioboto3 and botocore are imported on first use, not at import time, so that the MCP server
answers its handshake before paying for them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from workers.retry import RetryPolicy, call_with_retries
from workers.storage.errors import translated
from workers.storage.names import MIB

logger = logging.getLogger(__name__)

T = TypeVar("T")
S3Client = Any  # an aiobotocore S3 client; typed loosely to keep botocore out of imports


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """How to reach Object Storage and how to move bytes."""

    access_key: str | None
    secret_key: str | None = field(default=None, repr=False)
    region: str = "fr-par"
    endpoint_url: str | None = None
    part_size: int = 8 * MIB
    multipart_threshold: int = 16 * MIB
    concurrency: int = 4
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    step_budget_s: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def endpoint_for(self, region: str) -> str:
        """The S3 endpoint of ``region`` (one URL for all regions when overridden)."""
        return self.endpoint_url or f"https://s3.{region}.scw.cloud"


class ObjectStorage:
    """Shared S3 access: clients per region over one session, calls with retries."""

    def __init__(self, settings: StorageSettings) -> None:
        self.settings = settings
        self._session: Any = None
        self._clients: dict[str, S3Client] = {}
        self._stack = AsyncExitStack()
        self._lock = anyio.Lock()

    async def client(self, region: str | None = None) -> S3Client:
        """The pooled client of ``region`` (the default region when None)."""
        region = region or self.settings.region
        existing = self._clients.get(region)
        if existing is not None:
            return existing
        async with self._lock:
            if region not in self._clients:
                self._clients[region] = await self._open_client(region)
            return self._clients[region]

    async def _open_client(self, region: str) -> S3Client:
        import aioboto3
        from aiobotocore.config import AioConfig

        if self._session is None:
            self._session = aioboto3.Session(
                aws_access_key_id=self.settings.access_key,
                aws_secret_access_key=self.settings.secret_key,
            )
        config = AioConfig(
            region_name=region,
            signature_version="s3v4",
            # moto and custom endpoints need path-style; Scaleway serves both.
            s3={"addressing_style": "path" if self.settings.endpoint_url else "auto"},
            # One retry layer only: ours (call_with_retries), which sees mapped errors.
            retries={"total_max_attempts": 1},
            max_pool_connections=max(10, self.settings.concurrency * 2),
            connect_timeout=self.settings.connect_timeout_s,
            read_timeout=self.settings.read_timeout_s,
            # S3-compatible services differ on the newer default CRC checksums; ask for
            # them only where the API requires them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        logger.debug("opening Object Storage client for %s", region)
        return await self._stack.enter_async_context(
            self._session.client(
                "s3",
                region_name=region,
                endpoint_url=self.settings.endpoint_for(region),
                config=config,
            )
        )

    async def call(
        self,
        fn: Callable[[S3Client], Awaitable[T]],
        *,
        region: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        retry: bool = True,
    ) -> T:
        """``await fn(client)`` with errors translated and transient ones retried."""
        client = await self.client(region)

        async def attempt() -> T:
            with translated(bucket, key):
                return await fn(client)

        if not retry:
            return await attempt()
        return await call_with_retries(attempt, self.settings.retry)

    async def presign_get(
        self, bucket: str, key: str, *, region: str | None, expires_s: int
    ) -> str:
        """A presigned GET URL of the object, valid ``expires_s`` seconds."""
        client = await self.client(region)
        with translated(bucket, key):
            url: str = await client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s
            )
        return url

    async def aclose(self) -> None:
        """Close every client (their connection pools)."""
        await self._stack.aclose()
        self._clients.clear()
