"""Each of today's alerts on /director fires, links to the page that resolves it, and clears once it is resolved there."""

from datetime import timedelta

import pytest
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.children.rules import date_at_months
from nursery_ops.clock import local_today, utcnow
from nursery_ops.committee.models import ActivityKind, ParentActivity
from nursery_ops.dailylog.models import EntryKind, LogEntry
from nursery_ops.dashboard.rules import ALERT_ORDER, AlertGroup, grouped
from nursery_ops.dashboard.service import Alert
from nursery_ops.staff.models import CertificateKind, StaffCertificate
from tests import factories as f
from tests.dashboard.conftest import admitted


def alert_of(page: str, kind: str) -> str | None:
    """The HTML of the first alert of this kind on the page, or None."""
    start = page.find(f' alert-{kind}"')
    return None if start == -1 else page[start:page.index("</div>", start)]


def director_page(client_for, world) -> str:
    response = client_for(world.director).get("/director")
    assert response.status_code == 200
    return response.text


def arrived(session, child, room, by):
    session.add(Attendance(child_id=child.id, room_id=room.id, on_date=local_today(), check_in_at=utcnow() - timedelta(hours=1),
                           brought_by="妈妈", checked_in_by_id=by.id))
    session.commit()


def certify_all(session, person):
    """Everything a person needs to work with children (health certificate, no-criminal-record, background check)."""
    for kind in CertificateKind:
        session.add(StaffCertificate(person_id=person.id, kind=kind, number="J-1", issued_on=local_today() - timedelta(days=100),
                                     valid_until=local_today() + timedelta(days=200)))
    session.commit()


def room_url(world, child=None) -> str:
    return f"/rooms/{world.room_a.id}/children/{(child or world.child_x).id}"


# ---------------------------------------------------------------- today in the rooms


def test_an_unknown_absence_is_an_alert_until_the_call_to_the_family_is_recorded(quiet_world, client_for):
    world = quiet_world
    tablet = client_for(world.caregiver_a)
    assert tablet.post(f"{room_url(world)}/absence", {"reason": "unknown"}).status_code == 303
    alert = alert_of(director_page(client_for, world), "call_family")
    assert alert is not None and "Call the family: 1 absence with an unknown reason." in alert
    assert f'href="/rooms/{world.room_a.id}#child-{world.child_x.id}">王小明</a>' in alert

    assert tablet.post(f"{room_url(world)}/absence/call", {"call_note": "妈妈说在家休息"}).status_code == 303
    assert alert_of(director_page(client_for, world), "call_family") is None


def test_an_expected_child_not_in_after_the_cut_off_is_an_alert_until_a_reason_is_recorded(quiet_world, client_for, clock_at):
    world = quiet_world
    assert alert_of(director_page(client_for, world), "reason_needed") is None  # 09:00: before the 09:30 cut-off
    clock_at(9, 30)
    page = director_page(client_for, world)
    assert "Absence reason needed: 1 expected child is not in by their cut-off time." in alert_of(page, "reason_needed")
    assert f'href="/rooms/{world.room_a.id}#child-{world.child_x.id}">王小明</a>' in page

    assert client_for(world.caregiver_a).post(f"{room_url(world)}/absence", {"reason": "leave"}).status_code == 303
    page = director_page(client_for, world)
    assert f'#child-{world.child_x.id}"' not in page  # room A is accounted for
    assert "赵小红" in alert_of(page, "reason_needed")  # room B is not yet


def test_a_room_below_ratio_is_an_alert_until_a_counted_caregiver_clocks_in(quiet_world, client_for, session):
    world = quiet_world
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    page = director_page(client_for, world)
    alert = alert_of(page, "below_ratio")
    assert f'<a href="/rooms/{world.room_a.id}">A 托小班</a>' in alert
    assert "Below ratio: 1 children present need 1 counted caregivers (1:5), 0 on duty." in alert
    assert f'<tr id="room-{world.room_a.id}" class="overdue">' in page

    certify_all(session, world.caregiver_a)
    assert client_for(world.caregiver_a).post(f"/rooms/{world.room_a.id}/clock-in").status_code == 303
    page = director_page(client_for, world)
    assert alert_of(page, "below_ratio") is None
    assert f'<tr id="room-{world.room_a.id}">' in page


def test_the_rooms_table_shows_present_expected_and_the_live_ratio(quiet_world, client_for, session):
    world = quiet_world
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    page = director_page(client_for, world)
    row = page[page.index(f'<tr id="room-{world.room_a.id}"'):]
    row = row[:row.index("</tr>")]
    assert '<td data-label="Present / expected" class="room-present">1 / 1</td>' in row
    assert "0 / 1 <span class=\"muted\">1:5</span>" in row and "Below ratio" in row


def test_a_sleeping_child_without_a_check_for_over_15_minutes_is_an_alert_until_checked(quiet_world, client_for, session):
    world = quiet_world
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    started = utcnow() - timedelta(minutes=16)
    session.add(LogEntry(child_id=world.child_x.id, room_id=world.room_a.id, on_date=local_today(), kind=EntryKind.nap,
                         at=started, started_at=started, by_id=world.caregiver_a.id))
    session.commit()
    alert = alert_of(director_page(client_for, world), "sleep_overdue")
    assert "1 child asleep with no sleep check for more than 15 min:" in alert
    assert f'href="/rooms/{world.room_a.id}#child-{world.child_x.id}">王小明 · 16 min</a>' in alert

    assert client_for(world.caregiver_a).post(f"{room_url(world)}/log/sleep-check", {}).status_code == 303
    assert alert_of(director_page(client_for, world), "sleep_overdue") is None


def test_a_nap_checked_within_15_minutes_is_no_alert(quiet_world, client_for, session):
    world = quiet_world
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    started = utcnow() - timedelta(minutes=15)
    session.add(LogEntry(child_id=world.child_x.id, room_id=world.room_a.id, on_date=local_today(), kind=EntryKind.nap,
                         at=started, started_at=started, by_id=world.caregiver_a.id))
    session.commit()
    assert alert_of(director_page(client_for, world), "sleep_overdue") is None


def test_short_outdoor_time_is_an_alert_from_15_00_until_a_reason_is_recorded(quiet_world, client_for, session, clock_at):
    world = quiet_world
    clock_at(14, 59)
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    assert alert_of(director_page(client_for, world), "outdoor") is None  # the day is not over yet
    clock_at(15, 0)
    page = director_page(client_for, world)
    alert = alert_of(page, "outdoor")
    assert f'<a href="/rooms/{world.room_a.id}/outdoor">A 托小班</a>' in alert
    assert "Outdoor time today is 0 min, under 120 min." in alert
    assert page.count(" alert-outdoor\"") == 1  # nobody came to room B: no outdoor time to take

    tablet = client_for(world.caregiver_a)
    assert tablet.post(f"/rooms/{world.room_a.id}/outdoor/reason", {"reason": "雾霾橙色预警"}).status_code == 303
    assert alert_of(director_page(client_for, world), "outdoor") is None


def test_outdoor_time_of_120_minutes_clears_the_alert(quiet_world, client_for, session, clock_at):
    world = quiet_world
    clock_at(15, 30)
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    assert alert_of(director_page(client_for, world), "outdoor") is not None
    tablet = client_for(world.caregiver_a)
    assert tablet.post(f"/rooms/{world.room_a.id}/outdoor", {"start": "09:30", "end": "11:30"}).status_code == 303
    assert alert_of(director_page(client_for, world), "outdoor") is None


# ---------------------------------------------------------------- health


def test_a_missing_midday_check_is_an_alert_from_15_00_until_it_is_recorded(quiet_world, client_for, session, clock_at):
    world = quiet_world
    clock_at(14, 59)
    arrived(session, world.child_x, world.room_a, world.caregiver_a)
    assert alert_of(director_page(client_for, world), "midday_missing") is None
    clock_at(15, 0)
    alert = alert_of(director_page(client_for, world), "midday_missing")
    assert '<a href="/health#midday">No midday check (午检) yet for 1 child present after 15:00:</a>' in alert
    assert "王小明 · A 托小班" in alert

    check = {"temperature": "36.6", "spirits": "good", "skin": "normal", "outcome": "fine"}
    assert client_for(world.caregiver_a).post(f"{room_url(world)}/midday-check", check).status_code == 303
    assert alert_of(director_page(client_for, world), "midday_missing") is None


def test_an_incident_awaiting_the_directors_sign_off_is_an_alert_until_signed(quiet_world, client_for, session):
    world = quiet_world
    incident = f.make_incident(session, world.child_x, world.caregiver_a)
    session.commit()
    alert = alert_of(director_page(client_for, world), "incident_sign_off")
    assert f'<a href="/incidents/{incident.id}">王小明</a>' in alert
    assert "Fall (跌落 / 摔伤) on" in alert and "awaiting your sign-off (负责人签字)." in alert

    director = client_for(world.director)
    assert director.post(f"/incidents/{incident.id}/sign-off", {"remarks": "已阅"}).status_code == 303
    assert alert_of(director_page(client_for, world), "incident_sign_off") is None


def test_an_overdue_periodic_exam_is_an_alert_until_the_exam_is_recorded(quiet_world, client_for, session):
    world = quiet_world
    child = f.make_child(session, "该体检了", months=20)
    admitted(session, child, world.room_a, start_date=local_today() - timedelta(days=250))
    session.commit()
    alert = alert_of(director_page(client_for, world), "exam_overdue")
    assert '<a href="/health#exams-due">1 exam or screening at a medical institution is overdue:</a>' in alert
    assert "该体检了 · Periodic exam (定期体检)" in alert

    exam = {"kind": "periodic", "exam_date": local_today().isoformat(), "institution": "市妇幼保健院", "passed": "on"}
    assert client_for(world.health).post(f"/children/{child.id}/exams/new", exam).status_code == 303
    assert alert_of(director_page(client_for, world), "exam_overdue") is None


def test_growth_beyond_2_sd_is_an_alert_until_a_measurement_within_it(quiet_world, client_for, session):
    world = quiet_world
    f.make_measurement(session, world.child_x, world.health, on_date=local_today() - timedelta(days=30), weight_g=6500)
    session.commit()
    alert = alert_of(director_page(client_for, world), "growth")
    assert '<a href="/health#growth-warnings">1 child&#39;s latest growth measurement is beyond ±2 SD:</a>' in alert
    assert "王小明 · " in alert

    measured = {"on_date": local_today().isoformat(), "weight_kg": "10.9", "confirmed": "on"}
    assert client_for(world.health).post(f"/children/{world.child_x.id}/growth", measured).status_code == 303
    assert alert_of(director_page(client_for, world), "growth") is None


# ---------------------------------------------------------------- grouping and order


@pytest.mark.parametrize(("kinds", "expected"), [
    (["band_change", "filed_capacity"], [(AlertGroup.admission, ["filed_capacity", "band_change"])]),
    (["outdoor", "call_family", "reason_needed", "below_ratio", "sleep_overdue"],
     [(AlertGroup.rooms, ["sleep_overdue", "below_ratio", "reason_needed", "call_family", "outdoor"])]),
    (["growth", "exam_overdue", "incident_sign_off", "midday_missing", "outbreak"],
     [(AlertGroup.health, ["outbreak", "midday_missing", "incident_sign_off", "exam_overdue", "growth"])]),
    (["meal_account", "admission_incomplete", "growth", "outdoor", "late_refunds", "vaccination_overdue"],
     [(AlertGroup.rooms, ["outdoor"]), (AlertGroup.health, ["growth"]),
      (AlertGroup.admission, ["admission_incomplete", "vaccination_overdue"]),
      (AlertGroup.money, ["late_refunds", "meal_account"])]),
    ([], []),
])
def test_alerts_are_grouped_in_page_order_most_urgent_first(kinds, expected):
    assert [(group, [alert.kind for alert in alerts]) for group, alerts in grouped(Alert(kind) for kind in kinds)] == expected


def test_no_satisfaction_survey_in_6_months_is_an_alert_until_one_is_recorded(quiet_world, client_for, session):
    world = quiet_world
    for activity in session.exec(select(ParentActivity).where(ParentActivity.kind == ActivityKind.survey)).all():
        activity.held_on = date_at_months(local_today(), -6) - timedelta(days=1)
        session.add(activity)
    session.commit()
    alert = alert_of(director_page(client_for, world), "parent_contact")
    assert alert is not None and 'href="/committee#activities"' in alert

    survey = {"held_on": local_today().isoformat(), "kind": "survey", "title": "满意度调查", "participants": "20",
              "satisfaction_percent": "96"}
    assert client_for(world.director).post("/committee/activities/new", survey).status_code == 303
    assert alert_of(director_page(client_for, world), "parent_contact") is None


def test_every_alert_kind_has_a_group():
    assert set(ALERT_ORDER) == {
        "sleep_overdue", "below_ratio", "reason_needed", "call_family", "outdoor", "outbreak", "midday_missing",
        "incident_sign_off", "exam_overdue", "growth", "filed_capacity", "admission_incomplete", "vaccination_overdue",
        "band_change", "late_refunds", "meal_account", "parent_contact",
        "certificate_missing", "roster_short", "security_short", "health_staff_short", "certificate_expiring",
    }


def test_the_page_shows_the_groups_under_plain_headings_in_order(quiet_world, client_for, session, clock_at):
    world = quiet_world
    clock_at(10)
    f.make_incident(session, world.child_y, world.caregiver_b)
    f.enrol(session, f.make_child(session, "下周入托", months=14), world.room_a, start_date=local_today() + timedelta(days=7))
    session.commit()
    page = director_page(client_for, world)
    headings = [page.index(f"<h3>{title}</h3>") for title in ("Today in the rooms", "Health", "Admission")]
    assert headings == sorted(headings)
    assert page.index('id="alerts-rooms"') < page.index('id="alerts-health"') < page.index('id="alerts-admission"')
    assert "Money</h3>" not in page  # a group without alerts has no heading
