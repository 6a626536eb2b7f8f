"""The shared room tablet: PINs set by the director, unlocking, switching who acts, the idle lock."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from nursery_ops.attendance.models import MorningCheck
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import LoginSession, Role
from nursery_ops.clock import utcnow
from nursery_ops.rooms.tablet import ACTION_PRECISION, hash_pin
from nursery_ops.staff.models import PinFailure, TabletPin
from tests import factories as f


def give_pin(session, person, pin):
    session.add(TabletPin(person_id=person.id, pin_hash=hash_pin(pin)))
    session.commit()


def morning_check(client, world, child):
    return client.post(
        f"/rooms/{world.room_a.id}/children/{child.id}/morning-check", {"temperature": "36.6", "outcome": "admit"}
    )


def idle(session, minutes):
    session.exec(update(LoginSession).values(acting_seen_at=utcnow() - timedelta(minutes=minutes)))
    session.commit()


def test_the_director_sets_a_pin_stored_hashed_and_audited(client_for, world, session):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/pin", {"pin": "2468"})
    assert response.status_code == 303
    stored = session.get(TabletPin, world.caregiver_a.id)
    assert stored is not None and "2468" not in stored.pin_hash
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "tablet_pin_set")).one()
    assert entry.actor_id == world.director.id and "2468" not in str(entry.after)


@pytest.mark.parametrize("pin", ["12a4", "123", "123456789", ""])
def test_a_pin_is_four_to_eight_digits(client_for, world, session, pin):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/pin", {"pin": pin})
    assert response.status_code == 400 and "A PIN is 4 to 8 digits." in response.text
    assert session.get(TabletPin, world.caregiver_a.id) is None


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_sets_pins(client_for, world, who):
    assert client_for(getattr(world, who)).post(f"/staff/{world.caregiver_a.id}/pin", {"pin": "2468"}).status_code == 403


def test_an_idle_tablet_locks_and_a_pin_unlocks_it_for_that_person(client_for, world, session):
    second = f.make_person(session, "carer_a2", Role.caregiver, full_name="杨老师")
    f.assign(session, world.room_a, second)
    give_pin(session, second, "4321")
    tablet = client_for(world.caregiver_a)
    idle(session, 6)

    refused = morning_check(tablet, world, world.child_x)
    assert refused.status_code == 303 and refused.headers["location"] == f"/rooms/{world.room_a.id}/unlock"
    page = tablet.get(f"/rooms/{world.room_a.id}/unlock")
    assert page.status_code == 200 and "杨老师" in page.text

    unlocked = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": second.id, "pin": "4321"})
    assert unlocked.status_code == 303 and unlocked.headers["location"] == f"/rooms/{world.room_a.id}"
    morning_check(tablet, world, world.child_x)
    session.expire_all()
    # What is recorded now carries the person who unlocked, not the one signed in.
    assert [check.by_id for check in session.exec(select(MorningCheck)).all()] == [second.id]


def test_htmx_requests_on_a_locked_tablet_are_sent_to_the_pin_screen(client_for, world, session):
    tablet = client_for(world.caregiver_a)
    idle(session, 6)
    response = tablet.http.post(
        f"/rooms/{world.room_a.id}/children/{world.child_x.id}/morning-check",
        data={"temperature": "36.6", "outcome": "admit"},
        headers={"HX-Request": "true", "X-CSRF-Token": tablet.token},
    )
    assert response.headers["HX-Redirect"] == f"/rooms/{world.room_a.id}/unlock"


def test_the_directors_own_sessions_do_not_lock(client_for, world, session):
    director = client_for(world.director)
    idle(session, 60)
    assert morning_check(director, world, world.child_x).headers.get("location") != f"/rooms/{world.room_a.id}/unlock"


def test_a_wrong_pin_is_counted_and_five_are_throttled(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    tablet = client_for(world.caregiver_a)
    for _ in range(5):
        response = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "9999"})
        assert response.status_code == 400 and "This PIN is not right" in response.text
    assert len(session.exec(select(PinFailure)).all()) == 5
    right = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"})
    assert right.status_code == 429 and "Too many wrong PINs" in right.text


def test_the_pin_of_another_rooms_caregiver_does_not_unlock(client_for, world, session):
    give_pin(session, world.caregiver_b, "5555")
    tablet = client_for(world.caregiver_a)
    page = tablet.get(f"/rooms/{world.room_a.id}/unlock")
    assert "陈老师" not in page.text  # caregiver_b works in room B
    response = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_b.id, "pin": "5555"})
    assert response.status_code == 400
    session.expire_all()
    assert session.exec(select(LoginSession.acting_person_id)).all() == [None]


@pytest.mark.parametrize("pin", ["", "12", "abcd"])
def test_a_malformed_pin_is_refused_next_to_the_field(client_for, world, session, pin):
    give_pin(session, world.caregiver_a, "1111")
    response = client_for(world.caregiver_a).post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": pin})
    assert response.status_code == 400 and 'id="pin-error"' in response.text


def test_unknown_room_is_404(client_for, world):
    assert client_for(world.caregiver_a).get("/rooms/999/unlock").status_code == 404


def seen_at(session):
    session.rollback()
    session.expire_all()
    return session.exec(select(LoginSession.acting_seen_at)).one()


# ---------------------------------------------------------------- wrong PINs, counted per person too


def wrong_pins(tablet, world, person, count=5):
    for _ in range(count):
        response = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": person.id, "pin": "9999"})
        assert response.status_code == 400


def test_signing_in_again_does_not_reset_the_count_of_wrong_pins_for_a_person(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    wrong_pins(client_for(world.caregiver_a), world, world.caregiver_a)
    again = client_for(world.caregiver_a)  # a fresh sign-in: a new login session
    right = again.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"})
    assert right.status_code == 429 and "Wait 15 min" in right.text
    session.expire_all()
    assert session.exec(select(LoginSession.acting_person_id)).all() == [None, None]


def test_another_persons_pin_is_not_held_back_by_someone_elses_failures(client_for, world, session):
    second = f.make_person(session, "carer_a2", Role.caregiver, full_name="杨老师")
    f.assign(session, world.room_a, second)
    give_pin(session, world.caregiver_a, "1111")
    give_pin(session, second, "4321")
    wrong_pins(client_for(world.caregiver_a), world, world.caregiver_a)
    other_tablet = client_for(world.caregiver_a)
    assert other_tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": second.id, "pin": "4321"}).status_code == 303


def test_failures_older_than_the_lockout_window_do_not_count(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    wrong_pins(client_for(world.caregiver_a), world, world.caregiver_a)
    session.exec(update(PinFailure).values(at=utcnow() - timedelta(minutes=16)))
    session.commit()
    right = client_for(world.caregiver_a).post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"})
    assert right.status_code == 303


def test_the_throttle_message_gives_the_settings_minutes(client_for, world, session, monkeypatch):
    from nursery_ops.settings import get_settings

    monkeypatch.setattr(get_settings(), "login_lockout_minutes", 7)
    give_pin(session, world.caregiver_a, "1111")
    tablet = client_for(world.caregiver_a)
    wrong_pins(tablet, world, world.caregiver_a)
    response = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"})
    assert response.status_code == 429 and "Wait 7 min and try again" in response.text and "15" not in response.text


def test_each_failure_records_whose_pin_was_tried(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    wrong_pins(client_for(world.caregiver_a), world, world.caregiver_a, count=1)
    session.expire_all()
    assert session.exec(select(PinFailure.person_id)).all() == [world.caregiver_a.id]


# ---------------------------------------------------------------- the idle lock counts what the tablet does


def test_opening_a_form_in_a_tile_keeps_the_tablet_awake(client_for, world, session):
    tablet = client_for(world.caregiver_a)
    idle(session, 4)
    before = seen_at(session)
    response = tablet.htmx_get(f"/rooms/{world.room_a.id}/children/{world.child_x.id}/morning-check")
    assert response.status_code == 200
    assert seen_at(session) > before + timedelta(minutes=3)


def test_the_awake_call_keeps_the_tablet_awake_and_says_when_it_has_locked(client_for, world, session):
    tablet = client_for(world.caregiver_a)
    idle(session, 4)
    response = tablet.htmx_get(f"/rooms/{world.room_a.id}/awake")
    assert response.status_code == 204 and "HX-Redirect" not in response.headers
    assert utcnow() - seen_at(session) < timedelta(minutes=1)
    idle(session, 6)
    locked = tablet.htmx_get(f"/rooms/{world.room_a.id}/awake")
    assert locked.headers["HX-Redirect"] == f"/rooms/{world.room_a.id}/unlock"


def idle_seconds(session, seconds):
    session.exec(update(LoginSession).values(acting_seen_at=utcnow() - timedelta(seconds=seconds)))
    session.commit()


@pytest.mark.parametrize(("seconds_since", "written"), [
    (0, False), (ACTION_PRECISION.total_seconds() - 1, False), (ACTION_PRECISION.total_seconds(), True), (240, True),
])
def test_a_page_view_writes_the_tablets_last_action_only_when_it_is_older_than_the_precision(
    client_for, world, session, queries, seconds_since, written
):
    tablet = client_for(world.caregiver_a)
    idle_seconds(session, seconds_since)
    before = seen_at(session)
    with queries:
        assert tablet.get(f"/rooms/{world.room_a.id}").status_code == 200
    assert (seen_at(session) > before) is written
    assert any(statement.startswith("UPDATE login_session") for statement in queries.statements) is written


def test_a_form_sent_always_records_the_tablets_last_action(client_for, world, session):
    tablet = client_for(world.caregiver_a)
    idle_seconds(session, 1)
    before = seen_at(session)
    assert morning_check(tablet, world, world.child_x).status_code in (200, 303)
    assert seen_at(session) > before


@pytest.mark.parametrize("who", ["caregiver_b", "parent_x"])
def test_the_awake_call_is_refused_outside_the_room(client_for, world, who):
    assert client_for(getattr(world, who)).get(f"/rooms/{world.room_a.id}/awake").status_code == 403


def test_a_form_sent_after_the_lock_is_not_saved_and_the_pin_screen_says_why(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    tablet = client_for(world.caregiver_a)
    idle(session, 6)
    refused = morning_check(tablet, world, world.child_x)
    assert refused.headers["location"] == f"/rooms/{world.room_a.id}/unlock"
    page = tablet.get(refused.headers["location"]).text
    assert 'id="idle-locked"' in page and "locked after 5 min without an action" in page and "enter it again" in page
    back = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"})
    assert back.headers["location"] == f"/rooms/{world.room_a.id}"
    session.expire_all()
    assert session.exec(select(MorningCheck)).all() == []


def test_the_pin_screen_says_nothing_of_a_lock_when_switching_person(client_for, world, session):
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}/unlock").text
    assert 'id="idle-locked"' not in page
    # The page's own lock (tablet.js) comes with ?idle=1, a moment before the server's.
    assert 'id="idle-locked"' in client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}/unlock?idle=1").text


def test_the_room_page_tells_the_script_where_to_keep_awake(client_for, world):
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}").text
    assert f'data-awake-url="/rooms/{world.room_a.id}/awake"' in page


# ---------------------------------------------------------------- a director's tablet with someone else acting


def test_a_directors_tablet_locks_while_a_caregiver_acts_through_their_pin(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    tablet = client_for(world.director)
    assert tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"}).status_code == 303
    assert 'data-lock-minutes="5"' in tablet.get(f"/rooms/{world.room_a.id}").text
    idle(session, 6)
    refused = morning_check(tablet, world, world.child_x)
    assert refused.status_code == 303 and refused.headers["location"] == f"/rooms/{world.room_a.id}/unlock"


def test_a_director_back_on_their_own_tablet_is_not_locked(client_for, world, session):
    give_pin(session, world.caregiver_a, "1111")
    give_pin(session, world.director, "9999")
    tablet = client_for(world.director)
    tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.caregiver_a.id, "pin": "1111"})
    tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.director.id, "pin": "9999"})
    idle(session, 60)
    assert 'data-lock-minutes="0"' in tablet.get(f"/rooms/{world.room_a.id}").text
