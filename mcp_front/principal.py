"""Who is calling: over HTTP, the bearer token the transport already checked; over stdio, nobody.

A principal is a digest of the token, never the token itself, so the job table holds no
secret and a task can be matched to the caller that created it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def principal_of(headers: Mapping[str, str] | None) -> str | None:
    """The principal behind a request's headers (32 hex digits), or None without a token."""
    if not headers:
        return None
    authorization = headers.get("authorization")
    if not authorization:
        return None
    return hashlib.sha256(authorization.encode()).hexdigest()[:32]
