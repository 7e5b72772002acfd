"""Secret files: kubeconfigs and database passwords written with mode 0600, atomically.

A secret never travels through job rows, events, results or logs: operations and tools pass
the *path* of its file around instead. Files are written to a temporary sibling created with
mode 0600 and renamed into place, so a reader never sees half a secret or a wider mode.
Nothing here logs a file's content.
"""

from __future__ import annotations

import os
import re
import secrets
import string
import tempfile
from pathlib import Path

SECRET_MODE = 0o600
DIR_MODE = 0o700
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_SPECIALS = "!#$%*+-=?@^_"


class SecretFileError(Exception):
    """A secret file cannot be written or read where asked."""


def safe_file_name(*parts: str) -> str:
    """A file name made of ``parts`` with anything unusual replaced by ``-``."""
    name = "-".join(_SAFE_NAME.sub("-", p).strip("-.") for p in parts if p)
    return name[:200] or "secret"


def write_secret(path: Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` with mode 0600 (replacing a file that is there)."""
    path = path.expanduser().absolute()
    if path.is_dir():
        raise SecretFileError(f"{path} is a directory; give a file path")
    if path.exists() and not path.is_file():
        raise SecretFileError(f"{path} exists and is not a regular file")
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    # mkstemp creates the file with mode 0600, before any byte is written.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, SECRET_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_secret(path: Path) -> str:
    """The content of a secret file (for an operation that needs the secret itself)."""
    try:
        return path.read_text()
    except OSError as exc:
        raise SecretFileError(f"cannot read the secret file {path}: {exc.strerror}") from None


def remove_secret(path: Path) -> None:
    """Delete a secret file if it is there."""
    path.unlink(missing_ok=True)


def generate_password(length: int = 24) -> str:
    """A random password with lower and upper case letters, digits and a special character."""
    if length < 8:
        raise ValueError("a password needs at least 8 characters")
    alphabet = string.ascii_letters + string.digits + _SPECIALS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(password) is None:
            return password


def password_problem(password: str) -> str | None:
    """Why ``password`` breaks the Scaleway database password rules, or None."""
    if not 8 <= len(password) <= 128:
        return "must be 8 to 128 characters long"
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        return "must not contain control characters"
    kinds = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if not all(kinds):
        return "needs a lowercase letter, an uppercase letter, a digit and a special character"
    return None
