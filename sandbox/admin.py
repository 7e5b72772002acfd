"""Admin endpoints under ``/_sandbox/`` (no auth, not counted) to steer a running sandbox.

- ``GET /_sandbox/info``: speed, seed, durations.
- ``GET /_sandbox/counters``: ``{"calls": {route: n}, "created": {kind: n}, "live": {kind: n}}``.
- ``GET|POST|DELETE /_sandbox/faults``: list, add (``{"route", "kind", "rate", "times",
  "latency_s", "retry_after_s"}``) or clear fault rules of the API (see :mod:`sandbox.faults`).
- ``GET|POST|DELETE /_sandbox/s3/faults``: the same for the S3 server (:mod:`sandbox.s3_layer`).
- ``POST /_sandbox/reset``: forget every resource, counter and fault (and S3 content).
- ``POST /_sandbox/resources/{kind}/{id}/status`` ``{"status": "error"}``: force a state.
- ``POST /_sandbox/registry/images`` ``{"namespace_id", "name", "tags"}``: fake a push.
- ``POST /_sandbox/cockpit/alerts`` ``{"region", "project_id", "rule_id", "state"}``: make a
  preconfigured Cockpit alert rule ``firing``, ``pending`` or ``inactive``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api import cockpit, serverless
from sandbox.api.common import Fields, json_response, known_region, read_json, state_of
from sandbox.api.registry import image_json, push_image
from sandbox.faults import FaultInjector, FaultKind
from sandbox.lifecycle import DURATIONS_S
from sandbox.state import DEFAULT_PROJECT_ID


async def info(request: Request) -> Response:
    """GET /_sandbox/info."""
    state = state_of(request)
    return json_response(
        {
            "sandbox": True,
            "speed": state.speed,
            "seed": state.seed,
            "durations_s": DURATIONS_S,
            "quotas": state.quotas,
        }
    )


async def counters(request: Request) -> Response:
    """GET /_sandbox/counters."""
    state = state_of(request)
    return json_response(
        {"calls": state.counters, "created": state.created_counts, "live": state.live_counts()}
    )


def _injector(request: Request) -> FaultInjector:
    if request.url.path.startswith("/_sandbox/s3/"):
        injector: FaultInjector | None = request.app.state.s3_faults
        if injector is None:
            raise errors.route_not_found()
        return injector
    return state_of(request).faults


async def list_faults(request: Request) -> Response:
    """GET /_sandbox/faults and /_sandbox/s3/faults."""
    return json_response({"faults": _injector(request).rules()})


async def add_fault(request: Request) -> Response:
    """POST /_sandbox/faults and /_sandbox/s3/faults."""
    fields = Fields(await read_json(request))
    route = fields.str("route", required=True)
    kind = fields.choice("kind", [k.value for k in FaultKind])
    if kind is None:
        fields.fail("kind", "required", f"one of {[k.value for k in FaultKind]}")
    rate = fields.number("rate", 1.0)
    times = fields.int("times", minimum=1)
    latency_s = fields.number("latency_s", 0.5)
    retry_after_s = fields.int("retry_after_s", 1, minimum=0)
    fields.check()
    try:
        rule = _injector(request).add(
            route,
            kind,
            rate or 0.0,
            times=times,
            latency_s=latency_s or 0.0,
            retry_after_s=retry_after_s,
        )
    except ValueError as exc:
        raise errors.invalid_argument("rate", "constraint", str(exc)) from None
    return json_response(rule.as_json(), 201)


async def clear_faults(request: Request) -> Response:
    """DELETE /_sandbox/faults and /_sandbox/s3/faults."""
    _injector(request).clear()
    return json_response(None, 204)


async def reset(request: Request) -> Response:
    """POST /_sandbox/reset."""
    state_of(request).reset()
    on_reset: Callable[[], None] | None = request.app.state.on_reset
    if on_reset is not None:
        on_reset()
    return json_response(None, 204)


async def force_status(request: Request) -> Response:
    """POST /_sandbox/resources/{kind}/{id}/status."""
    fields = Fields(await read_json(request))
    status = fields.str("status", required=True)
    fields.check()
    kind, record_id = request.path_params["kind"], request.path_params["id"]
    if not state_of(request).force_status(kind, record_id, status):
        raise errors.not_found(kind, record_id)
    return json_response({"kind": kind, "id": record_id, "status": status})


async def push(request: Request) -> Response:
    """POST /_sandbox/registry/images."""
    fields = Fields(await read_json(request))
    ns_id = fields.uuid("namespace_id", required=True)
    name = fields.str("name", required=True)
    tags = fields.str_list("tags") or ["latest"]
    fields.check()
    state = state_of(request)
    image = push_image(state, ns_id or "", name or "", tags)
    return json_response(image_json(state, image), 201)


async def alert_state(request: Request) -> Response:
    """POST /_sandbox/cockpit/alerts."""
    fields = Fields(await read_json(request))
    region = fields.str("region", default="fr-par")
    project_id = fields.uuid("project_id") or DEFAULT_PROJECT_ID
    rule_id = fields.str("rule_id", required=True)
    alert = fields.str("state", default="firing")
    fields.check()
    state = state_of(request)
    answer = cockpit.set_alert_state(state, known_region(region), project_id, rule_id, alert)
    return json_response(answer)


routes = [
    Route("/_sandbox/info", info, methods=["GET"]),
    Route("/_sandbox/counters", counters, methods=["GET"]),
    Route("/_sandbox/faults", list_faults, methods=["GET"]),
    Route("/_sandbox/faults", add_fault, methods=["POST"]),
    Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/_sandbox/s3/faults", list_faults, methods=["GET"]),
    Route("/_sandbox/s3/faults", add_fault, methods=["POST"]),
    Route("/_sandbox/s3/faults", clear_faults, methods=["DELETE"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
    Route("/_sandbox/resources/{kind}/{id}/status", force_status, methods=["POST"]),
    Route("/_sandbox/registry/images", push, methods=["POST"]),
    Route("/_sandbox/cockpit/alerts", alert_state, methods=["POST"]),
    Route("/_sandbox/function-code/{function_id}", serverless.put_function_code, methods=["PUT"]),
]
