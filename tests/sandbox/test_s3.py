"""aioboto3 against the sandbox's S3 server: buckets, objects, multipart, both addressings."""

from __future__ import annotations

import aioboto3
import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sandbox.server import SandboxServer

pytestmark = pytest.mark.anyio


def session() -> aioboto3.Session:
    return aioboto3.Session(
        aws_access_key_id="SCWXXXXXXXXXXXXXXXXX",
        aws_secret_access_key="00000000-0000-0000-0000-000000000000",
        region_name="fr-par",
    )


async def test_bucket_and_object_calls(fast_sandbox: SandboxServer) -> None:
    async with session().client("s3", endpoint_url=fast_sandbox.s3_url) as s3:
        await s3.create_bucket(
            Bucket="sandbox-objects", CreateBucketConfiguration={"LocationConstraint": "fr-par"}
        )
        names = [b["Name"] for b in (await s3.list_buckets())["Buckets"]]
        assert "sandbox-objects" in names
        await s3.put_object(Bucket="sandbox-objects", Key="a/b.txt", Body=b"hello")
        got = await s3.get_object(Bucket="sandbox-objects", Key="a/b.txt")
        assert await got["Body"].read() == b"hello"
        listed = await s3.list_objects_v2(Bucket="sandbox-objects", Prefix="a/")
        assert [o["Key"] for o in listed["Contents"]] == ["a/b.txt"]
        await s3.delete_object(Bucket="sandbox-objects", Key="a/b.txt")
        assert (await s3.list_objects_v2(Bucket="sandbox-objects")).get("KeyCount") == 0
        await s3.delete_bucket(Bucket="sandbox-objects")


async def test_multipart_upload(fast_sandbox: SandboxServer) -> None:
    part = b"x" * (5 * 1024 * 1024)
    async with session().client("s3", endpoint_url=fast_sandbox.s3_url) as s3:
        await s3.create_bucket(
            Bucket="sandbox-multipart", CreateBucketConfiguration={"LocationConstraint": "fr-par"}
        )
        upload = await s3.create_multipart_upload(Bucket="sandbox-multipart", Key="big.bin")
        etags = []
        for number, body in ((1, part), (2, b"tail")):
            r = await s3.upload_part(
                Bucket="sandbox-multipart",
                Key="big.bin",
                PartNumber=number,
                UploadId=upload["UploadId"],
                Body=body,
            )
            etags.append({"ETag": r["ETag"], "PartNumber": number})
        await s3.complete_multipart_upload(
            Bucket="sandbox-multipart",
            Key="big.bin",
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": etags},
        )
        head = await s3.head_object(Bucket="sandbox-multipart", Key="big.bin")
        assert head["ContentLength"] == len(part) + 4


async def test_virtual_host_addressing(fast_sandbox: SandboxServer) -> None:
    async with session().client("s3", endpoint_url=fast_sandbox.s3_url) as s3:
        await s3.create_bucket(
            Bucket="vhost-bucket", CreateBucketConfiguration={"LocationConstraint": "fr-par"}
        )
        await s3.put_object(Bucket="vhost-bucket", Key="k", Body=b"virtual")
    # *.localhost does not resolve everywhere: sign for the virtual host, send to the IP
    hosts = ("vhost-bucket.s3.fr-par.scw.cloud", f"vhost-bucket.localhost:{port(fast_sandbox)}")
    for host in hosts:
        request = AWSRequest(method="GET", url=f"http://{host}/k")
        S3SigV4Auth(Credentials("SCWXXXXXXXXXXXXXXXXX", "secret"), "s3", "fr-par").add_auth(request)
        async with httpx.AsyncClient() as c:
            r = await c.get(
                f"{fast_sandbox.s3_url}/k", headers={**dict(request.headers.items()), "Host": host}
            )
        assert r.status_code == 200 and r.content == b"virtual"


def port(sb: SandboxServer) -> int:
    return int(sb.s3_url.rsplit(":", 1)[1])
