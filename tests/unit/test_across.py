"""Reading every zone: bounded concurrency, tagging, failures per place, secrets removed."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from mcp_front.tools.across import PLACES_AT_ONCE, gather
from workers.scaleway.errors import Transient

pytestmark = pytest.mark.anyio
PLACES = [f"zone-{n}" for n in range(3 * PLACES_AT_ONCE)]


async def test_places_are_read_at_most_a_few_at_a_time_and_failures_stay_per_place() -> None:
    active, most = 0, 0
    release = anyio.Event()

    async def fetch(place: str) -> tuple[list[dict[str, object]], int]:
        nonlocal active, most
        active += 1
        most = max(most, active)
        if active == PLACES_AT_ONCE:
            release.set()
        await release.wait()
        await anyio.lowlevel.checkpoint()
        active -= 1
        if place == "zone-3":
            raise Transient("503 from the API with key s3cr3t")
        return [{"name": f"server-{place}"}], 2 if place == "zone-5" else 1

    gathered = await gather(("s3cr3t",), "zone", PLACES, fetch)
    assert most == PLACES_AT_ONCE
    assert [i["zone"] for i in gathered.items] == [p for p in PLACES if p != "zone-3"]
    assert [f["zone"] for f in gathered.failed] == ["zone-3"]
    assert "s3cr3t" not in gathered.failed[0]["error"] and "503" in gathered.failed[0]["error"]
    assert gathered.truncated == ["zone-5"]
