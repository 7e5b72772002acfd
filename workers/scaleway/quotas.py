"""The organization's quota limits over the adapter (IAM v1alpha1 ``get_quotum``).

The API gives limits, not usage: a caller counts what exists. The only module that names
IAM SDK methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import NotFound

if TYPE_CHECKING:
    from scaleway.iam.v1alpha1 import Quotum


async def get_quotum(client: ScalewayClient, name: str) -> Quotum | None:
    """The quotum called ``name``; None when the organization has no such quotum.

    Raises the adapter's errors otherwise (Forbidden without IAM read permission).
    """
    try:
        quotum: Quotum = await client.call_idempotent(client.iam.get_quotum, quotum_name=name)
    except NotFound:
        return None
    return quotum


def quotum_limit(
    quotum: Quotum, *, zone: str | None = None, region: str | None = None
) -> int | None:
    """The quotum's limit where it applies (its zone, region, or global); None when unlimited
    or not stated there."""
    for limit in quotum.limits:
        applies = (
            limit.global_
            or (zone is not None and limit.zone == zone)
            or (region is not None and limit.region == region)
        )
        if applies:
            return None if limit.unlimited else int(limit.limit or 0)
    return None
