"""Cockpit v1 through the official SDK: the Alert manager, preconfigured rules, firing alerts
made by the admin API, email contact points, their errors, and the state outliving a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import scaleway
from scaleway.cockpit.v1 import CockpitV1RegionalAPI, ContactPointEmail
from scaleway_core.api import ScalewayException

from sandbox.api.cockpit_rules import RULES
from sandbox.lifecycle import ManualClock
from sandbox.server import SandboxServer
from tests.sandbox.test_persistence import running

BASE = "/cockpit/v1/regions/fr-par"


def test_the_alert_manager_is_off_until_enabled_and_rules_need_it(
    client: scaleway.Client,
) -> None:
    api = CockpitV1RegionalAPI(client)
    manager = api.get_alert_manager(region="fr-par")
    assert not manager.alert_manager_enabled and manager.alert_manager_url is None
    with pytest.raises(ScalewayException) as refused:
        api.enable_alert_rules(region="fr-par")
    assert refused.value.status_code == 412

    enabled = api.enable_alert_manager(region="fr-par")
    assert enabled.alert_manager_enabled and enabled.alert_manager_url
    first = api.enable_alert_rules(region="fr-par", rule_ids=[RULES[0].id])
    assert first.enabled_rule_ids == [RULES[0].id]
    rest = api.enable_alert_rules(region="fr-par")
    assert sorted(rest.enabled_rule_ids) == sorted(r.id for r in RULES[1:])
    assert api.enable_alert_rules(region="fr-par").enabled_rule_ids == []
    assert api.get_rules_count(region="fr-par").preconfigured_rules_count == len(RULES)
    # Another region has its own Alert manager.
    assert not api.get_alert_manager(region="nl-ams").alert_manager_enabled


def test_alerts_list_rules_with_status_and_only_enabled_rules_fire(
    client: scaleway.Client, sb: SandboxServer
) -> None:
    api = CockpitV1RegionalAPI(client)
    api.enable_alert_manager(region="fr-par")
    api.enable_alert_rules(region="fr-par", rule_ids=[RULES[0].id])
    admin = f"{sb.api_url}/_sandbox/cockpit/alerts"
    for rule in RULES[:2]:
        fired = httpx.post(admin, json={"region": "fr-par", "rule_id": rule.id, "state": "firing"})
        assert fired.status_code == 200, fired.text

    alerts = api.list_alerts(region="fr-par", is_preconfigured=True).alerts
    assert len(alerts) == len(RULES)
    by_id = {a.preconfigured_data.preconfigured_rule_id: a for a in alerts}
    assert by_id[RULES[0].id].rule_status == "enabled" and by_id[RULES[0].id].state == "firing"
    # A disabled rule never fires, whatever its metrics say.
    assert by_id[RULES[1].id].rule_status == "disabled" and by_id[RULES[1].id].state == "inactive"
    firing = api.list_alerts(region="fr-par", state="firing").alerts
    assert [a.preconfigured_data.display_name for a in firing] == [RULES[0].display_name]
    assert api.list_alerts(region="fr-par", is_preconfigured=False).alerts == []

    httpx.post(admin, json={"region": "fr-par", "rule_id": RULES[0].id, "state": "inactive"})
    assert api.list_alerts(region="fr-par", state="firing").alerts == []
    unknown = httpx.post(admin, json={"rule_id": "nope", "state": "firing"})
    assert unknown.status_code == 400


def test_contact_points_are_created_listed_and_deleted_by_email(client: scaleway.Client) -> None:
    api = CockpitV1RegionalAPI(client)
    email = ContactPointEmail(to="ops@example.com")
    with pytest.raises(ScalewayException) as disabled:
        api.create_contact_point(region="fr-par", email=email)
    assert disabled.value.status_code == 412
    api.enable_alert_manager(region="fr-par")

    point = api.create_contact_point(region="fr-par", email=email, send_resolved_notifications=True)
    assert point.email.to == "ops@example.com" and point.send_resolved_notifications
    with pytest.raises(ScalewayException) as twice:
        api.create_contact_point(region="fr-par", email=email)
    assert twice.value.status_code == 409
    api.create_contact_point(region="fr-par", email=ContactPointEmail(to="oncall@example.com"))
    listed = api.list_contact_points(region="fr-par", page_size=1)
    assert listed.total_count == 2 and len(listed.contact_points) == 1
    assert not listed.has_additional_receivers

    api.delete_contact_point(region="fr-par", email=email)
    remaining = api.list_contact_points_all(region="fr-par")
    assert [p.email.to for p in remaining] == ["oncall@example.com"]
    with pytest.raises(ScalewayException) as gone:
        api.delete_contact_point(region="fr-par", email=email)
    assert gone.value.status_code == 404


def test_a_malformed_email_is_refused_naming_the_field(http: httpx.Client) -> None:
    http.post(f"{BASE}/alert-manager/enable", json={})
    bad = http.post(f"{BASE}/alert-manager/contact-points", json={"email": {"to": "not-an-email"}})
    assert bad.status_code == 400
    assert bad.json()["details"][0]["argument_name"] == "email.to"


def test_disabling_the_alert_manager_drops_contact_points_and_rules(
    client: scaleway.Client,
) -> None:
    api = CockpitV1RegionalAPI(client)
    api.enable_alert_manager(region="fr-par")
    api.enable_alert_rules(region="fr-par")
    api.create_contact_point(region="fr-par", email=ContactPointEmail(to="ops@example.com"))
    api.disable_alert_manager(region="fr-par")
    assert api.list_contact_points_all(region="fr-par") == []
    statuses = {a.rule_status for a in api.list_alerts(region="fr-par").alerts}
    assert statuses == {"disabled"}


def test_cockpit_state_outlives_a_restart(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "sandbox.db"
    with running(path, clock) as http:
        http.post(f"{BASE}/alert-manager/enable", json={})
        http.post(f"{BASE}/alert-manager/enable-alert-rules", json={"rule_ids": [RULES[2].id]})
        made = http.post(f"{BASE}/alert-manager/contact-points", json={"email": {"to": "a@b.io"}})
        assert made.status_code == 200, made.text

    with running(path, clock) as http:
        assert http.get(f"{BASE}/alert-manager").json()["alert_manager_enabled"] is True
        points = http.get(f"{BASE}/alert-manager/contact-points").json()["contact_points"]
        assert [p["email"]["to"] for p in points] == ["a@b.io"]
        rules = http.get(f"{BASE}/alerts", params={"rule_status": "enabled"}).json()["alerts"]
        assert [r["preconfigured_data"]["preconfigured_rule_id"] for r in rules] == [RULES[2].id]
