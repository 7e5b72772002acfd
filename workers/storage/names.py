"""Pure rules of Object Storage: bucket and key names, sizes, content types, part layout."""

from __future__ import annotations

import math
import mimetypes
import re

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * 1024 * MIB
# Scaleway accepts at most 1,000 parts per multipart upload (AWS: 10,000).
MAX_PARTS = 1000
MAX_OBJECT_SIZE = MAX_PARTS * MAX_PART_SIZE

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
STORAGE_CLASSES = ("STANDARD", "ONEZONE_IA", "GLACIER")
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/yaml",
    "application/x-yaml",
    "application/javascript",
    "application/toml",
    "application/x-sh",
)


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid bucket name, or None when it is."""
    if not 3 <= len(name) <= 63:
        return f"must be 3 to 63 characters long (got {len(name)})"
    if not _BUCKET_RE.match(name):
        return (
            "may contain only lowercase letters, digits, '-' and '.', "
            "and must start and end with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "must not contain '..', '.-' or '-.'"
    if _IPV4_RE.match(name):
        return "must not look like an IP address"
    if name.startswith("xn--") or name.endswith("-s3alias"):
        return "must not start with 'xn--' or end with '-s3alias'"
    return None


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid object key, or None when it is."""
    size = len(key.encode("utf-8"))
    if size == 0:
        return "must not be empty"
    if size > 1024:
        return f"must be at most 1024 bytes in UTF-8 (got {size})"
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        return "must not contain control characters"
    return None


def human_size(size: int) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def guess_content_type(name: str) -> str:
    """The content type suggested by a file or key name; octet-stream when unknown."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def is_text_type(content_type: str | None) -> bool:
    """Whether a content type names text a model could read."""
    base = (content_type or "").split(";")[0].strip().lower()
    return base.startswith("text/") or base in _TEXT_TYPES or base.endswith(("+json", "+xml"))


def part_size_for(size: int, preferred: int) -> int:
    """The part size for an object of ``size`` bytes: ``preferred``, grown to fit MAX_PARTS."""
    needed = math.ceil(size / MAX_PARTS) if size else 0
    part = max(preferred, MIN_PART_SIZE, needed)
    return math.ceil(part / MIB) * MIB


def part_count(size: int, part_size: int) -> int:
    """How many parts of ``part_size`` cover ``size`` bytes (at least one)."""
    return max(1, math.ceil(size / part_size))


def part_range(number: int, size: int, part_size: int) -> tuple[int, int]:
    """(offset, length) of 1-based part ``number``."""
    offset = (number - 1) * part_size
    return offset, max(0, min(part_size, size - offset))
