"""Database failures in plain words: "job database: disk full", not an OperationalError.

Mapped by the driver's error code (SQLite's extended result name, PostgreSQL's SQLSTATE),
never by message text. A constraint violation is not translated: the store handles it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from jobs.errors import DatabaseError

# SQLite result names (prefix before any extended suffix) and PostgreSQL SQLSTATEs.
_SQLITE: dict[str, str] = {
    "SQLITE_FULL": "disk full",
    "SQLITE_BUSY": "locked by another process (busy for longer than the timeout)",
    "SQLITE_LOCKED": "locked by another process (busy for longer than the timeout)",
    "SQLITE_READONLY": "read-only (the file or its folder cannot be written)",
    "SQLITE_CANTOPEN": "cannot open the file (its folder is missing or not writable)",
    "SQLITE_NOTADB": "the file is not a job database (corrupt or something else)",
    "SQLITE_CORRUPT": "the file is corrupt",
    "SQLITE_IOERR": "input/output error on the file (disk failing or removed?)",
    "SQLITE_PERM": "permission denied",
}
_POSTGRES: dict[str, str] = {
    "53100": "disk full",
    "53200": "the server is out of memory",
    "53300": "too many connections",
    "55P03": "locked by another process",
    "25006": "read-only (a standby or a read-only transaction)",
    "28P01": "wrong password",
    "28000": "access refused",
    "3D000": "no such database",
    "57P01": "the server is shutting down",
    "57P03": "the server is starting up or not accepting connections",
}


def plain_reason(exc: BaseException) -> str:
    """What went wrong with the database, in a few words."""
    orig = getattr(exc, "orig", exc)
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, reason in _SQLITE.items():
            if name == prefix or name.startswith(prefix + "_"):
                return reason
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(code, str) and code in _POSTGRES:
        return _POSTGRES[code]
    if isinstance(orig, OSError) or isinstance(exc, sa_exc.InterfaceError):
        return f"unreachable ({orig})"
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


@contextmanager
def translated() -> Iterator[None]:
    """Raise DatabaseError("job database: …") for a failure of the database itself."""
    try:
        yield
    except sa_exc.IntegrityError:
        raise
    except (sa_exc.DBAPIError, OSError) as exc:
        raise DatabaseError(f"job database: {plain_reason(exc)}") from exc
