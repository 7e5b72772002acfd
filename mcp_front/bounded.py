"""Bounded answers: a tool's answer past the cap is cut, and the whole of it goes to a file.

MCP clients stop reading at about 25k tokens, and every byte of an answer costs the model's
context. An answer whose JSON is larger than the cap keeps its envelope (status, job,
source) while its largest lists and strings are cut in half until it fits; the complete
JSON is written to a file (mode 0600) whose path the answer gives under ``truncated``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, TextContent

logger = logging.getLogger(__name__)

DEFAULT_CAP_BYTES = 32 * 1024
# Room for the "truncated" note and the envelope around the data.
_NOTE_ROOM = 600
_MAX_ROUNDS = 64


def answer_size(result: CallToolResult) -> int:
    """Bytes of the answer as the client gets it, counting the structured JSON once."""
    texts = [c.text for c in result.content if isinstance(c, TextContent)]
    if result.structured_content is None:
        return sum(len(t.encode()) for t in texts)
    # The first text block repeats the structured content; further blocks are extra.
    extra = sum(len(t.encode()) for t in texts[1:])
    return _size(result.structured_content) + extra


def bound(result: CallToolResult, spill_dir: Path, cap: int = DEFAULT_CAP_BYTES) -> CallToolResult:
    """``result`` when it fits ``cap`` bytes; otherwise a cut answer naming the full file."""
    full = result.structured_content
    if answer_size(result) <= cap or not isinstance(full, dict) or "data" not in full:
        return result
    path = _spill(full, result, spill_dir)
    budget = max(1024, cap - _NOTE_ROOM - _size({k: v for k, v in full.items() if k != "data"}))
    data = cut_to_fit(full["data"], budget)
    payload = dict(full)
    payload["data"] = data
    payload["truncated"] = {
        "full_answer_path": str(path),
        "full_bytes": answer_size(result),
        "note": f"the answer was cut to about {cap // 1024} KB (lists and texts shortened); "
        "the file holds all of it",
    }
    text = json.dumps(payload, ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=json.loads(text),
        is_error=result.is_error,
    )


def cut_to_fit(data: Any, budget: int) -> Any:
    """``data`` with its largest lists and strings halved until its JSON fits ``budget``."""
    for _ in range(_MAX_ROUNDS):
        if _size(data) <= budget:
            return data
        data = _halve_largest(data)
    return _excerpt(json.dumps(data, ensure_ascii=False), budget)


def _halve_largest(data: Any) -> Any:
    path = _largest_container(data, ())
    if path is None:
        return _excerpt(json.dumps(data, ensure_ascii=False), _size(data) // 2)
    return _replace(data, path, _halve(_get(data, path)))


def _largest_container(data: Any, path: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The path of the biggest list or long string in ``data`` (by JSON size)."""
    best: tuple[int, tuple[Any, ...]] | None = None
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, path)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, (*at, k)) for k, v in node.items())
        elif isinstance(node, list):
            if len(node) > 1:
                size = _size(node)
                if best is None or size > best[0]:
                    best = (size, at)
            stack.extend((v, (*at, i)) for i, v in enumerate(node))
        elif isinstance(node, str) and len(node) > 64:
            size = len(node.encode())
            if best is None or size > best[0]:
                best = (size, at)
    return best[1] if best else None


def _halve(node: Any) -> Any:
    if isinstance(node, list):
        return node[: len(node) // 2]
    return _excerpt(node, len(node.encode()) // 2)


def _excerpt(text: str, size: int) -> str:
    marker = " [excerpt: cut here]"
    return text.encode()[: max(0, size - len(marker))].decode(errors="ignore") + marker


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: _replace(data[head], rest, value)}
    copy = list(data)
    copy[head] = _replace(data[head], rest, value)
    return copy


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode())


def _spill(full: dict[str, Any], result: CallToolResult, spill_dir: Path) -> Path:
    """Write the whole answer (structured JSON and any extra text blocks) to a 0600 file."""
    spill_dir.mkdir(parents=True, exist_ok=True)
    path = spill_dir / f"answer-{uuid.uuid4().hex[:12]}.json"
    texts = [c.text for c in result.content if isinstance(c, TextContent)][1:]
    document = {**full, "extra_text": texts} if texts else full
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, default=str)
    logger.info("answer of %d bytes cut; whole answer in %s", answer_size(result), path)
    return path
