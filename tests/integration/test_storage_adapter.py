"""The Object Storage adapter against the sandbox S3: error mapping, retries, sliced transfers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench.common import sha256_of, write_random
from jobs.models import JSON, Progress
from sandbox.server import SandboxServer
from workers.errors import PermanentError, TransientError
from workers.retry import RetryPolicy
from workers.storage import buckets
from workers.storage.client import ObjectStorage, StorageSettings
from workers.storage.download import DownloadRequest, download_file
from workers.storage.errors import (
    AccessDenied,
    BucketNameTaken,
    InvalidBucketName,
    NoSuchBucket,
    NoSuchKey,
    StorageThrottled,
    StorageUnavailable,
    map_client_error,
)
from workers.storage.names import MAX_PARTS, MIB, part_count, part_size_for
from workers.storage.upload import UploadRequest, upload_file

pytestmark = pytest.mark.anyio

FAST_RETRY = RetryPolicy(attempts=3, initial_s=0.001, max_s=0.002, jitter_s=0.0)


class Journal:
    """An in-memory checkpoint, as a StepContext keeps it between steps."""

    def __init__(self) -> None:
        self.checkpoint: JSON = {}
        self.progress: list[Progress] = []

    async def save(self, progress: Progress | None = None, **updates: object) -> None:
        self.checkpoint.update(updates)
        if progress is not None:
            self.progress.append(progress)

    async def report(self, progress: Progress) -> None:
        self.progress.append(progress)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
async def storage(sandbox: SandboxServer) -> AsyncIterator[ObjectStorage]:
    assert sandbox.s3 is not None
    sandbox.s3.reset()
    adapter = ObjectStorage(
        StorageSettings(
            access_key="SCWXXXXXXXXXXXXXXXXX",
            secret_key="00000000-0000-0000-0000-000000000000",
            endpoint_url=sandbox.s3_url,
            part_size=5 * MIB,
            multipart_threshold=5 * MIB,
            concurrency=2,
            retry=FAST_RETRY,
        )
    )
    try:
        yield adapter
    finally:
        await adapter.aclose()


def client_error(code: str, status: int, headers: dict[str, str] | None = None) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}},
    }
    return ClientError(response, "AnyOperation")


@pytest.mark.parametrize(
    ("code", "status", "kind", "words"),
    [
        ("BucketAlreadyExists", 409, BucketNameTaken, "another account"),
        ("AccessDenied", 403, AccessDenied, "access denied"),
        ("InternalError", 500, StorageUnavailable, "transiently"),
        ("WhateverNew", 502, StorageUnavailable, "transiently"),
        ("SlowDown", 503, StorageThrottled, "throttling"),
        ("404", 404, NoSuchKey, "does not exist"),
    ],
)
def test_client_errors_map_by_code_to_clear_messages(
    code: str, status: int, kind: type[Exception], words: str
) -> None:
    error = map_client_error(client_error(code, status), bucket="photos", key="a.jpg")
    assert isinstance(error, kind) and words in str(error)
    assert "photos" in str(error)


def test_throttling_carries_retry_after_and_is_transient() -> None:
    error = map_client_error(client_error("SlowDown", 503, {"retry-after": "3"}), bucket="b")
    assert isinstance(error, TransientError) and error.retry_after_s == 3.0  # type: ignore[attr-defined]


def test_part_size_grows_so_any_file_fits_in_the_part_limit() -> None:
    assert part_size_for(200 * MIB, 8 * MIB) == 8 * MIB
    huge = 20 * 1024**4  # 20 TiB
    size = part_size_for(huge, 8 * MIB)
    assert part_count(huge, size) <= MAX_PARTS and size % MIB == 0


async def test_real_service_errors_are_mapped(storage: ObjectStorage) -> None:
    with pytest.raises(NoSuchBucket, match="'absent-bucket' does not exist"):
        await buckets.list_objects(storage, "absent-bucket", "fr-par")
    assert await buckets.create_bucket(storage, "present", "fr-par") is True
    assert await buckets.create_bucket(storage, "present", "fr-par") is False  # ours already
    with pytest.raises(NoSuchKey, match="s3://present/nothing does not exist"):
        await buckets.head_object(storage, "present", "nothing", "fr-par")
    with pytest.raises(InvalidBucketName):
        await buckets.create_bucket(storage, "ab", "fr-par")


async def test_transient_failures_are_retried_then_succeed(storage: ObjectStorage) -> None:
    calls = 0

    async def flaky(client: Any) -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise client_error("ServiceUnavailable", 503)
        return "ok"

    assert await storage.call(flaky) == "ok" and calls == 3


async def test_permanent_failures_are_not_retried(storage: ObjectStorage) -> None:
    calls = 0

    async def denied(client: Any) -> None:
        nonlocal calls
        calls += 1
        raise client_error("AccessDenied", 403)

    with pytest.raises(PermanentError):
        await storage.call(denied, bucket="b")
    assert calls == 1


async def test_an_unreachable_endpoint_is_a_transient_error() -> None:
    adapter = ObjectStorage(
        StorageSettings(
            access_key="SCWXXXXXXXXXXXXXXXXX",
            secret_key="00000000-0000-0000-0000-000000000000",
            endpoint_url="http://127.0.0.1:9",
            retry=RetryPolicy(attempts=1),
        )
    )
    try:
        with pytest.raises(StorageUnavailable, match="could not reach Object Storage"):
            await buckets.list_buckets(adapter, "fr-par")
    finally:
        await adapter.aclose()


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_transfers_sliced_by_the_step_deadline_resume_from_their_checkpoint(
    storage: ObjectStorage, tmp_path: Path
) -> None:
    await buckets.create_bucket(storage, "sliced", "fr-par")
    source = tmp_path / "src.bin"
    digest = write_random(source, 4 * 5 * MIB + 7)
    request = UploadRequest("sliced", "obj", "fr-par", source, "application/octet-stream")
    journal = Journal()

    # A deadline already passed: each step sends one round of parts, then hands back.
    steps = 0
    result = None
    while result is None:
        steps += 1
        result = await upload_file(storage, request, journal, deadline=0)
    assert steps > 1 and result["parts"] == 5 and journal.checkpoint["upload"] is None
    assert journal.progress[-1].fraction == 1.0
    client = await storage.client()
    assert (await client.list_multipart_uploads(Bucket="sliced")).get("Uploads", []) == []

    target = tmp_path / "copy.bin"
    down_journal = Journal()
    down = DownloadRequest("sliced", "obj", "fr-par", target, temp_tag="t")
    steps, result = 0, None
    while result is None:
        steps += 1
        result = await download_file(storage, down, down_journal, deadline=0)
    assert steps > 1 and sha256_of(target) == digest
    assert names_in(tmp_path) == ["copy.bin", "src.bin"]  # the temporary file is gone


async def test_a_download_renamed_just_before_a_crash_is_not_refused_as_existing(
    storage: ObjectStorage, tmp_path: Path
) -> None:
    await buckets.create_bucket(storage, "renamed", "fr-par")
    client = await storage.client()
    await client.put_object(Bucket="renamed", Key="k", Body=b"payload")
    target = tmp_path / "k"
    journal = Journal()
    request = DownloadRequest("renamed", "k", "fr-par", target, temp_tag="t")
    assert await download_file(storage, request, journal) is not None
    # Replay the crash: the rename happened, the checkpoint still names the download.
    head = await buckets.head_object(storage, "renamed", "k", "fr-par")
    journal.checkpoint["download"] = {
        "etag": head.etag,
        "size": 7,
        "part_size": 5 * MIB,
        "temp": str(tmp_path / ".k.t.part"),
        "parts": [1],
    }
    result = await download_file(storage, request, journal)
    assert result is not None and result["size"] == 7 and journal.checkpoint["download"] is None
    # Without that record, an existing file is refused.
    with pytest.raises(PermanentError, match="already exists"):
        await download_file(storage, request, Journal())
