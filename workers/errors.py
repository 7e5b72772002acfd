"""Errors an operation step may raise, as the runner sees them.

    OperationError
    ├── TransientError       worth another try: retried in the step, then by the runner
    │   └── RateLimited      the API asked us to slow down (optional retry_after_s)
    ├── PermanentError       retrying cannot help: the job fails with this message
    │   ├── InvalidParameters  the job's stored parameters no longer validate
    │   ├── InUse            the resource has dependents; deleting it is refused
    │   └── FailedWithResult a job that fails yet reports what it did (a batch's children)
    └── UnknownOperation     no operation of that name is registered

The messages of these errors are shown to users: they never carry secrets.
"""

from __future__ import annotations


class OperationError(Exception):
    """Base class of errors raised by operations."""


class TransientError(OperationError):
    """A failure worth retrying (timeouts, 5xx, connection resets)."""


class RateLimited(TransientError):
    """The API rate-limited us; wait ``retry_after_s`` when it says how long."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(OperationError):
    """A failure no retry can fix; the job fails with this message."""


class InvalidParameters(PermanentError):
    """The parameters of a job do not validate against its operation."""


class UnknownOperation(PermanentError):
    """No operation of that name is registered."""


class InUse(PermanentError):
    """Deleting a resource is refused while others depend on it; ``dependents`` names them."""

    def __init__(self, what: str, dependents: list[str], advice: str) -> None:
        super().__init__(f"{what} is in use by: {'; '.join(dependents)}; {advice}")
        self.dependents = dependents


class FailedWithResult(PermanentError):
    """The job fails with this message and keeps ``result`` (e.g. a batch's per-child report)."""

    def __init__(self, message: str, result: dict[str, object]) -> None:
        super().__init__(message)
        self.result = result


def is_transient(exc: BaseException) -> bool:
    """Whether another try may succeed: a TransientError, or an unmapped network failure.

    Anything else (a permanent error, a library's local validation, a bug) fails at once.
    """
    if isinstance(exc, OperationError):
        return isinstance(exc, TransientError)
    return isinstance(exc, ConnectionError | TimeoutError)
