"""A short fuzz run (the long one: ``python -m bench.fuzz``): hypothesis-generated hostile
arguments at every tool through a real MCP client; every answer a clean envelope, no job from an
invalid call."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio.to_thread
import pytest

from bench.fuzz import fuzz, generate_calls, product_client

pytestmark = pytest.mark.anyio
CALLS = 900


async def test_hostile_arguments_get_clean_envelopes_and_no_stray_jobs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with product_client(tmp_path) as product:
        tools = (await product.client.list_tools()).tools
        calls = await anyio.to_thread.run_sync(generate_calls, tools, CALLS, 12)
        assert {name for name, _ in calls} == {t.name for t in tools}
        tally = await fuzz(product.client, product.job_ids, calls)

    assert tally.calls == CALLS
    assert tally.broken == []
    assert tally.stray_jobs == 0
    assert tally.outcomes["success"] > 0 and tally.outcomes["error"] > 0
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
