"""Turning every error into the envelope, at the MCP edge only.

ToolInputError   a tool argument is wrong; names the field and what is allowed
(and every error of jobs/ and workers/, mapped by type in ``error_message``)
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from jobs.errors import DatabaseError, InvalidTransition, JobError, JobNotFound
from mcp_front.config import ConfigError
from workers.errors import OperationError
from workers.redact import sanitize_message

logger = logging.getLogger(__name__)


class ToolInputError(Exception):
    """A tool argument is invalid."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def describe_validation_error(exc: ValidationError) -> str:
    """One line per bad field: its name, what is wrong and what is allowed."""
    return "invalid arguments: " + "; ".join(validation_problems(exc))


def validation_problems(exc: ValidationError, prefix: str = "") -> list[str]:
    """``"<prefix><field>: <what is wrong and what is allowed>"`` for each bad field."""
    parts = []
    for err in exc.errors():
        field = prefix + (".".join(str(p) for p in err["loc"]) or "arguments")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "is not a known argument"
        else:
            message = _plain_words(err["type"], err.get("ctx") or {}, message)
        parts.append(f"{field}: {message}")
    return parts


_BOUNDS = {
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "string_too_short": "must be at least {min_length} characters long",
    "string_too_long": "must be at most {max_length} characters long",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
}


def _plain_words(kind: str, ctx: dict[str, object], message: str) -> str:
    """pydantic's message in the words of the other errors ("must be ...")."""
    if kind in _BOUNDS:
        try:
            return _BOUNDS[kind].format(**ctx)
        except (KeyError, IndexError):
            pass
    if message.startswith("Input should be "):
        # "Input should be a valid integer, unable to parse string as an integer"
        return "must be " + message.removeprefix("Input should be ").split(", unable")[0]
    return message.replace("Input should", "must").replace("Input", "the value")


def error_message(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """The user-facing message of an error raised below a tool."""
    if isinstance(exc, ValidationError):
        text = describe_validation_error(exc)
    elif isinstance(exc, ToolInputError):
        text = f"invalid arguments: {exc}"
    elif isinstance(exc, ConfigError):
        text = f"server configuration: {exc}"
    elif isinstance(exc, JobNotFound):
        text = f"{exc}; list_jobs shows the known jobs"
    elif isinstance(exc, InvalidTransition | DatabaseError | JobError | OperationError):
        text = str(exc)
    else:
        logger.exception("unexpected error in a tool")
        text = f"the tool failed unexpectedly ({type(exc).__name__}); the server log has details"
    return sanitize_message(text, secrets)
