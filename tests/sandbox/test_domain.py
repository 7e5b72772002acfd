"""Domains and DNS v2beta1 through the official SDK: zones, record changes, validation."""

from __future__ import annotations

import pytest
import scaleway
from scaleway.domain.v2beta1 import (
    DomainV2Beta1API,
    Record,
    RecordChange,
    RecordChangeAdd,
    RecordChangeDelete,
    RecordChangeSet,
    RecordIdentifier,
)
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock


def _record(name: str, kind: str, data: str, ttl: int = 300) -> Record:
    return Record(data=data, name=name, priority=0, ttl=ttl, type_=kind, id="")  # type: ignore[arg-type]


def _zone(api: DomainV2Beta1API, clock: ManualClock) -> str:
    zone = api.create_dns_zone(domain="example.com", subdomain="")
    assert zone.status == "pending"
    clock.advance(5)
    return "example.com"


def test_zone_goes_pending_then_active_and_is_listed(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = DomainV2Beta1API(mclient)
    name = _zone(api, clock)
    (zone,) = api.list_dns_zones(domain="", dns_zone=name).dns_zones
    assert zone.status == "active" and zone.ns == ["ns0.dom.scw.cloud", "ns1.dom.scw.cloud"]
    assert api.list_dns_zones(domain="other.org").dns_zones == []


def test_add_set_delete_records_put_the_zone_back_to_pending(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = DomainV2Beta1API(mclient)
    zone = _zone(api, clock)
    added = api.update_dns_zone_records(
        dns_zone=zone,
        changes=[
            RecordChange(add=RecordChangeAdd(records=[_record("www", "A", "51.15.0.1")])),
            RecordChange(add=RecordChangeAdd(records=[_record("www", "A", "51.15.0.2")])),
        ],
        disallow_new_zone_creation=True,
    )
    assert [r.data for r in added.records] == ["51.15.0.1", "51.15.0.2"]
    assert api.list_dns_zones(domain="", dns_zone=zone).dns_zones[0].status == "pending"
    clock.advance(5)

    api.update_dns_zone_records(
        dns_zone=zone,
        changes=[
            RecordChange(
                set_=RecordChangeSet(
                    id_fields=RecordIdentifier(name="www", type_="A"),  # type: ignore[arg-type]
                    records=[_record("www", "A", "51.15.0.9", 60)],
                )
            )
        ],
        disallow_new_zone_creation=True,
    )
    records = api.list_dns_zone_records(dns_zone=zone, name="www").records
    assert [(r.data, r.ttl) for r in records] == [("51.15.0.9", 60)]
    api.update_dns_zone_records(
        dns_zone=zone,
        changes=[RecordChange(delete=RecordChangeDelete(id=records[0].id))],
        disallow_new_zone_creation=True,
    )
    assert api.list_dns_zone_records(dns_zone=zone, name="").records == []


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (("www", "A", "not-an-ip"), "changes[0].add.records[0].data"),
        (("www", "AAAA", "1.2.3.4"), "changes[0].add.records[0].data"),
        (("www", "BOGUS", "x"), "changes[0].add.records[0].type"),
    ],
)
def test_bad_records_are_400_naming_the_field(
    mclient: scaleway.Client, clock: ManualClock, record: tuple[str, str, str], field: str
) -> None:
    api = DomainV2Beta1API(mclient)
    zone = _zone(api, clock)
    with pytest.raises(ScalewayException) as exc:
        api.update_dns_zone_records(
            dns_zone=zone,
            changes=[RecordChange(add=RecordChangeAdd(records=[_record(*record)]))],
            disallow_new_zone_creation=True,
        )
    assert exc.value.status_code == 400
    assert exc.value.response.json()["details"][0]["argument_name"] == field
    assert api.list_dns_zone_records(dns_zone=zone, name="").records == []
