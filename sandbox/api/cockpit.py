"""Cockpit v1 (regional): the Alert manager, its preconfigured alert rules and email contact points.

One record of kind ``cockpit_alert_manager`` per project and region holds whether the Alert
manager and managed alerts are on, the enabled rules, the contact points and the rules made
to fire (``set_alert_state``, driven by ``POST /_sandbox/cockpit/alerts``: the sandbox has no
metrics to evaluate). Paths and shapes follow the SDK's ``cockpit.v1`` marshalling.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.cockpit_rules import RULES, RULES_BY_ID, Rule
from sandbox.api.common import (
    Fields,
    is_uuid,
    json_response,
    query_bool,
    read_json,
    region_of,
    regional_page,
    stable_id,
    state_of,
)
from sandbox.state import DEFAULT_PROJECT_ID, Record, SandboxState
from sandbox.types import JSON

KIND = "cockpit_alert_manager"
BASE = "/cockpit/v1/regions/{region}"
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}\Z")
ALERT_STATES = ("inactive", "pending", "firing")


def _project(value: object) -> str:
    return value if isinstance(value, str) and value else DEFAULT_PROJECT_ID


def manager_of(state: SandboxState, region: str, project_id: str, *, keep: bool = True) -> Record:
    """The project's Alert manager record in ``region``: disabled until enabled. A new one is
    stored only with ``keep`` (a read of a never-used Alert manager stores nothing)."""
    record_id = stable_id("cockpit", project_id, region)
    with state.lock:
        record = state.get(KIND, record_id)
        if record is not None:
            return record
        now = state.now()
        record = Record(
            kind=KIND,
            id=record_id,
            location=region,
            project_id=project_id,
            name="alert-manager",
            tags=[],
            created_at=now,
            timeline=[(now, "ready")],
            data={"enabled": False, "managed": False, "rules": [], "contacts": [], "states": {}},
        )
        return state.add(record) if keep else record


def _manager_json(record: Record) -> JSON:
    enabled = bool(record.data["enabled"])
    url = (
        f"https://{record.id}.alertmanager.cockpit.{record.location}.scw.cloud" if enabled else None
    )
    return {
        "alert_manager_url": url,
        "alert_manager_enabled": enabled,
        "managed_alerts_enabled": bool(record.data["managed"]),
        "region": record.location,
    }


def _alert_json(record: Record, rule: Rule) -> JSON:
    enabled = rule.id in record.data["rules"]
    state = record.data["states"].get(rule.id, "inactive") if enabled else "inactive"
    return {
        "region": record.location,
        "preconfigured": True,
        "name": rule.display_name.replace(" ", ""),
        "rule": rule.expression,
        "duration": rule.duration,
        "rule_status": "enabled" if enabled else "disabled",
        "state": state,
        "annotations": {"summary": rule.display_name, "description": rule.description},
        "data_source_id": stable_id("cockpit-datasource", record.project_id, record.location),
        "preconfigured_data": {
            "preconfigured_rule_id": rule.id,
            "display_name": rule.display_name,
            "display_description": rule.description,
            "product_name": rule.product,
            "product_family": rule.family,
        },
    }


def _contact_json(record: Record, contact: JSON) -> JSON:
    return {
        "region": record.location,
        "send_resolved_notifications": contact["send_resolved_notifications"],
        "email": {"to": contact["email"]},
    }


def _require_enabled(record: Record) -> None:
    if not record.data["enabled"]:
        raise errors.precondition_failed(
            "alert_manager_disabled", "enable the Alert manager of this project and region first"
        )


async def _body_manager(request: Request) -> tuple[Record, Fields]:
    fields = Fields(await read_json(request))
    project = fields.data.get("project_id")
    if project is not None and not is_uuid(project):
        fields.fail("project_id", "format", "must be a valid UUID")
    fields.check()
    region = region_of(request)
    return manager_of(state_of(request), region, _project(project)), fields


def _query_manager(request: Request) -> Record:
    project = request.query_params.get("project_id")
    if project and not is_uuid(project):
        raise errors.invalid_argument("project_id", "format", "must be a valid UUID")
    return manager_of(state_of(request), region_of(request), _project(project), keep=False)


def _email(fields: Fields) -> str:
    email = fields.obj("email")
    to = (email or {}).get("to")
    if email is None:
        fields.fail("email", "required", "a contact point needs an email configuration")
    elif not isinstance(to, str) or not EMAIL_RE.match(to):
        fields.fail("email.to", "format", "must be a valid email address")
    fields.check()
    return str(to).lower()


async def get_alert_manager(request: Request) -> Response:
    """GET /alert-manager."""
    return json_response(_manager_json(_query_manager(request)))


async def enable_alert_manager(request: Request) -> Response:
    """POST /alert-manager/enable."""
    record, _ = await _body_manager(request)
    record.data["enabled"] = True
    return json_response(_manager_json(record))


async def disable_alert_manager(request: Request) -> Response:
    """POST /alert-manager/disable: contact points go, managed alerts and rules go off."""
    record, _ = await _body_manager(request)
    record.data.update(enabled=False, managed=False, rules=[], contacts=[], states={})
    return json_response(_manager_json(record))


async def enable_managed_alerts(request: Request) -> Response:
    """POST /alert-manager/managed-alerts/enable (deprecated upstream, still served)."""
    record, _ = await _body_manager(request)
    _require_enabled(record)
    record.data["managed"] = True
    return json_response(_manager_json(record))


async def disable_managed_alerts(request: Request) -> Response:
    """POST /alert-manager/managed-alerts/disable."""
    record, _ = await _body_manager(request)
    record.data["managed"] = False
    return json_response(_manager_json(record))


def _rule_ids(fields: Fields) -> list[str]:
    ids = fields.str_list("rule_ids")
    fields.check()
    unknown = [i for i in ids or [] if i not in RULES_BY_ID]
    if unknown:
        raise errors.invalid_argument(
            "rule_ids", "constraint", f"unknown preconfigured rule id(s): {', '.join(unknown)}"
        )
    return list(ids) if ids else [rule.id for rule in RULES]


async def enable_alert_rules(request: Request) -> Response:
    """POST /alert-manager/enable-alert-rules: only the newly enabled ids come back."""
    record, fields = await _body_manager(request)
    wanted = _rule_ids(fields)
    _require_enabled(record)
    new = [i for i in wanted if i not in record.data["rules"]]
    record.data["rules"] = [*record.data["rules"], *new]
    record.data["managed"] = True
    return json_response({"enabled_rule_ids": new})


async def disable_alert_rules(request: Request) -> Response:
    """POST /alert-manager/disable-alert-rules: only the newly disabled ids come back."""
    record, fields = await _body_manager(request)
    wanted = _rule_ids(fields)
    gone = [i for i in wanted if i in record.data["rules"]]
    record.data["rules"] = [i for i in record.data["rules"] if i not in gone]
    return json_response({"disabled_rule_ids": gone})


async def rules_count(request: Request) -> Response:
    """GET /rules/count."""
    record = _query_manager(request)
    enabled = len(record.data["rules"])
    source = stable_id("cockpit-datasource", record.project_id, record.location)
    return json_response(
        {
            "rules_count_by_datasource": [
                {
                    "data_source_id": source,
                    "data_source_name": "Scaleway Metrics",
                    "rules_count": enabled,
                }
            ],
            "preconfigured_rules_count": enabled,
            "custom_rules_count": 0,
        }
    )


async def list_alerts(request: Request) -> Response:
    """GET /alerts: the preconfigured rules with their status and state (no pagination)."""
    record = _query_manager(request)
    params = request.query_params
    status = params.get("rule_status")
    state = params.get("state")
    if status and status not in ("enabled", "disabled", "enabling", "disabling"):
        raise errors.invalid_argument("rule_status", "constraint", "unknown rule status")
    if state and state not in ALERT_STATES:
        raise errors.invalid_argument("state", "constraint", f"must be one of {list(ALERT_STATES)}")
    preconfigured = query_bool(request, "is_preconfigured")
    alerts = [_alert_json(record, rule) for rule in RULES] if preconfigured is not False else []
    alerts = [
        a
        for a in alerts
        if (not status or a["rule_status"] == status) and (not state or a["state"] == state)
    ]
    return json_response({"alerts": alerts, "total_count": len(alerts)})


async def list_contact_points(request: Request) -> Response:
    """GET /alert-manager/contact-points."""
    record = _query_manager(request)
    items = [_contact_json(record, c) for c in record.data["contacts"]]
    body = regional_page(request, "contact_points", items)
    body.update(has_additional_receivers=False, has_additional_contact_points=False)
    return json_response(body)


async def create_contact_point(request: Request) -> Response:
    """POST /alert-manager/contact-points: 409 for an address already there."""
    record, fields = await _body_manager(request)
    email = _email(fields)
    resolved = fields.bool("send_resolved_notifications", False)
    fields.check()
    _require_enabled(record)
    if any(c["email"] == email for c in record.data["contacts"]):
        raise errors.already_exists("contact_point", email, "this email is already a contact point")
    contact = {"email": email, "send_resolved_notifications": bool(resolved)}
    record.data["contacts"] = [*record.data["contacts"], contact]
    return json_response(_contact_json(record, contact))


async def delete_contact_point(request: Request) -> Response:
    """POST /alert-manager/contact-points/delete: 204, or 404 for an unknown address."""
    record, fields = await _body_manager(request)
    email = _email(fields)
    kept = [c for c in record.data["contacts"] if c["email"] != email]
    if len(kept) == len(record.data["contacts"]):
        raise errors.not_found("contact_point", email)
    record.data["contacts"] = kept
    return json_response(None, 204)


def set_alert_state(
    state: SandboxState, region: str, project_id: str, rule_id: str, alert_state: str
) -> JSON:
    """Make a preconfigured rule ``firing``, ``pending`` or ``inactive`` (the admin API)."""
    if rule_id not in RULES_BY_ID:
        raise errors.invalid_argument(
            "rule_id", "constraint", f"unknown rule; one of {list(RULES_BY_ID)}"
        )
    if alert_state not in ALERT_STATES:
        raise errors.invalid_argument("state", "constraint", f"must be one of {list(ALERT_STATES)}")
    with state.lock:
        record = manager_of(state, region, project_id)
        record.data["states"] = {**record.data["states"], rule_id: alert_state}
        return _alert_json(record, RULES_BY_ID[rule_id])


routes = [
    Route(f"{BASE}/alert-manager", get_alert_manager, methods=["GET"]),
    Route(f"{BASE}/alert-manager/enable", enable_alert_manager, methods=["POST"]),
    Route(f"{BASE}/alert-manager/disable", disable_alert_manager, methods=["POST"]),
    Route(f"{BASE}/alert-manager/managed-alerts/enable", enable_managed_alerts, methods=["POST"]),
    Route(f"{BASE}/alert-manager/managed-alerts/disable", disable_managed_alerts, methods=["POST"]),
    Route(f"{BASE}/alert-manager/enable-alert-rules", enable_alert_rules, methods=["POST"]),
    Route(f"{BASE}/alert-manager/disable-alert-rules", disable_alert_rules, methods=["POST"]),
    Route(f"{BASE}/alert-manager/contact-points", list_contact_points, methods=["GET"]),
    Route(f"{BASE}/alert-manager/contact-points", create_contact_point, methods=["POST"]),
    Route(f"{BASE}/alert-manager/contact-points/delete", delete_contact_point, methods=["POST"]),
    Route(f"{BASE}/rules/count", rules_count, methods=["GET"]),
    Route(f"{BASE}/alerts", list_alerts, methods=["GET"]),
]
