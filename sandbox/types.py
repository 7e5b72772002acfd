"""Small shared type aliases."""

from __future__ import annotations

from typing import Any, TypeAlias

JSON: TypeAlias = dict[str, Any]
"""A JSON object as parsed or about to be serialised."""
