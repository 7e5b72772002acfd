"""Checks on local paths given by users: resolved, absolute, readable or writable, no clobbering."""

from __future__ import annotations

import os
from pathlib import Path

from workers.errors import PermanentError


class LocalPathError(PermanentError):
    """A local path cannot be used as asked; the message says why."""


def resolve(text: str) -> Path:
    """``~`` expanded and symlinks resolved; relative paths are refused (the server's working
    directory is not the user's)."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise LocalPathError(f"{text!r} is relative; give an absolute path (or start with ~)")
    return path.resolve()


def check_source(path: Path) -> int:
    """The size of ``path`` if it is a readable regular file."""
    if not path.exists():
        raise LocalPathError(f"{path} does not exist")
    if path.is_dir():
        raise LocalPathError(f"{path} is a directory; give a file")
    if not path.is_file():
        raise LocalPathError(f"{path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise LocalPathError(f"{path} is not readable by the server")
    return path.stat().st_size


def check_destination(path: Path, *, overwrite: bool) -> None:
    """Refuse a destination that is a directory, exists without ``overwrite``, or whose
    directory is missing or not writable."""
    if path.is_dir():
        raise LocalPathError(f"{path} is a directory; give a file path")
    if path.exists() and not overwrite:
        raise LocalPathError(f"{path} already exists; pass overwrite: true to replace it")
    if path.exists() and not os.access(path, os.W_OK):
        raise LocalPathError(f"{path} is not writable by the server")
    parent = path.parent
    if not parent.is_dir():
        raise LocalPathError(f"directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise LocalPathError(f"directory {parent} is not writable by the server")
