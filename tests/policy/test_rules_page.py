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


@pytest.mark.parametrize(
    ("key", "value", "accepted", "message"),
    [
        ("ratio_infant", "0", False, "Enter a whole number from 1 to 20."),  # a ratio of 1:0
        ("ratio_infant", "1", True, None),
        ("ratio_infant", "20", True, None),
        ("ratio_infant", "21", False, "Enter a whole number from 1 to 20."),
        ("ratio_toddler", "-5", False, "Enter a whole number from 1 to 20."),
        ("ratio_older", "7.5", False, "Enter a whole number from 1 to 20."),
        ("fever_celsius", "36.4", False, "Enter a number from 36.5 to 39."),
        ("fever_celsius", "36.5", True, None),
        ("fever_celsius", "39", True, None),
        ("filed_capacity", "0", False, "Enter a whole number from 1 to 2000."),
        ("absence_cutoff", "9:30am", False, "Enter a time as HH:MM."),
        ("absence_cutoff", "07:30", False, "must fall within the opening hours"),  # the opening time itself
        ("absence_cutoff", "07:31", True, None),
        ("midday_check_due", "17:30", True, None),  # closing time
        ("midday_check_due", "17:31", False, "must fall within the opening hours"),
        ("half_day_max_hours", "8", True, None),
        ("outbreak_three_days", "3", True, None),  # the same-day count is 3
        ("outbreak_three_days", "2", False, "cannot be smaller than the same-day count"),
        ("outbreak_same_day", "6", False, "cannot be smaller than the same-day count"),
    ],
)
def test_rule_values_are_kept_within_sane_ranges(client_for, world, session, key, value, accepted, message):
    response = client_for(world.director).post(f"/settings/rules/{key}", {"value": value, "reason": "市卫健委通知"})
    assert response.status_code == (303 if accepted else 400)
    stored = session.exec(select(PolicyOverride.key)).all()
    assert stored == ([key] if accepted else [])
    if message:
        error = response.text.split('id="value-error"')[1].split("</p>")[0]
        assert message in error


def test_a_half_day_longer_than_the_full_day_is_refused(client_for, world, session):
    client = client_for(world.director)
    assert client.post("/settings/rules/full_day_end", {"value": "12:00", "reason": "半日园"}).status_code == 400  # cut-offs after noon
    for key, value in (("outdoor_warn_from", "11:00"), ("midday_check_due", "11:30"), ("afternoon_absence_cutoff", "11:30")):
        assert client.post(f"/settings/rules/{key}", {"value": value, "reason": "半日园"}).status_code == 303, key
    # 07:30 to 12:00 is four and a half hours: a half day of 5 hours does not fit, one of 4 does.
    response = client.post("/settings/rules/full_day_end", {"value": "12:00", "reason": "半日园"})
    assert response.status_code == 400 and "A half day cannot be longer than the full day." in response.text
    assert client.post("/settings/rules/half_day_max_hours", {"value": "4", "reason": "半日园"}).status_code == 303
    assert client.post("/settings/rules/full_day_end", {"value": "12:00", "reason": "半日园"}).status_code == 303
