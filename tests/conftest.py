"""Shared fixtures: settings over a temporary data dir, a running runtime, an MCP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from jobs.database import sqlite_url
from mcp_front.config import Settings, load_settings
from mcp_front.runtime import Runtime, open_runtime
from tests.support.backends import (
    BACKENDS,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)

FAKE_ENV = {
    "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
    "SCW_SECRET_KEY": "00000000-0000-0000-0000-000000000000",
    "SCW_DEFAULT_PROJECT_ID": "00000000-0000-0000-0000-000000000000",
    "SCW_DEFAULT_REGION": "fr-par",
    "SCW_DEFAULT_ZONE": "fr-par-1",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that asks for ``backend`` on each job-store backend.

    A test that reaches into the SQLite file itself (``db_path``) runs on SQLite only; a
    test may also name its backends with ``@pytest.mark.parametrize("backend", [...])``.
    """
    chosen = any(m.args[0] == "backend" for m in metafunc.definition.iter_markers("parametrize"))
    if "backend" in metafunc.fixturenames and not chosen:
        sqlite_only = "db_path" in metafunc.fixturenames
        metafunc.parametrize("backend", ["sqlite"] if sqlite_only else list(BACKENDS))


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty job database on ``backend``: a file in tmp_path or a new PostgreSQL database."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "jobs.db")
        return
    admin = postgres_admin_url()
    url = create_postgres_database(admin)
    yield url
    drop_postgres_database(admin, url)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings over ``tmp_path`` with fake credentials; keyword arguments add env vars."""

    def make(**env: str) -> Settings:
        base = {
            **FAKE_ENV,
            "HOME": str(tmp_path),
            "SCW_MCP_DATA_DIR": str(tmp_path / "data"),
            "SCW_MCP_POLL_INTERVAL_S": "0.2",
        }
        base.update(env)
        return load_settings(base)

    return make


@pytest.fixture
async def runtime(make_settings: Callable[..., Settings]) -> AsyncIterator[Runtime]:
    """A running runtime with the test-only operations loaded."""
    settings = make_settings(SCW_MCP_EXTRA_OPERATIONS="tests.support.counting_ops")
    async with open_runtime(settings) as rt:
        yield rt
