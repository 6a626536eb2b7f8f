"""The director changes a rule's number for a stricter local rule; the change is audited."""

import pytest
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.policy import ITEMS, PolicyOverride, load_policy


def test_every_rule_has_a_default_a_unit_and_a_source():
    for item in ITEMS:
        assert item.source and item.unit and item.description, item.key
        if item.minimum is not None:
            assert item.minimum <= item.default <= item.maximum, item.key


def test_the_director_sees_every_rule_with_its_source(client_for, world):
    response = client_for(world.director).get("/settings/rules")
    assert response.status_code == 200
    for item in ITEMS:
        assert f'id="rule-{item.key}"' in response.text
    assert "托育机构设置标准（试行）" in response.text


def test_a_stricter_cap_is_stored_with_its_reason_and_audited(client_for, world, session):
    response = client_for(world.director).post(
        "/settings/rules/infant_room_cap", {"value": "8", "reason": "市卫健委 2026 年通知"}
    )
    assert response.status_code == 303
    assert load_policy(session).infant_room_cap == 8
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "rule_changed")).one()
    assert entry.before == {"key": "infant_room_cap", "value": "10"} and entry.after == {"key": "infant_room_cap", "value": "8"} and entry.actor_id == world.director.id


def test_back_to_default(client_for, world, session):
    client = client_for(world.director)
    client.post("/settings/rules/infant_room_cap", {"value": "8", "reason": "local"})
    assert client.post("/settings/rules/infant_room_cap", {"reset": "1", "reason": "rule withdrawn"}).status_code == 303
    session.expire_all()
    assert load_policy(session).infant_room_cap == 10
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "rule_reset")).one().reason == "rule withdrawn"


@pytest.mark.parametrize(
    ("key", "value", "reason", "field"),
    [
        ("infant_room_cap", "ten", "local rule", "value"),
        ("infant_room_cap", "0", "local rule", "value"),
        ("infant_room_cap", "8", "", "reason"),
        ("toddler_from_months", "30", "local rule", "value"),  # would put 托小 after 托大
        ("fever_celsius", "37,5", "local rule", "value"),
        ("full_day_end", "07:00", "local rule", "value"),
    ],
)
def test_bad_values_are_refused_next_to_the_field(client_for, world, session, key, value, reason, field):
    response = client_for(world.director).post(f"/settings/rules/{key}", {"value": value, "reason": reason})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert session.exec(select(PolicyOverride)).all() == []


def test_an_unknown_rule_is_404(client_for, world):
    assert client_for(world.director).post("/settings/rules/no_such_rule", {"value": "1", "reason": "x"}).status_code == 404
