"""delete_bucket against the sandbox's S3: refused while it holds anything unless forced;
a forced deletion empties the bucket page by page and resumes after a crash mid-way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from jobs.states import JobState
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (
    FAKE_KEY,
    ZERO_UUID,
    Harness,
    SimulatedCrash,
    open_harness,
)
from workers.operations import bucket_deletion
from workers.storage import emptying
from workers.storage.client import ObjectStorage, StorageSettings
from workers.storage.emptying import bucket_contents

pytestmark = pytest.mark.anyio
BUCKET = "team-logs"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
def s3(sandbox: SandboxServer) -> Any:
    assert sandbox.s3 is not None
    sandbox.s3.reset()
    return boto3.client(
        "s3",
        region_name="fr-par",
        endpoint_url=sandbox.s3_url,
        aws_access_key_id=FAKE_KEY,
        aws_secret_access_key=ZERO_UUID,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
async def harness(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(sandbox, tmp_path, bucket_deletion.OPERATIONS) as h:
        h.services.storage = ObjectStorage(
            StorageSettings(FAKE_KEY, ZERO_UUID, endpoint_url=sandbox.s3_url)
        )
        yield h


def _fill(s3: Any, objects: int) -> None:
    """A versioned bucket: ``objects`` keys written twice, one deleted, one open upload."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for i in range(objects):
        for _ in range(2):
            s3.put_object(Bucket=BUCKET, Key=f"logs/{i:03}.txt", Body=b"x")
    s3.delete_object(Bucket=BUCKET, Key="logs/000.txt")  # a delete marker
    s3.create_multipart_upload(Bucket=BUCKET, Key="big.bin")


def _gone(s3: Any) -> bool:
    try:
        s3.head_bucket(Bucket=BUCKET)
    except ClientError:
        return True
    return False


async def test_a_bucket_with_contents_is_refused_naming_them(harness: Harness, s3: Any) -> None:
    _fill(s3, 3)
    job = await harness.run_one(
        bucket_deletion.DELETE_BUCKET.name, {"bucket": BUCKET, "region": "fr-par"}
    )
    assert job.state is JobState.FAILED
    assert "object logs/001.txt" in job.error and "unfinished upload of big.bin" in job.error
    assert "force" in job.error and not _gone(s3)
    contents = await bucket_contents(harness.services.storage, BUCKET, "fr-par")  # type: ignore[arg-type]
    assert contents.keys and contents.uploads == ["big.bin"]


async def test_forced_deletion_resumes_after_a_crash_mid_way(
    harness: Harness, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pages so that the bucket takes several pages and several steps.
    monkeypatch.setattr(emptying, "PAGE", 4)
    monkeypatch.setattr(bucket_deletion, "PAGES_PER_STEP", 2)
    _fill(s3, 7)  # 14 versions + 1 marker + 1 upload
    h = harness
    job_id = await h.submit(
        bucket_deletion.DELETE_BUCKET.name, {"bucket": BUCKET, "region": "fr-par", "force": True}
    )
    await h.step_once()  # two pages (8 versions) gone, then a Wait
    h.store.crash_next_checkpoint = True
    (claimed,) = await h.store.claim("harness", limit=1, lease_s=30)
    with pytest.raises((SimulatedCrash, BaseExceptionGroup)):
        await h.runner.run(claimed)
    assert not _gone(s3)
    h.clock.advance(31)  # the dead worker's lease expires; another one resumes
    (final,) = await h.run(job_id)
    assert final.state is JobState.SUCCEEDED, final.error
    assert final.result["deleted"] is True and final.result["removed"] >= 8
    assert _gone(s3)
