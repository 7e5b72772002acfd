"""Scaleway API failures as the project's errors, mapped once at the adapter's edge.

    ScalewayError
    ├── Transient        5xx, timeouts, connection resets (a workers TransientError)
    │   └── RateLimited  429 (empty body + ``X-Envoy-Ratelimited: true``, maybe Retry-After)
    └── (permanent: workers PermanentError, the job fails with the message)
        ├── InvalidRequest   400 (``invalid_arguments`` carries per-field ``details``)
        ├── Unauthorized     401 ``denied_authentication``
        ├── Forbidden        403 ``permissions_denied``
        │   └── QuotaExceeded  ``quotas_exceeded``
        ├── NotFound         404
        ├── Conflict         409 (``transient_state``, ``already_exists``) and 412
        └── LocalError       never sent: the SDK or requests refused it (ValueError, bad URL)

Classification uses the status code and the body's ``type`` field, never message text.
Messages are built from a few known fields of the body, bounded and sanitised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from workers import errors as base
from workers.redact import sanitize_message

_MAX_FIELD = 200


class ScalewayError(base.OperationError):
    """A failed Scaleway API call: HTTP status and the body's ``type`` when known."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type_: str | None = None,
        resource: str | None = None,
        resource_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
        current_state: str | None = None,
    ) -> None:
        super().__init__(sanitize_message(message))
        self.status = status
        self.type = type_
        self.resource = resource
        self.resource_id = resource_id
        self.details = details or []
        self.current_state = current_state


class Transient(ScalewayError, base.TransientError):
    """Worth another try: a 5xx answer, a timeout or a broken connection."""


class RateLimited(Transient, base.RateLimited):
    """The API rate-limited us (429)."""

    def __init__(self, message: str, retry_after_s: float | None = None, **kw: Any) -> None:
        Transient.__init__(self, message, **kw)
        self.retry_after_s = retry_after_s


class InvalidRequest(ScalewayError, base.PermanentError):
    """The API refused the request's arguments (400); ``details`` names the fields."""

    @property
    def fields(self) -> dict[str, str]:
        """Argument name -> what is wrong with it."""
        return {
            str(d.get("argument_name")): str(d.get("help_message") or d.get("reason") or "")
            for d in self.details
            if d.get("argument_name")
        }


class Unauthorized(ScalewayError, base.PermanentError):
    """The credentials were refused (401)."""


class Forbidden(ScalewayError, base.PermanentError):
    """The credentials lack a permission (403)."""


class QuotaExceeded(Forbidden):
    """A project quota would be exceeded."""


class NotFound(ScalewayError, base.PermanentError):
    """The resource does not exist (404)."""


class Conflict(ScalewayError, base.PermanentError):
    """The resource's state forbids the request (409 or 412)."""


class LocalError(ScalewayError, base.PermanentError):
    """The request never left this process: the SDK or requests refused to build it."""


def _text(value: Any) -> str:
    text = str(value) if value is not None else ""
    return text[:_MAX_FIELD]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def _details_text(details: list[dict[str, Any]], keys: tuple[str, ...]) -> str:
    parts = []
    for d in details[:10]:
        values = [_text(d.get(k)) for k in keys if d.get(k) not in (None, "")]
        if values:
            parts.append(" ".join(values))
    return "; ".join(parts)


def parse_body(content: bytes | None) -> dict[str, Any] | None:
    """The JSON object of an error body, or None when it is empty or not an object."""
    if not content:
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def from_http(
    status: int, headers: Mapping[str, str], body: dict[str, Any] | None
) -> ScalewayError:
    """The error for an HTTP error answer (status, headers, parsed body)."""
    body = body or {}
    type_ = body.get("type") if isinstance(body.get("type"), str) else None
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    message = _text(body.get("message")) or f"HTTP {status}"
    common: dict[str, Any] = {
        "status": status,
        "type_": type_,
        "resource": body.get("resource"),
        "resource_id": body.get("resource_id"),
        "details": details,
        "current_state": body.get("current_state"),
    }
    resource = " ".join(_text(body.get(k)) for k in ("resource", "resource_id") if body.get(k))

    if status == 429:
        return RateLimited(
            "Scaleway rate limit reached (429); slowing down", _retry_after(headers), **common
        )
    if status == 408:
        return Transient(f"Scaleway API timed out ({status}): {message}", **common)
    if status >= 500:
        return Transient(f"Scaleway API unavailable ({status}): {message}", **common)
    if type_ == "quotas_exceeded":
        quota = _details_text(details, ("resource",))
        usage = ", ".join(
            f"{_text(d.get('resource'))} quota {d.get('quota')}, current {d.get('current')}"
            for d in details[:5]
        )
        text = f"Scaleway quota exceeded ({usage or quota or message})"
        return QuotaExceeded(text + "; free resources or ask for a higher quota", **common)
    if status == 400:
        if type_ == "invalid_arguments" and details:
            fields = _details_text(details, ("argument_name", "reason", "help_message"))
            return InvalidRequest(f"Scaleway refused the arguments: {fields}", **common)
        return InvalidRequest(f"Scaleway refused the request: {message}", **common)
    if status == 401:
        return Unauthorized(
            "Scaleway refused the credentials (401); check SCW_ACCESS_KEY and SCW_SECRET_KEY",
            **common,
        )
    if status == 403:
        denied = _details_text(details, ("action", "resource"))
        return Forbidden(
            f"permission denied by Scaleway (403){': ' + denied if denied else ''}; "
            "see docs/iam.md for the permission sets each tool needs",
            **common,
        )
    if status == 404:
        what = resource or "resource"
        return NotFound(f"{what} was not found (404)", **common)
    if status in (409, 412):
        extra = [_text(body.get(k)) for k in ("current_state", "precondition", "help_message")]
        hint = "; ".join(e for e in extra if e)
        what = f" ({resource})" if resource else ""
        return Conflict(
            f"Scaleway conflict {status}{what}: {message}{'; ' + hint if hint else ''}", **common
        )
    return InvalidRequest(f"Scaleway refused the request ({status}): {message}", **common)


def map_exception(exc: BaseException) -> BaseException:
    """The project error for an exception raised by the SDK or requests (others unchanged).

    Transient: 5xx, 429, timeouts and the network's failures. Permanent: every other answer,
    and what never left this process (a malformed URL or header, the SDK refusing an
    argument with ValueError or TypeError).
    """
    if isinstance(exc, ScalewayError):
        return exc
    import requests
    from scaleway_core.api import ScalewayException

    if isinstance(exc, ScalewayException):
        response = exc.response
        return from_http(response.status_code, response.headers, parse_body(response.content))
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        return from_http(response.status_code, response.headers, parse_body(response.content))
    if isinstance(exc, requests.Timeout):
        return Transient(f"Scaleway API{_endpoint(exc)} timed out ({type(exc).__name__})")
    network = (
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    )
    if isinstance(exc, network):
        return Transient(
            f"network error talking to Scaleway{_endpoint(exc)} ({_network_reason(exc)})"
        )
    if isinstance(exc, requests.RequestException):
        return LocalError(f"the request to Scaleway could not be sent: {_one_line(exc)}")
    if isinstance(exc, ValueError | TypeError):
        return LocalError(f"the Scaleway SDK refused the request: {_one_line(exc)}")
    return exc


def _endpoint(exc: BaseException) -> str:
    """ " at scheme://host[:port]" of the request that failed (never its path or query)."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if not isinstance(url, str):
        return ""
    parts = urlsplit(url)
    if not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f" at {parts.scheme}://{parts.hostname}{port}"


_NETWORK_REASONS = (
    ("refused", "connection refused"),
    ("Name or service not known", "host name not found"),
    ("Temporary failure in name resolution", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("Connection reset", "connection reset"),
    ("Network is unreachable", "network unreachable"),
)


def _network_reason(exc: BaseException) -> str:
    text = str(exc)
    for marker, reason in _NETWORK_REASONS:
        if marker in text:
            return f"{type(exc).__name__}: {reason}"
    return type(exc).__name__


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:_MAX_FIELD]
