"""Keeping secrets out of what users, logs and job rows see."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
SECRET_KEY_NAMES = frozenset(
    {
        "password",
        "secret_key",
        "secret",
        "token",
        "x-auth-token",
        "kubeconfig",
        "content",
        "private_key",
        "aws_secret_access_key",
    }
)
_TOKEN_HEADER = re.compile(r"(?i)(x-auth-token['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+")
_MAX_MESSAGE = 500


def redact_json(value: Any, *, keys: frozenset[str] = SECRET_KEY_NAMES) -> Any:
    """A copy of ``value`` with the values of secret-named keys replaced."""
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in keys and v else redact_json(v, keys=keys)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v, keys=keys) for v in value]
    return value


def sanitize_message(message: str, secrets: Iterable[str] = ()) -> str:
    """One line, bounded, with known secrets and auth headers blanked out."""
    text = " ".join(message.split())
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    text = _TOKEN_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
