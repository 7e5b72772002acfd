"""Errors classified by kind: only the network, 429, 5xx and timeouts are worth another try.

A library's own check of a request (botocore's ParamValidationError, the Scaleway SDK's
ValueError) and a request that cannot be built fail at once, with words naming the cause.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    ZONE,
    fast_client,
    sandbox_fixture,
)
from workers.errors import PermanentError, TransientError, is_transient
from workers.retry import RetryPolicy
from workers.scaleway import errors
from workers.storage.client import ObjectStorage, StorageSettings
from workers.storage.errors import StorageRequestError, StorageUnavailable

pytestmark = pytest.mark.anyio

FAST_RETRY = RetryPolicy(attempts=3, initial_s=0.001, max_s=0.002, jitter_s=0.0)


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def object_storage(endpoint_url: str) -> ObjectStorage:
    """The adapter over ``endpoint_url`` with millisecond retries."""
    return ObjectStorage(
        StorageSettings(
            access_key="SCWXXXXXXXXXXXXXXXXX",
            secret_key="00000000-0000-0000-0000-000000000000",
            endpoint_url=endpoint_url,
            retry=FAST_RETRY,
        )
    )


@pytest.fixture(scope="module")
def s3_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
async def storage(s3_sandbox: SandboxServer) -> AsyncIterator[ObjectStorage]:
    adapter = object_storage(s3_sandbox.s3_url)
    config = {"LocationConstraint": "fr-par"}
    await adapter.call(
        lambda c: c.create_bucket(Bucket="kinds", CreateBucketConfiguration=config), bucket="kinds"
    )
    try:
        yield adapter
    finally:
        await adapter.aclose()


class Calls:
    """Counts how often a wrapped S3 call was tried."""

    def __init__(self) -> None:
        self.count = 0

    def counted(self, fn: Any) -> Any:
        async def call(client: Any) -> Any:
            self.count += 1
            return await fn(client)

        return call


async def test_non_ascii_metadata_fails_at_once_naming_the_field(
    storage: ObjectStorage,
) -> None:
    calls = Calls()
    put = calls.counted(
        lambda c: c.put_object(Bucket="kinds", Key="a.txt", Body=b"hi", Metadata={"author": "Zoë"})
    )
    with pytest.raises(StorageRequestError) as refused:
        await storage.call(put, bucket="kinds", key="a.txt")
    assert isinstance(refused.value, PermanentError)
    assert calls.count == 1  # not retried
    message = str(refused.value)
    assert "author" in message and "ASCII" in message
    assert "could not reach" not in message


async def test_unreachable_object_storage_is_transient_and_retried() -> None:
    storage = object_storage(closed_port_url())
    calls = Calls()
    try:
        with pytest.raises(StorageUnavailable) as unreachable:
            await storage.call(calls.counted(lambda c: c.list_buckets()))
    finally:
        await storage.aclose()
    assert isinstance(unreachable.value, TransientError)
    assert calls.count == FAST_RETRY.attempts


async def test_sdk_refusing_an_argument_locally_is_permanent(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.api_url)
    try:
        with pytest.raises(errors.LocalError) as refused:
            await client.call_idempotent(client.instance.get_server, zone=ZONE, server_id="")
    finally:
        await client.aclose()
    assert isinstance(refused.value, PermanentError)
    assert "server_id" in str(refused.value)


async def test_unreachable_api_is_transient_and_says_where_and_why() -> None:
    url = closed_port_url()
    client = fast_client(url)
    try:
        with pytest.raises(errors.Transient) as unreachable:
            await client.call(client.instance.list_servers, zone=ZONE)
    finally:
        await client.aclose()
    assert is_transient(unreachable.value)
    # A mistyped SCW_API_URL must show in the message: the endpoint (never a path) and why.
    assert str(unreachable.value) == (
        f"network error talking to Scaleway at {url.rstrip('/')} "
        "(ConnectionError: connection refused)"
    )


@pytest.mark.parametrize(
    ("status", "transient"),
    [(408, True), (429, True), (500, True), (503, True), (400, False), (404, False), (410, False)],
)
def test_only_timeouts_429_and_5xx_answers_are_transient(status: int, transient: bool) -> None:
    assert is_transient(errors.from_http(status, {}, {"message": "m"})) is transient


def unexpected() -> Iterator[tuple[BaseException, bool]]:
    yield ConnectionResetError("reset"), True
    yield TimeoutError(), True
    yield KeyError("bug"), False
    yield ValueError("a library's local check"), False


@pytest.mark.parametrize(("exc", "transient"), list(unexpected()))
def test_unmapped_exceptions_are_transient_only_when_they_are_the_network(
    exc: BaseException, transient: bool
) -> None:
    assert is_transient(exc) is transient
