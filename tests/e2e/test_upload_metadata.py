"""upload_object refuses S3 user metadata S3 cannot carry, before any job exists."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from mcp_front.runtime import Runtime
from mcp_front.server import build_server
from workers.storage.names import metadata_problem

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({"author": "Zoë"}, ("metadata", "'author'", "ASCII")),
        ({"auteur é": "x"}, ("metadata", "'auteur é'", "letters")),
        ({"note": "line\nbreak"}, ("metadata", "'note'", "ASCII")),
        ({"big": "x" * 2100}, ("metadata", "2048")),
    ],
)
async def test_metadata_s3_cannot_carry_fails_at_once_naming_the_field(
    runtime: Runtime, metadata: dict[str, str], words: tuple[str, ...]
) -> None:
    args: dict[str, Any] = {"bucket": "b", "key": "notes/readme.txt", "text": "hello"}
    async with Client(build_server(runtime)) as client:
        result = await client.call_tool("upload_object", {**args, "metadata": metadata})
        jobs = await client.call_tool("list_jobs", {})
    assert result.is_error
    message = result.structured_content["message"]  # type: ignore[index]
    for word in words:
        assert word in message, message
    assert jobs.structured_content["data"]["jobs"] == []  # type: ignore[index]


def test_printable_ascii_metadata_is_accepted() -> None:
    assert metadata_problem({"author": "Zoe", "x-tag_1.v": "a b ~!"}) is None
