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

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}\Z")
_EXISTING_BUCKET_RE = re.compile(r"^[A-Za-z0-9._-]{1,255}\Z")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_CONTENT_TYPE_RE = re.compile(rf"^{_TOKEN}/{_TOKEN}( *; *{_TOKEN}=(?:{_TOKEN}|\"[ -~]*\"))*\Z")
_META_KEY_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}\Z")
_HEADER_VALUE_RE = re.compile(r"^[ -~]*\Z")
_TAG_RE = re.compile(r"^[\w .:/=+\-@]*\Z")
MAX_METADATA_BYTES = 2048
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


def bucket_reference_problem(name: str) -> str | None:
    """Why ``name`` cannot name an existing bucket (the S3 clients' own rule, looser than the
    one for new buckets so that older names still work), or None."""
    if not _EXISTING_BUCKET_RE.match(name):
        return "must be a bucket name: 1-255 letters, digits, '.', '-' or '_'"
    return None


def content_type_problem(content_type: str) -> str | None:
    """Why ``content_type`` is not a MIME type an HTTP header can carry, or None."""
    if len(content_type) > 255 or not _CONTENT_TYPE_RE.match(content_type):
        return "must be a MIME type such as text/plain or text/csv; charset=utf-8 (one line)"
    return None


def metadata_problem(metadata: dict[str, str]) -> str | None:
    """Why ``metadata`` cannot be sent as x-amz-meta-* headers, or None."""
    size = 0
    for key, value in metadata.items():
        if not _META_KEY_RE.match(key):
            return f"key {key[:40]!r} must be 1-128 letters, digits, '-', '_' or '.'"
        if not _HEADER_VALUE_RE.match(value):
            return f"value of {key!r} must be printable ASCII text without line breaks"
        size += len(key) + len(value)
    if size > MAX_METADATA_BYTES:
        return f"is {size} bytes in all; the limit is {MAX_METADATA_BYTES}"
    return None


def bucket_tags_problem(tags: dict[str, str]) -> str | None:
    """Why ``tags`` break the S3 tagging rules (at most 50; key 1-128, value 0-256
    characters of letters, digits, spaces and _ . : / = + - @), or None."""
    if len(tags) > 50:
        return "at most 50 tags"
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _TAG_RE.match(key):
            return f"key {key[:40]!r}: 1-128 letters, digits, spaces or _ . : / = + - @"
        if len(value) > 256 or not _TAG_RE.match(value):
            return f"value of {key[:40]!r}: up to 256 letters, digits, spaces or _ . : / = + - @"
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
