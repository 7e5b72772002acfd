"""Alembic environment: runs on a connection handed over by jobs.migrate, or on a URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from jobs.database import create_database
from jobs.schema import metadata

config = context.config
target_metadata = metadata


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    db = create_database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_run_on)
    finally:
        await db.close()


connection = config.attributes.get("connection")
if connection is not None:
    _run_on(connection)
else:
    asyncio.run(_run_on_url(config.get_main_option("sqlalchemy.url") or ""))
