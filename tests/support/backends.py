"""The job-store backends tests run on: a SQLite file, or a throwaway PostgreSQL database.

PostgreSQL comes from ``SCW_MCP_TEST_POSTGRES_URL`` (``.ci/postgres.sh`` starts a cluster
and sets it). Without it the PostgreSQL half is skipped with that reason on a workstation,
and fails in CI (``CI=true``): a missing server must never pass for a green run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy.engine import make_url

ENV_TEST_POSTGRES_URL = "SCW_MCP_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgres")

T = TypeVar("T")


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, even beside a running loop."""

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def postgres_admin_url() -> str:
    """The URL of the test cluster's maintenance database; skip or fail without one."""
    url = os.environ.get(ENV_TEST_POSTGRES_URL)
    if url:
        return url
    reason = f"{ENV_TEST_POSTGRES_URL} is not set; `source .ci/postgres.sh` starts a cluster"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must test PostgreSQL: {reason}")
    pytest.skip(reason)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_postgres_database(admin_url: str, *, template: str | None = None) -> str:
    """A new, empty (or copied from ``template``) database; returns its SQLAlchemy URL."""
    name = f"scw_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    run_sync(lambda: _admin(admin_url, f'CREATE DATABASE "{name}"{copy}'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    """Drop a database made by ``create_postgres_database``, closing its sessions."""
    name = make_url(url).database
    run_sync(lambda: _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
