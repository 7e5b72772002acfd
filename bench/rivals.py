"""The comparison queues of ``bench.engine`` (the ``bench`` dependency group): huey on SQLite,
procrastinate on PostgreSQL, each with a no-op task, enqueued and drained like our jobs."""

from __future__ import annotations

import importlib.util
from typing import Any


def installed(name: str) -> bool:
    """Whether a rival package is importable (``uv sync --group bench``)."""
    return importlib.util.find_spec(name) is not None


def huey_app(path: str) -> tuple[Any, Any]:
    """A huey on a SQLite file (WAL, fsync on, like our FULL) and its no-op task."""
    from huey import SqliteHuey

    huey = SqliteHuey("bench", filename=path, fsync=True, results=False)
    return huey, huey.task(name="noop")(_noop)


def huey_enqueue(path: str, count: int) -> None:
    """Enqueue ``count`` no-op tasks."""
    _huey, noop = huey_app(path)
    for _ in range(count):
        noop()


def procrastinate_app(conninfo: str) -> Any:
    """A procrastinate app on PostgreSQL with one no-op task."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    app.task(name="noop")(_anoop)
    return app


async def procrastinate_prepare(conninfo: str, count: int) -> None:
    """Apply procrastinate's schema and defer ``count`` no-op jobs."""
    app = procrastinate_app(conninfo)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        task = app.tasks["noop"]
        for _ in range(count):
            await task.defer_async()


def _noop() -> None:
    return None


async def _anoop() -> None:
    return None
