"""The one response envelope every tool returns, as structured content and as JSON text."""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult, ContentBlock, TextContent

from jobs.models import JSON

SUCCESS = "success"
ERROR = "error"


def _result(payload: JSON, *, is_error: bool, text: str | None = None) -> CallToolResult:
    envelope_text = json.dumps(payload, ensure_ascii=False, default=str)
    content: list[ContentBlock] = [TextContent(type="text", text=envelope_text)]
    if text is not None:
        content.append(TextContent(type="text", text=text))
    return CallToolResult(
        content=content,
        structured_content=json.loads(envelope_text),
        is_error=is_error,
    )


def success(
    data: Any, *, job: JSON | None = None, source: str | None = None, text: str | None = None
) -> CallToolResult:
    """``{"status": "success", "data": ...}``, with the job view when a job did the work.

    ``text`` (a document the tool returns, e.g. an object's content) goes once, in a second
    text block, never into the structured content as well.
    """
    payload: JSON = {"status": SUCCESS, "data": data}
    if job is not None:
        payload["job"] = job
    if source is not None:
        payload["source"] = source
    return _result(payload, is_error=False, text=text)


def error(message: str, *, details: JSON | None = None) -> CallToolResult:
    """``{"status": "error", "message": ...}`` with ``isError`` set."""
    payload: JSON = {"status": ERROR, "message": message}
    if details:
        payload["details"] = details
    return _result(payload, is_error=True)


def with_fields(result: CallToolResult, **fields: Any) -> CallToolResult:
    """``result`` with top-level envelope ``fields`` added (text and structured content)."""
    if result.structured_content is None:
        return result
    return _result({**result.structured_content, **fields}, is_error=bool(result.is_error))
