"""Who is calling: over HTTP, the bearer token the transport already checked; over stdio, nobody.

A principal is a digest of the token, never the token itself, so the job table holds no
secret and a task can be matched to the caller that created it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

_CALLER: ContextVar[str | None] = ContextVar("caller", default=None)


def principal_of(headers: Mapping[str, str] | None) -> str | None:
    """The principal behind a request's headers (32 hex digits), or None without a token."""
    if not headers:
        return None
    authorization = headers.get("authorization")
    if not authorization:
        return None
    return hashlib.sha256(authorization.encode()).hexdigest()[:32]


@contextmanager
def calling_as(principal: str | None) -> Iterator[None]:
    """Run a tool call or a resource read on behalf of ``principal``."""
    token = _CALLER.set(principal)
    try:
        yield
    finally:
        _CALLER.reset(token)


def caller() -> str | None:
    """The principal of the tool call or resource read in progress (None: stdio, in-process)."""
    return _CALLER.get()


def sees(job_principal: str | None, principal: str | None) -> bool:
    """Whether a caller sees a job: over stdio every job (the machine's user owns the job
    database); over HTTP only the jobs its own token created."""
    return principal is None or job_principal == principal
