"""A batch's quota check, before any job exists: what it needs against what is left.

Scaleway's IAM quota API gives each quotum's limit (per zone, region or global), not usage,
so usage is what this key can list there. Object Storage's bucket limit is not in that API:
a bucket batch is not checked in advance (a child past it fails with the API's error).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from mcp_front.errors import ToolInputError
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import Forbidden
from workers.scaleway.instance import list_servers
from workers.scaleway.network import list_private_networks
from workers.scaleway.quotas import get_quotum, quotum_limit

logger = logging.getLogger(__name__)

Count = Callable[[ScalewayClient, str], Awaitable[int]]


async def _servers_in(client: ScalewayClient, zone: str) -> int:
    # The Instance API sends the total in a header, which the SDK passes on as text.
    return int((await list_servers(client, zone, page=1, page_size=1)).total_count)


async def _networks_in(client: ScalewayClient, region: str) -> int:
    return int((await list_private_networks(client, region, page=1, page_size=1)).total_count)


@dataclass(frozen=True, slots=True)
class QuotaRule:
    """The quotum a kind of child counts against, where (``zone`` or ``region`` field of its
    parameters), what it is called, and how to count what exists there."""

    quotum: str
    place_field: str
    things: str
    count: Count


SERVERS = QuotaRule("instances_servers_per_zone", "zone", "servers", _servers_in)
PRIVATE_NETWORKS = QuotaRule("private_networks", "region", "private networks", _networks_in)


async def check_quota(
    client: ScalewayClient, rule: QuotaRule, children: Sequence[BaseModel], field: str
) -> None:
    """Refuse (ToolInputError on ``field``) a batch whose children exceed what the quotum
    leaves in any place. An unreadable quotum (no IAM read permission) is not checked."""
    needed = Counter(str(getattr(child, rule.place_field)) for child in children)
    try:
        quotum = await get_quotum(client, rule.quotum)
    except Forbidden as exc:
        logger.warning("quota %s not checked before the batch: %s", rule.quotum, exc)
        return
    if quotum is None:
        return
    for place, count in sorted(needed.items()):
        where = {rule.place_field: place}
        limit = quotum_limit(quotum, **where)
        if limit is None:
            continue
        current = await rule.count(client, place)
        left = max(0, limit - current)
        if count > left:
            raise ToolInputError(
                field,
                f"the batch needs {count} {rule.things} in {place} but quota {rule.quotum} "
                f"allows {limit} and {current} exist ({left} left); create at most {left}, "
                "free some, or ask Scaleway for a higher quota",
            )
