"""Errors the sandbox answers with, shaped like the real Scaleway API bodies.

Tree::

    ApiError (status, body, headers)
      built by: not_found, registry_not_found, invalid_arguments, invalid_request,
                denied_authentication, permissions_denied, quotas_exceeded,
                precondition_failed, transient_state, already_exists, internal_error

Scaleway uses one standard shape (``type`` + ``message`` + type-specific fields) on most
APIs, but not everywhere: the registry answers a bare ``{"message": ...}`` on 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.types import JSON


@dataclass(eq=False)
class ApiError(Exception):
    """An HTTP error answer: status code, JSON body (None for an empty body), extra headers."""

    status: int
    body: JSON | None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.body}"


def not_found(resource: str, resource_id: str) -> ApiError:
    """404 ``not_found`` naming the resource kind and id."""
    return ApiError(
        404,
        {
            "type": "not_found",
            "message": "resource is not found",
            "resource": resource,
            "resource_id": resource_id,
        },
    )


def route_not_found() -> ApiError:
    """404 for a path no API serves."""
    return ApiError(404, {"type": "not_found", "message": "resource is not found"})


def registry_not_found(what: str) -> ApiError:
    """The registry's non-standard 404: only a message."""
    return ApiError(404, {"message": f"{what} was not found"})


def detail(argument_name: str, reason: str, help_message: str) -> JSON:
    """One entry of an ``invalid_arguments`` details list."""
    return {"argument_name": argument_name, "reason": reason, "help_message": help_message}


def invalid_arguments(details: list[JSON]) -> ApiError:
    """400 ``invalid_arguments`` with per-field details (reason: required|format|constraint)."""
    return ApiError(
        400,
        {"type": "invalid_arguments", "message": "invalid argument(s)", "details": details},
    )


def invalid_argument(argument_name: str, reason: str, help_message: str) -> ApiError:
    """400 ``invalid_arguments`` about a single field."""
    return invalid_arguments([detail(argument_name, reason, help_message)])


def invalid_request(message: str) -> ApiError:
    """400 ``invalid_request_error``, the Instance API's answer to a wrong state."""
    return ApiError(400, {"type": "invalid_request_error", "message": message})


def denied_authentication(reason: str = "invalid_argument") -> ApiError:
    """401 ``denied_authentication`` (missing or malformed token)."""
    return ApiError(
        401,
        {
            "type": "denied_authentication",
            "message": "authentication is denied",
            "method": "api_key",
            "reason": reason,
        },
    )


def permissions_denied(action: str, resource: str) -> ApiError:
    """403 ``permissions_denied`` with the denied action."""
    return ApiError(
        403,
        {
            "type": "permissions_denied",
            "message": "insufficient permissions",
            "details": [{"action": action, "resource": resource}],
        },
    )


def quotas_exceeded(resource: str, quota: int, current: int) -> ApiError:
    """403 ``quotas_exceeded`` naming the quota and current usage."""
    return ApiError(
        403,
        {
            "type": "quotas_exceeded",
            "message": "quota(s) exceeded for this resource",
            "details": [{"resource": resource, "quota": quota, "current": current}],
        },
    )


def precondition_failed(precondition: str, help_message: str) -> ApiError:
    """412 ``precondition_failed``."""
    return ApiError(
        412,
        {
            "type": "precondition_failed",
            "message": "precondition is not respected",
            "precondition": precondition,
            "help_message": help_message,
        },
    )


def transient_state(resource: str, resource_id: str, current_state: str) -> ApiError:
    """409 ``transient_state``: the resource is busy."""
    return ApiError(
        409,
        {
            "type": "transient_state",
            "message": "resource is in a transient state",
            "resource": resource,
            "resource_id": resource_id,
            "current_state": current_state,
        },
    )


def already_exists(resource: str, resource_id: str, help_message: str) -> ApiError:
    """409 ``already_exists``."""
    return ApiError(
        409,
        {
            "type": "already_exists",
            "message": "resource already exists",
            "resource": resource,
            "resource_id": resource_id,
            "help_message": help_message,
        },
    )


def internal_error() -> ApiError:
    """500 answered by the catch-all handler (a sandbox bug, never expected)."""
    return ApiError(500, {"type": "internal_error", "message": "internal error"})
