"""A serve process killed with SIGKILL during a multipart upload: after a restart the job
continues the same upload (or, if the file changed, aborts it and starts again), and no
multipart upload is left orphaned.

The S3 server runs in this process (moto, slowed down on UploadPart so the kill lands
mid-upload); the product runs as ``python -m mcp_front serve`` subprocesses.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import boto3
import httpx
import pytest
from botocore.config import Config
from mcp import Client, StdioServerParameters
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from bench.common import MIB, write_random
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env

pytestmark = pytest.mark.anyio

PARTS = 8
PART_DELAY_S = 0.15


class SlowS3:
    """moto on loopback, each UploadPart delayed; remembers (upload id, part) of each one."""

    def __init__(self) -> None:
        self.part_requests: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        app = DomainDispatcherApplication(create_backend_app)

        def slow(environ: dict[str, Any], start_response: Any) -> Any:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if environ["REQUEST_METHOD"] == "PUT" and "partNumber" in query:
                with self._lock:
                    self.part_requests.append((query["uploadId"][0], int(query["partNumber"][0])))
                time.sleep(PART_DELAY_S)
            return app(environ, start_response)

        self._server = make_server(
            "127.0.0.1", 0, slow, threaded=True, request_handler=MotoRequestHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SlowS3:
        self._thread.start()
        # moto's state is per process, shared with any other moto server of this session.
        httpx.post(f"{self.url}/moto-api/reset", timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join()


@pytest.fixture
def slow_s3() -> Iterator[SlowS3]:
    with SlowS3() as server:
        yield server


def s3_client(url: str) -> Any:
    return boto3.client(
        "s3",
        region_name="fr-par",
        endpoint_url=url,
        aws_access_key_id="SCWXXXXXXXXXXXXXXXXX",
        aws_secret_access_key="00000000-0000-0000-0000-000000000000",
        config=Config(s3={"addressing_style": "path"}),
    )


async def enqueue_upload(data_dir: Path, source: Path) -> str:
    db = create_database(sqlite_url(data_dir / "jobs.db"))
    try:
        await upgrade_database(db)
        job, _ = await JobStore(db).enqueue(
            "storage.upload_object",
            {
                "bucket": "resume",
                "key": "big.bin",
                "region": "fr-par",
                "path": str(source),
                "content_type": "application/octet-stream",
            },
        )
        return job.id
    finally:
        await db.close()


def held_parts(s3: Any) -> tuple[str | None, int]:
    """The in-progress upload's id and how many parts the server holds for it."""
    uploads = s3.list_multipart_uploads(Bucket="resume").get("Uploads", [])
    if not uploads:
        return None, 0
    upload_id = uploads[0]["UploadId"]
    parts = s3.list_parts(Bucket="resume", Key="big.bin", UploadId=upload_id).get("Parts", [])
    return upload_id, len(parts)


def run_then_sigkill_midway(env: dict[str, str], tmp_path: Path, s3: Any) -> tuple[str, int]:
    """Start serve, SIGKILL it once the server holds 3 parts; the upload id and parts held."""
    with (tmp_path / "first.stderr").open("w") as stderr:
        first = subprocess.Popen(
            serve_command(),
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                upload_id, held = held_parts(s3)
                if upload_id and held >= 3:
                    break
                assert first.poll() is None, (tmp_path / "first.stderr").read_text()
                assert time.monotonic() < deadline, "the upload made no progress"
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            time.sleep(4 * PART_DELAY_S)  # requests already on the wire still land
        finally:
            if first.poll() is None:
                first.kill()
    return upload_id, held_parts(s3)[1]


@pytest.mark.parametrize("file_changed", [False, True], ids=["continues", "restarts"])
async def test_upload_killed_midway_finishes_after_restart_without_orphans(
    slow_s3: SlowS3, tmp_path: Path, file_changed: bool
) -> None:
    s3 = s3_client(slow_s3.url)
    s3.create_bucket(Bucket="resume", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    source = tmp_path / "big.bin"
    digest = write_random(source, PARTS * 5 * MIB)
    env = serve_env(
        tmp_path,
        SCW_S3_ENDPOINT_URL=slow_s3.url,
        SCW_MCP_LEASE_S="1",
        SCW_MCP_S3_PART_SIZE_MB="5",
        SCW_MCP_S3_MULTIPART_THRESHOLD_MB="5",
        SCW_MCP_S3_CONCURRENCY="2",
    )
    job_id = await enqueue_upload(tmp_path, source)

    first_upload, held = await anyio.to_thread.run_sync(run_then_sigkill_midway, env, tmp_path, s3)
    assert 3 <= held < PARTS, "the kill came too late to prove anything"
    sent_before_restart = len(slow_s3.part_requests)
    if file_changed:
        digest = write_random(source, PARTS * 5 * MIB - 1234)

    params = StdioServerParameters(
        command=serve_command()[0], args=serve_command()[1:], env=env, cwd=str(REPO_ROOT)
    )
    async with Client(params) as client:
        status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 40})
    job = status.structured_content["data"]  # type: ignore[index]
    assert job["state"] == "succeeded", job

    body = s3.get_object(Bucket="resume", Key="big.bin")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == digest
    assert s3.list_multipart_uploads(Bucket="resume").get("Uploads", []) == []
    after_restart = slow_s3.part_requests[sent_before_restart:]
    if file_changed:
        # The old upload was aborted; every part went into a new one.
        assert after_restart and first_upload not in {upload for upload, _ in after_restart}
        assert job["result"]["size"] == PARTS * 5 * MIB - 1234
    else:
        # The same upload went on: only parts the server did not hold were sent again.
        assert {upload for upload, _ in after_restart} == {first_upload}
        assert len(after_restart) == PARTS - held
        assert job["result"]["parts"] == PARTS
