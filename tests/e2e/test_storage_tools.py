"""The six Object Storage tools through a real in-process MCP client, against the sandbox S3."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import CallToolResult

from bench.common import MIB, sha256_of, write_random
from mcp_front.config import Settings
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.support.hints import hints
from tests.support.s3_client import sandbox_s3_client

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
def s3(sandbox: SandboxServer) -> Any:
    """A plain boto3 client on the same server, to look behind the product's back."""
    assert sandbox.s3 is not None
    sandbox.s3.reset()
    return sandbox_s3_client(sandbox.s3_url)


@pytest.fixture
async def client(
    sandbox: SandboxServer, s3: Any, make_settings: Callable[..., Settings]
) -> AsyncIterator[Client]:
    settings = make_settings(
        SCW_S3_ENDPOINT_URL=sandbox.s3_url,
        SCW_MCP_S3_PART_SIZE_MB="5",
        SCW_MCP_S3_MULTIPART_THRESHOLD_MB="5",
        SCW_MCP_S3_INLINE_MAX_KB="64",
    )
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as c:
        yield c


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result: CallToolResult = await client.call_tool(tool, args)
    assert result.structured_content is not None
    body = result.structured_content
    assert result.is_error == (body["status"] == "error"), body
    return body


async def ok(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    body = await call(client, tool, **args)
    assert body["status"] == "success", body
    return body["data"]


async def error(client: Client, tool: str, **args: Any) -> str:
    body = await call(client, tool, **args)
    assert body["status"] == "error", body
    return body["message"]


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def read(path: str) -> bytes:
    return Path(path).read_bytes()


async def test_tools_are_listed_with_their_annotations(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    names = ("list_buckets", "create_bucket", "list_objects", "upload_object")
    assert set(names) | {"download_object", "delete_object"} <= set(tools)
    assert hints(tools["delete_object"])[1]
    assert hints(tools["list_buckets"])[0] and hints(tools["list_objects"])[0]
    assert hints(tools["create_bucket"]) == (False, False, True)


async def test_create_bucket_then_list_it_and_create_again_idempotently(
    client: Client, s3: Any
) -> None:
    created = await ok(
        client, "create_bucket", name="team-data", versioning=True, tags={"team": "ml"}
    )
    assert created["created"] is True and created["region"] == "fr-par"
    assert s3.get_bucket_versioning(Bucket="team-data")["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket="team-data")["TagSet"] == [{"Key": "team", "Value": "ml"}]

    listed = await ok(client, "list_buckets")
    assert [b["name"] for b in listed["buckets"]] == ["team-data"]

    again = await ok(client, "create_bucket", name="team-data", acl="public-read")
    assert again["created"] is False and "already existed" in again["note"]


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("ab", "3 to 63"),
        ("Upper-Case", "lowercase"),
        ("under_score", "lowercase"),
        ("192.168.0.1", "IP address"),
        ("double..dot", "'..'"),
        ("-leading", "start and end"),
    ],
)
async def test_create_bucket_refuses_invalid_names(
    client: Client, s3: Any, name: str, complaint: str
) -> None:
    message = await error(client, "create_bucket", name=name)
    assert "name" in message and complaint in message
    assert s3.list_buckets()["Buckets"] == []


async def test_unknown_region_lists_the_valid_ones(client: Client) -> None:
    message = await error(client, "list_buckets", region="mars-1")
    assert "mars-1" in message and "fr-par" in message and "nl-ams" in message


async def test_upload_inline_text_list_and_read_it_back_inline(client: Client, s3: Any) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    up = await ok(client, "upload_object", bucket="docs", key="notes/hello.md", text="# Hi\n")
    assert up["size"] == 5 and up["content_type"] == "text/markdown"
    binary = base64.b64encode(bytes(range(256))).decode()
    await ok(client, "upload_object", bucket="docs", key="blob.bin", content_base64=binary)

    page = await ok(client, "list_objects", bucket="docs", delimiter="/")
    assert [o["key"] for o in page["objects"]] == ["blob.bin"]
    assert page["folders"] == ["notes/"]
    assert page["objects"][0]["size"] == 256 and page["objects"][0]["size_human"] == "256 B"
    assert page["objects"][0]["storage_class"] == "STANDARD"
    inside = await ok(client, "list_objects", bucket="docs", prefix="notes/")
    assert [o["key"] for o in inside["objects"]] == ["notes/hello.md"]

    text = await client.call_tool("download_object", {"bucket": "docs", "key": "notes/hello.md"})
    assert [c.text for c in text.content][1:] == ["# Hi\n"]  # type: ignore[union-attr]
    assert "# Hi" not in str(text.structured_content)  # once, not twice


async def test_list_objects_pages_with_a_continuation_token(client: Client, s3: Any) -> None:
    s3.create_bucket(Bucket="many", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    for i in range(5):
        s3.put_object(Bucket="many", Key=f"k{i}", Body=b"x")
    first = await ok(client, "list_objects", bucket="many", page_size=3)
    assert first["count"] == 3 and first["next_token"]
    rest = await ok(
        client, "list_objects", bucket="many", page_size=3, continuation_token=first["next_token"]
    )
    assert [o["key"] for o in rest["objects"]] == ["k3", "k4"] and rest["next_token"] is None


async def test_inline_upload_over_the_cap_is_refused(client: Client, s3: Any) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    message = await error(client, "upload_object", bucket="docs", key="big.txt", text="x" * 70_000)
    assert "cap" in message and "path" in message
    message = await error(client, "upload_object", bucket="docs", key="b", content_base64="!!")
    assert "content_base64" in message and "base64" in message


async def test_multipart_upload_and_download_of_a_file_keep_its_bytes(
    client: Client, s3: Any, tmp_path: Path
) -> None:
    s3.create_bucket(Bucket="media", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    source = tmp_path / "video.mp4"
    digest = write_random(source, 12 * MIB + 123)

    up = await ok(client, "upload_object", bucket="media", key="v/video.mp4", path=str(source))
    assert up["parts"] == 3 and up["size"] == 12 * MIB + 123 and up["content_type"] == "video/mp4"
    assert s3.list_multipart_uploads(Bucket="media").get("Uploads", []) == []

    target = tmp_path / "copy.mp4"
    down = await ok(client, "download_object", bucket="media", key="v/video.mp4", path=str(target))
    assert down["path"] == str(target) and sha256_of(target) == digest
    assert names_in(tmp_path) == ["copy.mp4", "data", "video.mp4"]  # no temporary file left


async def test_download_refuses_to_overwrite_unless_asked(
    client: Client, s3: Any, tmp_path: Path
) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    s3.put_object(Bucket="docs", Key="a.bin", Body=b"\x00new", ContentType="application/x-data")
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    message = await error(client, "download_object", bucket="docs", key="a.bin", path=str(target))
    assert "already exists" in message and "overwrite" in message
    assert target.read_bytes() == b"old"
    await ok(
        client, "download_object", bucket="docs", key="a.bin", path=str(target), overwrite=True
    )
    assert target.read_bytes() == b"\x00new"


async def test_binary_objects_go_to_a_file_by_default(client: Client, s3: Any) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    s3.put_object(Bucket="docs", Key="img/logo.png", Body=b"\x89PNG\x00", ContentType="image/png")
    down = await ok(client, "download_object", bucket="docs", key="img/logo.png")
    assert "text" not in down
    assert down["path"].endswith("/docs/logo.png") and read(down["path"]) == b"\x89PNG\x00"
    message = await error(client, "download_object", bucket="docs", key="img/logo.png", inline=True)
    assert "inline" in message and "UTF-8" in message


async def test_presigned_url_serves_the_object(client: Client, s3: Any) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    s3.put_object(Bucket="docs", Key="share.txt", Body=b"shared")
    data = await ok(
        client, "download_object", bucket="docs", key="share.txt", presigned_url=True, expires_s=60
    )
    assert data["expires_in_s"] == 60
    async with httpx.AsyncClient() as http:
        response = await http.get(data["url"])
    assert response.status_code == 200 and response.content == b"shared"


@pytest.mark.parametrize(
    ("make_path", "complaint"),
    [
        (lambda tmp: tmp / "missing.txt", "does not exist"),
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: Path("relative/file.txt"), "absolute path"),
    ],
)
async def test_upload_refuses_bad_local_paths(
    client: Client, s3: Any, tmp_path: Path, make_path: Callable[[Path], Path], complaint: str
) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    message = await error(
        client, "upload_object", bucket="docs", key="k", path=str(make_path(tmp_path))
    )
    assert message.startswith("invalid arguments: path:") and complaint in message


async def test_download_refuses_missing_directory_and_directory_targets(
    client: Client, s3: Any, tmp_path: Path
) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    s3.put_object(Bucket="docs", Key="k.bin", Body=b"\x00")
    nowhere = tmp_path / "no" / "such" / "dir" / "k.bin"
    message = await error(client, "download_object", bucket="docs", key="k.bin", path=str(nowhere))
    assert "does not exist" in message
    message = await error(client, "download_object", bucket="docs", key="k.bin", path=str(tmp_path))
    assert "is a directory" in message


async def test_upload_requires_exactly_one_source(client: Client) -> None:
    message = await error(client, "upload_object", bucket="docs", key="k")
    assert "exactly one of path, text or content_base64" in message
    message = await error(client, "upload_object", bucket="docs", key="k", text="a", path="/x")
    assert "exactly one" in message


async def test_missing_bucket_and_key_give_clear_messages(
    client: Client, s3: Any, tmp_path: Path
) -> None:
    message = await error(client, "list_objects", bucket="nowhere-bucket")
    assert "nowhere-bucket" in message and "does not exist" in message
    jobs_before = len((await ok(client, "list_jobs"))["jobs"])
    message = await error(client, "upload_object", bucket="nowhere-bucket", key="k", text="x")
    assert "nowhere-bucket" in message and "does not exist" in message
    assert len((await ok(client, "list_jobs"))["jobs"]) == jobs_before  # refused before a job
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    message = await error(
        client, "download_object", bucket="docs", key="nope.txt", path=str(tmp_path / "n")
    )
    assert "s3://docs/nope.txt does not exist" in message
    assert not (tmp_path / "n").exists()


async def test_delete_object_and_all_its_versions(client: Client, s3: Any) -> None:
    await ok(client, "create_bucket", name="history", versioning=True)
    for body in (b"v1", b"v2", b"v3"):
        s3.put_object(Bucket="history", Key="doc.txt", Body=body)
    s3.put_object(Bucket="history", Key="other.txt", Body=b"keep")

    first = await ok(client, "delete_object", bucket="history", key="doc.txt", confirm=True)
    assert first["deleted"] is True and first["existed"] is True
    versions = s3.list_object_versions(Bucket="history", Prefix="doc.txt")
    assert len(versions["Versions"]) == 3 and len(versions["DeleteMarkers"]) == 1

    purge = await ok(
        client, "delete_object", bucket="history", key="doc.txt", all_versions=True, confirm=True
    )
    assert purge["versions_deleted"] == 4
    versions = s3.list_object_versions(Bucket="history", Prefix="doc")
    assert "Versions" not in versions and "DeleteMarkers" not in versions
    assert s3.get_object(Bucket="history", Key="other.txt")["Body"].read() == b"keep"

    again = await ok(client, "delete_object", bucket="history", key="doc.txt", confirm=True)
    assert again["existed"] is False


async def test_list_objects_sees_an_upload_made_through_the_tools(client: Client, s3: Any) -> None:
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    assert (await ok(client, "list_objects", bucket="docs"))["count"] == 0
    await ok(client, "upload_object", bucket="docs", key="new.txt", text="fresh")
    # The upload job invalidated the cached listing.
    assert (await ok(client, "list_objects", bucket="docs"))["count"] == 1


async def test_delete_bucket_refuses_contents_without_a_job_then_force_empties_it(
    client: Client, s3: Any
) -> None:
    await ok(client, "create_bucket", name="old-data", versioning=True)
    for i in range(3):
        s3.put_object(Bucket="old-data", Key=f"k{i}", Body=b"v1")
        s3.put_object(Bucket="old-data", Key=f"k{i}", Body=b"v2")
    jobs_before = len((await ok(client, "list_jobs"))["jobs"])

    message = await error(client, "delete_bucket", name="old-data", confirm=True)
    assert "object k0" in message and "force" in message
    assert len((await ok(client, "list_jobs"))["jobs"]) == jobs_before

    deleted = await ok(client, "delete_bucket", name="old-data", force=True, confirm=True)
    assert deleted == {"bucket": "old-data", "region": "fr-par", "deleted": True, "removed": 6}
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == []
    missing = await error(client, "delete_bucket", name="old-data", confirm=True)
    assert "old-data" in missing and "does not exist" in missing
