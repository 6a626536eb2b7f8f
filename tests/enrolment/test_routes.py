"""Enrolment pages: enrol with BLOCKs and overrides, waitlist and placing, transfer, withdrawal, editing."""

from datetime import timedelta

import pytest
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_today
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus, HalfDaySession, RoomTransfer
from nursery_ops.enrolment.service import child_enrolment_panel
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.rooms.models import RoomType
from tests import factories as f

TODAY = local_today()


def fresh(session):
    """End the test's read transaction so it sees what the requests committed."""
    session.commit()
    session.expire_all()


def enrolments_of(session, child):
    fresh(session)
    return list(session.exec(select(Enrolment).where(Enrolment.child_id == child.id).order_by(Enrolment.id)).all())


def audit_entries(session, action):
    fresh(session)
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def enrol_form(place, **changes):
    data = {
        "room": str(place.id) if place is not None else "waitlist",
        "care_type": "full_day",
        "schedule_days": ["1", "2", "3", "4", "5"],
        "start_date": TODAY.isoformat(),
        "applied_on": (TODAY - timedelta(days=3)).isoformat(),
        "agreement_signed_on": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def infant_room(session):
    room = f.make_room(session, "C 乳儿班", RoomType.infant)
    session.commit()
    return room


@pytest.fixture
def mixed_room(session):
    room = f.make_room(session, "D 混合班", RoomType.mixed)
    session.commit()
    return room


# --- Enrol ---------------------------------------------------------------


def test_director_enrols_a_child_into_a_fitting_room(world, client_for, session, infant_room):
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    response = client_for(world.director).post(f"/children/{baby.id}/enrol", enrol_form(infant_room, agreement_signed_on=TODAY.isoformat()))
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/children/{baby.id}")
    [enrolment] = enrolments_of(session, baby)
    assert (enrolment.status, enrolment.room_id, enrolment.schedule_days) == (EnrolmentStatus.enrolled, infant_room.id, "12345")
    assert enrolment.applied_on == TODAY - timedelta(days=3)
    assert enrolment.agreement_signed_on == TODAY
    [entry] = audit_entries(session, "enrolment_created")
    assert (entry.child_id, entry.actor_id) == (baby.id, world.director.id)
    assert audit_entries(session, "override") == []


def test_enrol_form_offers_rooms_and_the_waitlist(world, client_for, session):
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    page = client_for(world.director).get(f"/children/{baby.id}/enrol").text
    assert "A 托小班" in page and "Waitlist (no room yet)" in page
    assert 'name="schedule_days" value="1" checked' in page


def test_blank_applied_on_means_today(world, client_for, session, infant_room):
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    client_for(world.director).post(f"/children/{baby.id}/enrol", enrol_form(infant_room, applied_on=""))
    assert enrolments_of(session, baby)[0].applied_on == TODAY


def test_half_day_keeps_its_session(world, client_for, session, infant_room):
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    data = enrol_form(infant_room, care_type="half_day", half_day_session="afternoon", schedule_days=["2", "4"])
    assert client_for(world.director).post(f"/children/{baby.id}/enrol", data).status_code == 303
    [enrolment] = enrolments_of(session, baby)
    assert (enrolment.care_type, enrolment.half_day_session, enrolment.schedule_days) == (
        CareType.half_day, HalfDaySession.afternoon, "24")


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_enrols(world, client_for, session, infant_room, who):
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    client = client_for(getattr(world, who))
    assert client.get(f"/children/{baby.id}/enrol").status_code == 403
    assert client.post(f"/children/{baby.id}/enrol", enrol_form(infant_room)).status_code == 403
    assert client.get("/waitlist").status_code == 403
    assert enrolments_of(session, baby) == []


def test_anonymous_is_sent_to_sign_in(anonymous, world):
    for url in (f"/children/{world.child_x.id}/enrol", "/waitlist"):
        response = anonymous.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"schedule_days": []}, "schedule_days", "Choose at least one day of the week."),
        ({"care_type": "half_day"}, "half_day_session", "A half-day place needs a morning or afternoon session."),
        ({"applied_on": (TODAY + timedelta(days=1)).isoformat()}, "applied_on", "This date cannot be in the future."),
        ({"agreement_signed_on": (TODAY + timedelta(days=1)).isoformat()}, "agreement_signed_on", "This date cannot be in the future."),
        ({"start_date": "next week"}, "start_date", "Enter a date as YYYY-MM-DD."),
        ({"start_date": ""}, "start_date", "This field is required."),
        ({"care_type": "overnight"}, "care_type", "Choose one of the options."),
        ({"room": "9999"}, "room", "Choose an active room."),
    ],
)
def test_bad_enrolment_is_refused_next_to_the_field(world, client_for, session, infant_room, changes, field, message):
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    response = client_for(world.director).post(f"/children/{baby.id}/enrol", enrol_form(infant_room, **changes))
    assert response.status_code == 400
    assert f'<p class="field-error" id="{field}-error" role="alert">{message}</p>' in response.text
    assert enrolments_of(session, baby) == []
    assert audit_entries(session, "enrolment_created") == []


def test_unknown_child_is_404(world, client_for):
    client = client_for(world.director)
    assert client.get("/children/9999/enrol").status_code == 404
    assert client.post("/children/9999/enrol", enrol_form(world.room_a)).status_code == 404


def test_a_second_open_enrolment_is_a_clear_error(world, client_for, session):
    response = client_for(world.director).post(f"/children/{world.child_x.id}/enrol", enrol_form(world.room_a))
    assert response.status_code == 400
    assert "This child already has an open enrolment" in response.text
    assert 'name="override_reason"' not in response.text
    assert len(enrolments_of(session, world.child_x)) == 1


def test_the_open_enrolment_index_is_caught_cleanly(world, session):
    """A race past the check still ends in the clear error (uq_enrolment_open_child)."""
    from unittest import mock

    from nursery_ops.auth.service import CurrentPerson
    from nursery_ops.enrolment import service
    from nursery_ops.enrolment.forms import EnrolForm

    data = EnrolForm.model_validate(enrol_form(world.room_a, schedule_days=[1, 2]))
    me = CurrentPerson(world.director, frozenset(), "x")
    with mock.patch.object(service, "open_enrolment", return_value=None):
        outcome = service.enrol_child(session, me, world.child_x, data, TODAY, DEFAULT_POLICY)
    assert outcome.errors == {"__all__": service.DUPLICATE}
    assert len(enrolments_of(session, world.child_x)) == 1


def _full_infant_room(session, infant_room):
    infant_room.capacity = 1
    session.add(infant_room)
    f.enrol(session, f.make_child(session, "周小宝", months=9), infant_room)
    return infant_room


BLOCK_CASES = [
    # (name, months, room, expected message)
    ("infant into 托大班", 8, lambda world, session, rooms: world.room_b, "This room takes children from 24 to under 36 months"),
    ("17 months into a mixed room", 17, lambda world, session, rooms: rooms["mixed"], "This room takes children from 18 to under 36 months"),
    ("room at its cap", 8, lambda world, session, rooms: _full_infant_room(session, rooms["infant"]), "This room is full: 1 of 1 places are taken."),
    ("5 months old", 5, lambda world, session, rooms: rooms["infant"], "Children under 6 months are not admitted."),
    ("36 months old", 36, lambda world, session, rooms: world.room_b, "At 36 months a child moves on to kindergarten"),
]


@pytest.mark.parametrize(("case", "months", "room_for", "message"), BLOCK_CASES, ids=[case[0] for case in BLOCK_CASES])
def test_blocked_enrolment_is_refused_then_saved_with_an_override(
    world, client_for, session, infant_room, mixed_room, case, months, room_for, message
):
    room = room_for(world, session, {"infant": infant_room, "mixed": mixed_room})
    child = f.make_child(session, "钱小宝", months=months)
    session.commit()
    client = client_for(world.director)

    refused = client.post(f"/children/{child.id}/enrol", enrol_form(room))
    assert refused.status_code == 400
    assert message in refused.text
    assert 'name="override_reason"' in refused.text
    assert enrolments_of(session, child) == []

    no_reason = client.post(f"/children/{child.id}/enrol", enrol_form(room, override_reason="  "))
    assert no_reason.status_code == 400
    assert "To go ahead anyway, write the reason for the override." in no_reason.text
    assert enrolments_of(session, child) == []

    saved = client.post(f"/children/{child.id}/enrol", enrol_form(room, override_reason="区卫健委书面同意"))
    assert saved.status_code == 303
    [enrolment] = enrolments_of(session, child)
    assert enrolment.room_id == room.id
    [override] = audit_entries(session, "override")
    assert override.reason == "区卫健委书面同意"
    assert override.child_id == child.id and override.entity_id == enrolment.id
    assert any(decision["mode"] == "block" for decision in override.after["decisions"])


def test_waitlist_place_for_a_child_too_young_at_the_wished_start_is_blocked(world, client_for, session):
    baby = f.make_child(session, "钱小宝", months=3)
    session.commit()
    response = client_for(world.director).post(f"/children/{baby.id}/enrol", enrol_form(None))
    assert response.status_code == 400
    assert "Children under 6 months are not admitted." in response.text
    later = (TODAY + timedelta(days=120)).isoformat()
    assert client_for(world.director).post(f"/children/{baby.id}/enrol", enrol_form(None, start_date=later)).status_code == 303
    [enrolment] = enrolments_of(session, baby)
    assert (enrolment.status, enrolment.room_id) == (EnrolmentStatus.waitlisted, None)


# --- Waitlist and placing ---------------------------------------------------------------


def test_waitlist_is_in_order_of_application(world, client_for, session, infant_room):
    applied = {"晚申请": 5, "早申请乙": 20, "早申请甲": 20, "最早": 40}
    for name, days_ago in applied.items():
        child = f.make_child(session, name, months=9)
        f.enrol(session, child, None, status=EnrolmentStatus.waitlisted, start_date=TODAY + timedelta(days=10),
                applied_on=TODAY - timedelta(days=days_ago))
    session.commit()
    page = client_for(world.director).get("/waitlist").text
    positions = [page.index(name) for name in ("最早", "早申请乙", "早申请甲", "晚申请")]
    assert positions == sorted(positions)
    # Hints: a 9-month-old fits the infant room, not the 托小班.
    assert f'/place?room_id={infant_room.id}"' in page
    assert f'/place?room_id={world.room_a.id}"' not in page
    assert "Infant room (乳儿班)" in page


def test_director_places_a_waitlisted_child(world, client_for, session, infant_room):
    child = f.make_child(session, "钱小宝", months=9)
    waiting = f.enrol(session, child, None, status=EnrolmentStatus.waitlisted, start_date=TODAY)
    session.commit()
    client = client_for(world.director)
    assert client.get(f"/enrolments/{waiting.id}/place?room_id={infant_room.id}").status_code == 200
    start = (TODAY + timedelta(days=7)).isoformat()
    response = client.post(f"/enrolments/{waiting.id}/place", {"room_id": infant_room.id, "start_date": start})
    assert response.status_code == 303
    [enrolment] = enrolments_of(session, child)
    assert (enrolment.status, enrolment.room_id, enrolment.start_date.isoformat()) == (EnrolmentStatus.enrolled, infant_room.id, start)
    assert len(audit_entries(session, "enrolment_placed")) == 1


def test_placing_runs_the_same_blocks(world, client_for, session):
    child = f.make_child(session, "钱小宝", months=9)
    waiting = f.enrol(session, child, None, status=EnrolmentStatus.waitlisted, start_date=TODAY)
    session.commit()
    client = client_for(world.director)
    data = {"room_id": world.room_b.id, "start_date": TODAY.isoformat()}
    refused = client.post(f"/enrolments/{waiting.id}/place", data)
    assert refused.status_code == 400 and "This room takes children from 24" in refused.text
    assert enrolments_of(session, child)[0].status == EnrolmentStatus.waitlisted
    assert client.post(f"/enrolments/{waiting.id}/place", {**data, "override_reason": "双胞胎同班"}).status_code == 303
    assert enrolments_of(session, child)[0].room_id == world.room_b.id
    assert audit_entries(session, "override")[0].reason == "双胞胎同班"


def test_a_cap_check_counts_children_booked_to_start_later(world, client_for, session, infant_room):
    infant_room.capacity = 1
    session.add(infant_room)
    f.enrol(session, f.make_child(session, "周小宝", months=7), infant_room, start_date=TODAY + timedelta(days=30))
    baby = f.make_child(session, "钱小宝", months=8)
    session.commit()
    response = client_for(world.director).post(f"/children/{baby.id}/enrol", enrol_form(infant_room))
    assert response.status_code == 400
    assert "This room is full" in response.text


# --- Transfer ---------------------------------------------------------------


def enrolment_x(session, world):
    return enrolments_of(session, world.child_x)[0]


def test_director_transfers_a_child_to_a_fitting_room(world, client_for, session, mixed_room):
    enrolment = enrolment_x(session, world)
    response = client_for(world.director).post(
        f"/enrolments/{enrolment.id}/transfer",
        {"room_id": mixed_room.id, "on_date": TODAY.isoformat(), "reason": "家长要求"},
    )
    assert response.status_code == 303
    assert enrolment_x(session, world).room_id == mixed_room.id
    [move] = session.exec(select(RoomTransfer)).all()
    assert (move.from_room_id, move.to_room_id, move.reason) == (world.room_a.id, mixed_room.id, "家长要求")
    [entry] = audit_entries(session, "room_transfer")
    assert entry.child_id == world.child_x.id and entry.before["room_id"] == world.room_a.id


def test_transfer_outside_the_band_needs_an_override(world, client_for, session):
    enrolment = enrolment_x(session, world)
    client = client_for(world.director)
    data = {"room_id": world.room_b.id, "on_date": TODAY.isoformat(), "reason": "家长要求"}
    refused = client.post(f"/enrolments/{enrolment.id}/transfer", data)
    assert refused.status_code == 400 and "This room takes children from 24" in refused.text
    assert enrolment_x(session, world).room_id == world.room_a.id
    assert session.exec(select(RoomTransfer)).all() == []
    assert client.post(f"/enrolments/{enrolment.id}/transfer", {**data, "override_reason": "发育评估后同意"}).status_code == 303
    assert enrolment_x(session, world).room_id == world.room_b.id
    assert audit_entries(session, "override")[0].reason == "发育评估后同意"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": ""}, "reason", "This field is required."),
        ({"on_date": (TODAY - timedelta(days=365)).isoformat()}, "on_date", "The transfer date cannot be before"),
        ({"room_id": "same"}, "room_id", "The child is already in this room."),
        ({"on_date": (TODAY + timedelta(days=1)).isoformat()}, "on_date", "Record a transfer on the day it happens"),
    ],
)
def test_bad_transfer_is_refused(world, client_for, session, mixed_room, changes, field, message):
    enrolment = enrolment_x(session, world)
    data = {"room_id": mixed_room.id, "on_date": TODAY.isoformat(), "reason": "家长要求", **changes}
    if data["room_id"] == "same":
        data["room_id"] = world.room_a.id
    response = client_for(world.director).post(f"/enrolments/{enrolment.id}/transfer", data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert enrolment_x(session, world).room_id == world.room_a.id


# --- Withdrawal and editing ---------------------------------------------------------------


def test_director_withdraws_a_child_and_it_stays_in_the_history(world, client_for, session):
    enrolment = enrolment_x(session, world)
    client = client_for(world.director)
    assert client.get(f"/enrolments/{enrolment.id}/withdraw").status_code == 200
    response = client.post(f"/enrolments/{enrolment.id}/withdraw", {"end_date": TODAY.isoformat(), "reason": "搬家"})
    assert response.status_code == 303
    withdrawn = enrolment_x(session, world)
    assert (withdrawn.status, withdrawn.end_date, withdrawn.withdrawal_reason) == (EnrolmentStatus.withdrawn, TODAY, "搬家")
    assert len(audit_entries(session, "enrolment_withdrawn")) == 1
    panel = child_enrolment_panel(session, world.child_x, TODAY, DEFAULT_POLICY, can_edit=True)
    assert panel["current"] is None
    assert [e.id for e in panel["history"]] == [enrolment.id]
    assert (f"/children/{world.child_x.id}/enrol", "Enrol") in panel["actions"]
    # Withdrawn, the child may be enrolled again.
    again = client.post(f"/children/{world.child_x.id}/enrol", enrol_form(world.room_a, start_date=(TODAY + timedelta(days=30)).isoformat()))
    assert again.status_code == 303
    assert len(enrolments_of(session, world.child_x)) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"end_date": (TODAY - timedelta(days=31)).isoformat(), "reason": "搬家"}, "end_date", "The date cannot be before"),
        ({"end_date": TODAY.isoformat(), "reason": ""}, "reason", "This field is required."),
    ],
)
def test_bad_withdrawal_is_refused(world, client_for, session, data, field, message):
    enrolment = enrolment_x(session, world)
    response = client_for(world.director).post(f"/enrolments/{enrolment.id}/withdraw", data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert enrolment_x(session, world).status == EnrolmentStatus.enrolled


def test_director_edits_care_type_schedule_and_agreement(world, client_for, session):
    enrolment = enrolment_x(session, world)
    client = client_for(world.director)
    assert 'value="full_day" selected' in client.get(f"/enrolments/{enrolment.id}/edit").text
    response = client.post(f"/enrolments/{enrolment.id}/edit", {
        "care_type": "half_day", "half_day_session": "morning", "schedule_days": ["1", "3"],
        "agreement_signed_on": TODAY.isoformat(),
    })
    assert response.status_code == 303
    edited = enrolment_x(session, world)
    assert (edited.care_type, edited.half_day_session, edited.schedule_days, edited.agreement_signed_on) == (
        CareType.half_day, HalfDaySession.morning, "13", TODAY)
    [entry] = audit_entries(session, "enrolment_updated")
    assert entry.before["care_type"] == "full_day" and entry.after["care_type"] == "half_day"


def test_edit_without_a_weekday_is_refused(world, client_for, session):
    enrolment = enrolment_x(session, world)
    response = client_for(world.director).post(f"/enrolments/{enrolment.id}/edit", {"care_type": "full_day"})
    assert response.status_code == 400
    assert "Choose at least one day of the week." in response.text
    assert enrolment_x(session, world).schedule_days == "12345"


@pytest.mark.parametrize("action", ["edit", "place", "transfer", "withdraw"])
def test_enrolment_actions_are_for_the_director_and_unknown_ids_are_404(world, client_for, session, action):
    enrolment = enrolment_x(session, world)
    for who in (world.caregiver_a, world.health, world.parent_x):
        client = client_for(who)
        assert client.get(f"/enrolments/{enrolment.id}/{action}").status_code == 403
        assert client.post(f"/enrolments/{enrolment.id}/{action}", {}).status_code == 403
    director = client_for(world.director)
    assert director.get(f"/enrolments/9999/{action}").status_code == 404
    assert director.post(f"/enrolments/9999/{action}", {}).status_code == 404
    assert enrolment_x(session, world).status == EnrolmentStatus.enrolled


# --- The child record's panel ---------------------------------------------------------------


def test_panel_shows_the_checklist_and_only_directors_get_actions(world, session):
    enrolment = enrolment_x(session, world)
    panel = child_enrolment_panel(session, world.child_x, TODAY, DEFAULT_POLICY)
    assert panel["current"].id == enrolment.id and panel["room"].id == world.room_a.id
    assert panel["actions"] == [] and not panel["admission_complete"]
    missing = {item.key for item in panel["checklist"] if not item.done}
    assert missing == {"agreement", "entry_exam", "vaccination", "emergency_contact", "consent"}

    f.complete_admission(session, world.child_x, enrolment, world.guardian_x)
    session.commit()
    panel = child_enrolment_panel(session, world.child_x, TODAY, DEFAULT_POLICY, can_edit=True)
    assert panel["admission_complete"]
    assert [url for url, _ in panel["actions"]] == [
        f"/enrolments/{enrolment.id}/edit", f"/enrolments/{enrolment.id}/transfer", f"/enrolments/{enrolment.id}/withdraw",
    ]


def test_the_child_record_shows_the_panel_with_links_to_fix_each_missing_item(world, session, client_for):
    panel = child_enrolment_panel(session, world.child_x, TODAY, DEFAULT_POLICY, can_edit=True)
    html = client_for(world.director).get(f"/children/{world.child_x.id}").text
    assert "Admission checklist" in html and "Incomplete" in html
    for anchor in ("#exams", "#vaccination", "#pickup", "#consent"):
        assert f'href="/children/{world.child_x.id}{anchor}"' in html
    assert f'href="/enrolments/{panel["current"].id}/edit"' in html
    assert "A 托小班" in html


def test_panel_suggests_a_room_before_a_band_change(world, session):
    from nursery_ops.children.rules import date_at_months

    child = f.make_child(session, "孙小宝", birth_date=date_at_months(TODAY + timedelta(days=30), -24))
    f.enrol(session, child, world.room_a)
    session.commit()
    panel = child_enrolment_panel(session, child, TODAY, DEFAULT_POLICY)
    advice = panel["band_change"]
    assert advice.change.on == TODAY + timedelta(days=30)
    assert [room.id for room in advice.rooms] == [world.room_b.id]
