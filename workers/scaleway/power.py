"""Driving a server to a power state across resumable steps, with polling and progress."""

from __future__ import annotations

from typing import Any

from jobs.models import Progress
from workers.cache import ReadCache
from workers.errors import PermanentError
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest
from workers.scaleway.servers import Move, get_server, next_move, state_text
from workers.steps import StepContext, Wait

# A server that ignores this many power actions is reported instead of nudged forever.
MAX_ACTIONS = 3


def services_of(ctx: StepContext) -> tuple[ScalewayClient, ReadCache]:
    """The Scaleway adapter and read cache of a step, or a clear error when not configured."""
    services: Any = ctx.services
    client = getattr(services, "scaleway", None)
    if client is None:
        raise PermanentError("the Scaleway adapter is not configured in this server")
    return client, services.read_cache


def poll_wait(ctx: StepContext, client: ScalewayClient, kind: str, phase: str, what: str) -> Wait:
    """Wait for the next poll of ``kind``: growing interval, deadline, progress message."""
    schedule = client.polling.for_kind(kind)
    key = f"polls_{phase}"
    polls = int(ctx.checkpoint.get(key, 0))
    started_key = f"since_{phase}"
    started = float(ctx.checkpoint.setdefault(started_key, ctx.now()))
    waited = ctx.now() - started
    if schedule.expired(waited):
        raise PermanentError(
            f"gave up after {waited:.0f}s while {phase}: {what}; the resource still exists"
        )
    ctx.checkpoint[key] = polls + 1
    message = f"{what}; {ctx.elapsed_s:.0f}s elapsed"
    return Wait(schedule.delay_s(polls), Progress(phase, message))


async def drive_power(
    ctx: StepContext, client: ScalewayClient, server: Any, target: str, *, phase: str
) -> Wait | None:
    """None when ``server`` is in ``target``; else send the needed action and wait a poll."""
    zone = str(server.zone)
    state = state_text(server.state)
    move = next_move(state, target)
    if move is Move.DONE:
        return None
    if move is Move.STUCK:
        raise PermanentError(
            f"server {server.id} is {state!r} and cannot be brought to {target!r}; "
            "check it in the Scaleway console"
        )
    if move in (Move.POWERON, Move.POWEROFF):
        sent = int(ctx.checkpoint.get("actions", 0))
        if sent >= MAX_ACTIONS:
            raise PermanentError(
                f"server {server.id} stayed {state!r} after {sent} {move.value} requests"
            )
        try:
            await client.read(
                client.instance.server_action, zone=zone, server_id=server.id, action=move.value
            )
        except InvalidRequest:
            # A retried action may land after the first one: accept it if the state moved.
            again = await get_server(client, zone, server.id)
            if next_move(state_text(again.state), target) not in (Move.WAIT, Move.DONE):
                raise
        await ctx.save(actions=sent + 1)
        state = "starting" if move is Move.POWERON else "stopping"
    detail = f" ({server.state_detail})" if server.state_detail and move is Move.WAIT else ""
    return poll_wait(ctx, client, "server", phase, f"server {server.name} is {state}{detail}")
