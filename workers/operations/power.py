"""Driving a server to a power state across resumable steps, with polling and progress."""

from __future__ import annotations

from typing import Any

from workers.errors import PermanentError
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest
from workers.scaleway.instance import Move, get_server, next_move, server_action, state_text
from workers.steps import StepContext, Wait

# A server that ignores this many power actions is reported instead of nudged forever.
MAX_ACTIONS = 3


async def drive_power(
    ctx: StepContext[Any], client: ScalewayClient, server: Any, target: str, *, phase: str
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
            await server_action(client, zone, server.id, move.value)
        except InvalidRequest:
            # A retried action may land after the first one: accept it if the state moved.
            again = await get_server(client, zone, server.id)
            if next_move(state_text(again.state), target) not in (Move.WAIT, Move.DONE):
                raise
        await ctx.save(actions=sent + 1)
        state = "starting" if move is Move.POWERON else "stopping"
    detail = f" ({server.state_detail})" if server.state_detail and move is Move.WAIT else ""
    what = f"server {server.name} is {state}{detail}"
    return poll_wait(ctx, PollKind.SERVER, phase, what)
