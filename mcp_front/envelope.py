"""The one response envelope every tool returns, as structured content and as JSON text."""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult, TextContent

from jobs.models import JSON


def _result(payload: JSON, *, is_error: bool) -> CallToolResult:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=json.loads(text),
        is_error=is_error,
    )


def success(data: Any, *, job: JSON | None = None, source: str | None = None) -> CallToolResult:
    """``{"status": "success", "data": ...}``, with the job view when a job did the work."""
    payload: JSON = {"status": "success", "data": data}
    if job is not None:
        payload["job"] = job
    if source is not None:
        payload["source"] = source
    return _result(payload, is_error=False)


def error(message: str, *, details: JSON | None = None) -> CallToolResult:
    """``{"status": "error", "message": ...}`` with ``isError`` set."""
    payload: JSON = {"status": "error", "message": message}
    if details:
        payload["details"] = details
    return _result(payload, is_error=True)


def with_fields(result: CallToolResult, **fields: Any) -> CallToolResult:
    """``result`` with top-level envelope ``fields`` added (text and structured content)."""
    if result.structured_content is None:
        return result
    return _result({**result.structured_content, **fields}, is_error=bool(result.is_error))
