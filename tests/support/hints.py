"""A tool's behaviour hints as the MCP spec reads its annotations, defaults included."""

from __future__ import annotations

from mcp.types import Tool, ToolAnnotations


def hints(tool: Tool) -> tuple[bool, bool, bool]:
    """``(read_only, destructive, idempotent)`` of ``tool``.

    The server leaves out what equals the spec's defaults (schema.ts ToolAnnotations): the
    destructive hint defaults to true and the idempotent one to false, and neither means
    anything for a read-only tool, which changes nothing (so neither destroys nor repeats).
    """
    annotations = tool.annotations or ToolAnnotations()
    if annotations.read_only_hint:
        return (True, False, True)
    destructive = annotations.destructive_hint
    return (False, True if destructive is None else destructive, bool(annotations.idempotent_hint))
