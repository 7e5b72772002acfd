"""The S3 server's fault layer: S3-shaped throttling and errors, drops, quiet moto failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from sandbox.faults import FaultInjector
from sandbox.s3_layer import bucket_of, is_part_upload, route_key
from sandbox.server import SandboxServer
from tests.support.s3_client import sandbox_s3_client

PUT_OBJECT = "PUT /{bucket}/{key}"


@pytest.fixture
def s3_faults(fast_sandbox: SandboxServer) -> Iterator[FaultInjector]:
    """The shared sandbox's S3 fault rules, empty before and after the test."""
    assert fast_sandbox.s3 is not None
    fast_sandbox.s3.faults.clear()
    yield fast_sandbox.s3.faults
    fast_sandbox.s3.faults.clear()


@pytest.fixture
def s3(fast_sandbox: SandboxServer, s3_faults: FaultInjector) -> Any:
    """boto3 without its own retries: every injected fault reaches the test."""
    client = sandbox_s3_client(fast_sandbox.s3_url, retries={"total_max_attempts": 1})
    bucket = "sandbox-faults"
    if bucket not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "fr-par"}
        )
    return client


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket="sandbox-faults").get("Contents", [])]


def test_route_keys_name_the_request_shape() -> None:
    assert route_key("GET", "/") == "GET /"
    assert route_key("PUT", "/b") == "PUT /{bucket}"
    assert route_key("PUT", "/b/") == "PUT /{bucket}"
    assert route_key("PUT", "/b/dir/k.txt") == "PUT /{bucket}/{key}"


def test_writes_are_traced_to_their_bucket() -> None:
    path_style = {"HTTP_HOST": "127.0.0.1:8788", "PATH_INFO": "/photos/a.jpg"}
    assert bucket_of(path_style) == "photos"
    assert bucket_of({"HTTP_HOST": "photos.s3.fr-par.scw.cloud", "PATH_INFO": "/a.jpg"}) == (
        "photos"
    )
    assert bucket_of({"HTTP_HOST": "localhost:8788", "PATH_INFO": "/"}) is None
    assert is_part_upload({"QUERY_STRING": "partNumber=2&uploadId=abc"})
    assert not is_part_upload({"QUERY_STRING": "uploadId=abc"})  # completing: an object now


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("429", 429, "TooManyRequests"), ("503", 503, "SlowDown"), ("500", 500, "InternalError")],
)
def test_errors_have_the_s3_shape(
    s3: Any, s3_faults: FaultInjector, kind: str, status: int, code: str
) -> None:
    key = f"refused-{kind}.txt"
    s3_faults.add(PUT_OBJECT, kind, times=1)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="sandbox-faults", Key=key, Body=b"x")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error["Error"]["Code"] == code
    assert key not in _keys(s3)
    s3.put_object(Bucket="sandbox-faults", Key=key, Body=b"x")  # the rule fired once only
    assert key in _keys(s3)


def test_retry_after_is_sent(fast_sandbox: SandboxServer, s3_faults: FaultInjector) -> None:
    s3_faults.add("GET /", "429_retry_after", times=1, retry_after_s=7)
    answer = httpx.get(fast_sandbox.s3_url + "/")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "7"


def test_a_rule_hits_only_its_route(s3: Any, s3_faults: FaultInjector) -> None:
    s3_faults.add(PUT_OBJECT, "503")
    s3.list_objects_v2(Bucket="sandbox-faults")  # GET /{bucket}: untouched
    with pytest.raises(ClientError):
        s3.put_object(Bucket="sandbox-faults", Key="never.txt", Body=b"x")
    assert s3_faults.rules()[0]["fired"] == 1


def test_drop_loses_the_request(s3: Any, s3_faults: FaultInjector) -> None:
    s3_faults.add(PUT_OBJECT, "drop", times=1)
    with pytest.raises(BotoCoreError):
        s3.put_object(Bucket="sandbox-faults", Key="dropped.txt", Body=b"x")
    assert "dropped.txt" not in _keys(s3)


def test_commit_then_drop_stores_the_object_but_loses_the_answer(
    s3: Any, s3_faults: FaultInjector
) -> None:
    s3_faults.add(PUT_OBJECT, "commit_then_drop", times=1)
    with pytest.raises(BotoCoreError):
        s3.put_object(Bucket="sandbox-faults", Key="committed.txt", Body=b"kept")
    body = s3.get_object(Bucket="sandbox-faults", Key="committed.txt")["Body"].read()
    assert body == b"kept"


def test_latency_delays_then_serves(s3: Any, s3_faults: FaultInjector) -> None:
    s3_faults.add("GET /{bucket}", "latency", latency_s=0.05, times=1)
    s3.list_objects_v2(Bucket="sandbox-faults")
    assert s3_faults.rules()[0]["fired"] == 1


def test_admin_endpoint_steers_s3_faults(
    fast_sandbox: SandboxServer, s3: Any, s3_faults: FaultInjector
) -> None:
    admin = f"{fast_sandbox.api_url}/_sandbox/s3/faults"
    added = httpx.post(admin, json={"route": PUT_OBJECT, "kind": "503", "times": 1})
    assert added.status_code == 201 and added.json()["route"] == PUT_OBJECT
    with pytest.raises(ClientError):
        s3.put_object(Bucket="sandbox-faults", Key="admin.txt", Body=b"x")
    assert httpx.get(admin).json()["faults"][0]["fired"] == 1
    assert httpx.delete(admin).status_code == 204 and s3_faults.rules() == []


def test_requests_moto_cannot_handle_get_a_quiet_500(
    fast_sandbox: SandboxServer, s3: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    odd = [
        ("GET", "/sandbox-faults?list-type=2&max-keys=many", b""),
        ("PUT", "/sandbox-faults?tagging", b"<Tagging><TagSet><Tag></Tag></TagSet></Tagging>"),
        ("POST", "/sandbox-faults?delete", b"<not xml"),
    ]
    for method, path, body in odd:
        answer = httpx.request(method, fast_sandbox.s3_url + path, content=body)
        assert answer.status_code == 500 and b"<Code>InternalError</Code>" in answer.content
    _, err = capfd.readouterr()
    assert "Traceback" not in err and "Error on request" not in err
