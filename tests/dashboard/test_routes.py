"""The director's dashboard: today's numbers and the WARN alerts."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from nursery_ops.children.models import VaccinationStatus
from nursery_ops.children.rules import date_at_months
from nursery_ops.clock import local_today, utcnow
from nursery_ops.dashboard.service import director_dashboard
from nursery_ops.enrolment.models import CareType, EnrolmentStatus
from nursery_ops.policy import DEFAULT_POLICY, PolicyOverride
from nursery_ops.rooms.models import RoomType
from tests import factories as f
from tests.dashboard.conftest import admitted

TODAY = local_today()


def turning(months: int, in_days: int):
    """The birth date of a child who completes `months` months `in_days` days from today."""
    return date_at_months(TODAY + timedelta(days=in_days), -months)


def test_director_sees_todays_numbers(quiet_world, client_for, session):
    world = quiet_world
    admitted(session, f.make_child(session, "半日", months=30), world.room_b, care_type=CareType.half_day, half_day_session="morning")
    f.enrol(session, f.make_child(session, "候补", months=9), None, status=EnrolmentStatus.waitlisted)
    session.commit()
    response = client_for(world.director).get("/director")
    assert response.status_code == 200
    board = director_dashboard(session, utcnow(), DEFAULT_POLICY)
    assert board.enrolled == 3 and board.waitlist == 1
    assert {band.value: count for band, count in board.by_band.items()} == {"infant": 0, "toddler": 1, "older": 2}
    assert board.by_care_type[CareType.half_day] == 1 and board.by_care_type[CareType.full_day] == 2
    assert [(load.room.name, load.enrolled) for load in board.rooms] == [("A 托小班", 1), ("B 托大班", 2)]
    assert '<p class="big-number" id="enrolled-count">3</p>' in response.text
    assert "No alerts." in response.text


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_sees_the_dashboard(world, client_for, who):
    assert client_for(getattr(world, who)).get("/director").status_code == 403


def test_anonymous_is_sent_to_sign_in(anonymous, world):
    response = anonymous.get("/director")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_band_change_alert_30_days_before_24_months_with_the_suggested_room(quiet_world, client_for, session):
    world = quiet_world
    soon = f.make_child(session, "快两岁", birth_date=turning(24, 30))
    later = f.make_child(session, "还早呢", birth_date=turning(24, 90))
    admitted(session, soon, world.room_a)
    admitted(session, later, world.room_a)
    session.commit()
    page = client_for(world.director).get("/director").text
    assert "快两岁</a>:" in page
    assert "moves to the Older (托大) band on" in page
    assert f'Suggested room: <a href="/rooms/{world.room_b.id}">B 托大班</a>' in page
    assert "还早呢" not in page


def test_band_change_alert_says_when_no_room_of_that_type_has_a_place(quiet_world, client_for, session):
    world = quiet_world
    world.room_b.capacity = 1
    session.add(world.room_b)
    admitted(session, f.make_child(session, "快两岁", birth_date=turning(24, 30)), world.room_a)
    session.commit()
    page = client_for(world.director).get("/director").text
    assert "No Older room (托大班) has a place then." in page


def test_a_mixed_room_keeps_a_child_turning_24_months_without_alert(quiet_world, client_for, session):
    mixed = f.make_room(session, "D 混合班", RoomType.mixed)
    admitted(session, f.make_child(session, "快两岁", birth_date=turning(24, 30)), mixed)
    session.commit()
    assert "快两岁" not in client_for(quiet_world.director).get("/director").text


def test_turning_36_months_is_an_alert(quiet_world, client_for, session):
    admitted(session, f.make_child(session, "要毕业", birth_date=turning(36, 20)), quiet_world.room_b)
    session.commit()
    page = client_for(quiet_world.director).get("/director").text
    assert "要毕业</a>:" in page and "turns 36 months on" in page


def test_over_filed_capacity_is_an_alert(quiet_world, client_for, session):
    session.add(PolicyOverride(key="filed_capacity", value="1", reason="test"))
    session.commit()
    page = client_for(quiet_world.director).get("/director").text
    assert "Children enrolled: 2, more than the filed capacity (备案人数) of 1." in page


def test_pending_vaccination_past_its_deadline_is_an_alert(quiet_world, client_for, session):
    child = quiet_world.child_x
    child.vaccination_status, child.vaccination_due_on = VaccinationStatus.pending, TODAY - timedelta(days=1)
    session.add(child)
    session.commit()
    page = client_for(quiet_world.director).get("/director").text
    assert "the vaccination certificate was due on" in page
    assert f'href="/children/{child.id}#vaccination"' in page


def test_incomplete_admission_is_an_alert_from_14_days_before_the_start(quiet_world, client_for, session):
    soon = f.make_child(session, "下周入托", months=14)
    later = f.make_child(session, "下月入托", months=14)
    f.enrol(session, soon, quiet_world.room_a, start_date=TODAY + timedelta(days=14))
    f.enrol(session, later, quiet_world.room_a, start_date=TODAY + timedelta(days=15))
    session.commit()
    page = client_for(quiet_world.director).get("/director").text
    assert "下周入托</a>:" in page and "the admission checklist is incomplete" in page
    assert "Signed service agreement" in page
    assert "下月入托" not in page


def test_dashboard_statements_do_not_grow_with_band_change_alerts(quiet_world, session, engine):
    def selects_with(children: int) -> int:
        for index in range(children):
            admitted(session, f.make_child(session, f"孩子{children}-{index}", birth_date=turning(24, 10 + index)),
                     quiet_world.room_a, guardian_name=f"家长{index}")
        session.commit()
        statements = []

        def count(_connection, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        board = director_dashboard(session, utcnow(), DEFAULT_POLICY)
        event.remove(engine, "before_cursor_execute", count)
        assert len([alert for alert in board.alerts if alert.kind == "band_change"]) >= children
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    assert selects_with(3) == selects_with(6)
