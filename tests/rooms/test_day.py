"""The room tablet's view of the day: tiles, header, ratio, what is due, fixed query count, after_action."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from nursery_ops.attendance.models import (
    Absence,
    AbsenceReason,
    Attendance,
    MorningCheck,
    TemporaryBooking,
)
from nursery_ops.auth.models import LoginSession, Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.dailylog.models import (
    Amount,
    EntryKind,
    LogEntry,
    Meal,
    OutdoorShortfall,
    OutdoorTime,
)
from nursery_ops.enrolment.models import CareType
from nursery_ops.policy import DEFAULT_POLICY as policy
from nursery_ops.rooms.day import load_room_day
from nursery_ops.settings import get_settings
from nursery_ops.staff.models import CertificateKind, StaffCertificate, StaffShift
from tests import factories as f

EVERY_DAY = "1234567"


def local_moment(hour: int, minute: int = 0) -> datetime:
    """Today at a local wall-clock time, as UTC."""
    zone = get_settings().zone
    return datetime.combine(local_today(), time(hour, minute), tzinfo=zone).astimezone(UTC)


def child_in(session, room, name, months=20, care_type=CareType.full_day, schedule=EVERY_DAY, **fields):
    child = f.make_child(session, name, months=months, **fields)
    enrolment = f.enrol(session, child, room, care_type=care_type, schedule_days=schedule)
    return child, enrolment


def arrive(session, child, room, by, at=None, out=None):
    session.add(
        Attendance(
            child_id=child.id, room_id=room.id, on_date=local_today(), check_in_at=at or utcnow() - timedelta(hours=1),
            brought_by="妈妈", checked_in_by_id=by.id, check_out_at=out, checked_out_by_id=by.id if out else None,
        )
    )


def absent(session, child, room, by, reason=AbsenceReason.sick, called=None):
    session.add(
        Absence(
            child_id=child.id, room_id=room.id, on_date=local_today(), reason=reason, symptoms="发烧",
            family_called_at=called, recorded_by_id=by.id,
        )
    )


def entry(session, child, room, by, kind, at=None, **fields):
    row = LogEntry(child_id=child.id, room_id=room.id, on_date=local_today(), kind=kind, at=at or utcnow(), by_id=by.id, **fields)
    session.add(row)
    session.flush()
    return row


def on_shift(session, room, person, certificate_valid_days=200):
    session.add(StaffShift(room_id=room.id, person_id=person.id, on_date=local_today(), clock_in_at=utcnow() - timedelta(hours=2)))
    session.add(
        StaffCertificate(
            person_id=person.id, kind=CertificateKind.health, issued_on=local_today() - timedelta(days=300),
            valid_until=local_today() + timedelta(days=certificate_valid_days),
        )
    )


def every_day(session, world):
    """world.child_x comes Monday to Friday; the tests run on any day."""
    from sqlmodel import select

    from nursery_ops.enrolment.models import Enrolment

    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    enrolment.schedule_days = EVERY_DAY
    session.add(enrolment)
    session.commit()


def tile(page: str, child) -> str:
    """The HTML of one child's tile."""
    start = page.index(f'id="child-{child.id}"')
    end = page.find("<article", start)
    return page[start:end if end != -1 else len(page)]


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(("who", "status"), [("caregiver_a", 200), ("director", 200), ("health", 200), ("caregiver_b", 403), ("parent_x", 403)])
def test_who_may_open_the_room_view(client_for, world, session, who, status):
    every_day(session, world)
    response = client_for(getattr(world, who)).get(f"/rooms/{world.room_a.id}")
    assert response.status_code == status
    if status == 200:
        assert "王小明" in response.text and 'src="/static/tablet.js"' in response.text


def test_anonymous_is_sent_to_sign_in(anonymous, world):
    response = anonymous.get(f"/rooms/{world.room_a.id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_idle_tablet_shows_the_pin_screen_instead_of_the_room(client_for, world, session):
    tablet = client_for(world.caregiver_a)
    session.exec(update(LoginSession).values(acting_seen_at=utcnow() - timedelta(minutes=10)))
    session.commit()
    response = tablet.get(f"/rooms/{world.room_a.id}")
    assert response.status_code == 303 and response.headers["location"] == f"/rooms/{world.room_a.id}/unlock"


def test_the_room_page_tells_the_script_when_to_lock(client_for, world):
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}").text
    assert 'data-lock-minutes="5"' in page and f'data-unlock-url="/rooms/{world.room_a.id}/unlock"' in page
    # The director's own sessions never lock.
    assert 'data-lock-minutes="0"' in client_for(world.director).get(f"/rooms/{world.room_a.id}").text


def test_the_room_details_moved_to_manage(client_for, world):
    page = client_for(world.director).get(f"/rooms/{world.room_a.id}").text
    assert f'href="/rooms/{world.room_a.id}/manage"' in page
    assert client_for(world.health).get(f"/rooms/{world.room_a.id}/manage").status_code == 403


# ---------------------------------------------------------------- tiles


def test_each_status_shows_on_its_tile_with_the_actions_that_fit(client_for, world, session):
    every_day(session, world)
    room, me = world.room_a, world.caregiver_a
    arrived, _ = child_in(session, room, "李一", allergies="花生")
    gone, _ = child_in(session, room, "李二")
    sick, _ = child_in(session, room, "李三")
    unknown, _ = child_in(session, room, "李四")
    arrive(session, arrived, room, me, at=local_moment(8, 5))
    arrive(session, gone, room, me, at=local_moment(8, 0), out=local_moment(11, 30))
    absent(session, sick, room, me)
    absent(session, unknown, room, me, reason=AbsenceReason.unknown)
    session.commit()
    page = client_for(me).get(f"/rooms/{room.id}").text

    expected = tile(page, world.child_x)
    assert "Expected" in expected and "/morning-check" in expected and "/check-in" in expected
    assert "/check-out" not in expected and "log/meal" not in expected

    here = tile(page, arrived)
    assert "Arrived 08:05" in here and "Allergy: 花生" in here and "badge block allergy" in here
    assert "/check-out" in here and "log/meal" in here and "Nap start" in here
    assert "/check-in" not in here and "/morning-check" not in here

    home = tile(page, gone)
    assert "Gone home 11:30" in home and "/check-out" not in home and "/check-in" not in home

    off = tile(page, sick)
    assert "Absent: Sick" in off and "发烧" in off and "Call the family" not in off
    assert "Call the family" in tile(page, unknown) and "Record the call" in tile(page, unknown)
    assert "Present / expected" in page and "1 / 5" in page


def test_the_action_buttons_load_the_form_into_the_tile(client_for, world, session):
    every_day(session, world)
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}").text
    base = f"/rooms/{world.room_a.id}/children/{world.child_x.id}"
    assert f'href="{base}/morning-check" hx-get="{base}/morning-check" hx-target="#child-{world.child_x.id}-action"' in page
    assert f'id="child-{world.child_x.id}-action"' in page


def test_temporary_care_shows_only_on_booked_days(client_for, world, session):
    booked, booked_enrolment = child_in(session, world.room_a, "临一", care_type=CareType.temporary, schedule="")
    child_in(session, world.room_a, "临二", care_type=CareType.temporary, schedule="")
    session.add(TemporaryBooking(enrolment_id=booked_enrolment.id, on_date=local_today(), booked_by_id=world.director.id))
    session.commit()
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}").text
    assert "临一" in page and "Temporary" in tile(page, booked)
    assert "临二" not in page


def test_a_child_checked_in_but_not_expected_today_still_has_a_tile(client_for, world, session):
    weekend_only, _ = child_in(session, world.room_a, "周一", schedule="")
    arrive(session, weekend_only, world.room_a, world.caregiver_a)
    session.commit()
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}").text
    assert "not expected today" in tile(page, weekend_only)


def test_after_the_cutoff_expected_children_need_a_reason(world, session):
    every_day(session, world)
    before = load_room_day(session, world.room_a, local_today(), policy, local_moment(9, 0))
    after = load_room_day(session, world.room_a, local_today(), policy, local_moment(9, 45))
    assert not before.child(world.child_x.id).reason_needed
    assert after.child(world.child_x.id).reason_needed and after.reasons_needed == 1


def test_the_latest_three_current_entries_show_newest_first(client_for, world, session):
    every_day(session, world)
    room, me, child = world.room_a, world.caregiver_a, world.child_x
    arrive(session, child, room, me, at=local_moment(7, 50))
    entry(session, child, room, me, EntryKind.meal, at=local_moment(8, 0), meal=Meal.breakfast, amount=Amount.most)
    entry(session, child, room, me, EntryKind.bottle, at=local_moment(9, 0), millilitres=120)
    entry(session, child, room, me, EntryKind.note, at=local_moment(10, 0), text="玩积木")
    voided = entry(session, child, room, me, EntryKind.note, at=local_moment(10, 30), text="写错了")
    voided.voided_at = utcnow()
    entry(session, child, room, me, EntryKind.meal, at=local_moment(11, 0), meal=Meal.lunch, amount=Amount.all)
    session.commit()
    page = tile(client_for(me).get(f"/rooms/{room.id}").text, child)
    assert "写错了" not in page and "Breakfast" not in page
    assert "Last bottle 09:00: 120 ml" in page
    latest = page[page.index('class="log-latest"'):]
    assert latest.index("Lunch: ate all") < latest.index("玩积木") < latest.index("120 ml")


def test_a_sleeping_child_has_a_timer_that_turns_red_when_the_check_is_overdue(client_for, world, session):
    every_day(session, world)
    room, me = world.room_a, world.caregiver_a
    checked, _ = child_in(session, room, "睡一")
    for child in (world.child_x, checked):
        arrive(session, child, room, me)
    now = utcnow()
    entry(session, world.child_x, room, me, EntryKind.nap, at=now - timedelta(minutes=20), started_at=now - timedelta(minutes=20))
    nap = entry(session, checked, room, me, EntryKind.nap, at=now - timedelta(minutes=40), started_at=now - timedelta(minutes=40))
    entry(session, checked, room, me, EntryKind.sleep_check, at=now - timedelta(minutes=5), nap_id=nap.id)
    session.commit()
    page = client_for(me).get(f"/rooms/{room.id}").text
    overdue, fine = tile(page, world.child_x), tile(page, checked)
    assert 'class="sleep-timer overdue"' in overdue and "Nap end" in overdue and "Sleep check" in overdue
    assert 'class="sleep-timer"' in fine and 'data-since="' in fine
    assert (now - timedelta(minutes=5)).isoformat()[:16] in fine


def test_a_corrected_nap_keeps_the_sleep_check_made_before_the_correction(world, session):
    room, me = world.room_a, world.caregiver_a
    arrive(session, world.child_x, room, me)
    now = utcnow()
    nap = entry(session, world.child_x, room, me, EntryKind.nap, at=now - timedelta(minutes=30), started_at=now - timedelta(minutes=30))
    entry(session, world.child_x, room, me, EntryKind.sleep_check, at=now - timedelta(minutes=10), nap_id=nap.id)
    nap.replaced = True
    entry(session, world.child_x, room, me, EntryKind.nap, at=now - timedelta(minutes=25), started_at=now - timedelta(minutes=25),
          replaces_id=nap.id)
    session.commit()
    day = load_room_day(session, room, local_today(), policy, now).child(world.child_x.id)
    assert day.nap is not None and day.nap.id != nap.id
    assert day.sleep_since == now - timedelta(minutes=10) and not day.sleep_overdue


def test_a_check_from_an_earlier_nap_does_not_count_for_the_current_one(world, session):
    room, me = world.room_a, world.caregiver_a
    arrive(session, world.child_x, room, me)
    now = utcnow()
    entry(session, world.child_x, room, me, EntryKind.nap, at=now - timedelta(minutes=90), started_at=now - timedelta(minutes=90),
          ended_at=now - timedelta(minutes=60))
    entry(session, world.child_x, room, me, EntryKind.sleep_check, at=now - timedelta(minutes=70))
    entry(session, world.child_x, room, me, EntryKind.nap, at=now - timedelta(minutes=20), started_at=now - timedelta(minutes=20))
    session.commit()
    day = load_room_day(session, room, local_today(), policy, now).child(world.child_x.id)
    assert day.last_sleep_check is None and day.sleep_overdue


def test_a_child_off_sick_is_followed_up_each_day_until_they_return(client_for, world, session):
    every_day(session, world)
    room, me = world.room_a, world.caregiver_a
    session.add(Absence(child_id=world.child_x.id, room_id=room.id, on_date=local_today() - timedelta(days=1),
                        reason=AbsenceReason.sick, symptoms="咳嗽", recorded_by_id=me.id))
    session.commit()
    assert "Off sick: ask the family how the child is" in tile(client_for(me).get(f"/rooms/{room.id}").text, world.child_x)
    arrive(session, world.child_x, room, me)
    session.commit()
    assert "Off sick" not in tile(client_for(me).get(f"/rooms/{room.id}").text, world.child_x)


# ---------------------------------------------------------------- header


def test_the_ratio_is_red_when_too_few_counted_caregivers_are_on_duty(client_for, world, session):
    every_day(session, world)
    room, me = world.room_a, world.caregiver_a
    children = [world.child_x] + [child_in(session, room, f"小{index}")[0] for index in range(5)]
    for child in children:
        arrive(session, child, room, me)
    expired = f.make_person(session, "expired", Role.caregiver, full_name="过期老师")
    f.assign(session, room, expired)
    on_shift(session, room, me)
    on_shift(session, room, expired, certificate_valid_days=-1)
    session.commit()
    page = client_for(me).get(f"/rooms/{room.id}").text
    # 6 children under 24 months need 2 caregivers at 1:5; the one with an expired certificate does not count.
    assert "room-header below-ratio" in page and "Below ratio" in page
    assert "1 / 2" in page and "过期老师 · No valid health certificate" in page
    assert "Clock out" in page  # the acting caregiver is on duty

    session.exec(update(StaffCertificate).where(StaffCertificate.person_id == expired.id).values(valid_until=local_today()))
    session.commit()
    page = client_for(me).get(f"/rooms/{room.id}").text
    assert "below-ratio" not in page and "2 / 2" in page


def test_outdoor_time_warns_in_the_afternoon_unless_a_reason_is_given(world, session):
    room = world.room_a
    session.add(OutdoorTime(room_id=room.id, on_date=local_today(), started_at=local_moment(9), ended_at=local_moment(10), by_id=world.caregiver_a.id))
    session.commit()
    assert not load_room_day(session, room, local_today(), policy, local_moment(11)).outdoor_warn
    afternoon = load_room_day(session, room, local_today(), policy, local_moment(15, 30))
    assert afternoon.outdoor_minutes == 60 and afternoon.outdoor_warn
    session.add(OutdoorShortfall(room_id=room.id, on_date=local_today(), reason="雾霾", by_id=world.caregiver_a.id))
    session.commit()
    assert not load_room_day(session, room, local_today(), policy, local_moment(15, 30)).outdoor_warn


# ---------------------------------------------------------------- fixed number of queries


def fill_room(session, room, me, count):
    for index in range(count):
        child, _ = child_in(session, room, f"Q{count}-{index}", months=14 + index % 20)
        arrive(session, child, room, me)
        session.add(MorningCheck(child_id=child.id, on_date=local_today(), temperature_tenths=365, outcome="admit", by_id=me.id))
        nap = entry(session, child, room, me, EntryKind.nap, started_at=utcnow() - timedelta(minutes=10))
        entry(session, child, room, me, EntryKind.sleep_check, nap_id=nap.id)
        entry(session, child, room, me, EntryKind.meal, meal=Meal.lunch, amount=Amount.some)
    on_shift(session, room, me)
    session.commit()


def test_the_room_view_issues_the_same_statements_for_5_and_20_children(client_for, world, session, queries):
    small = f.make_room(session, "Small", capacity=15)
    large = f.make_room(session, "Large", capacity=15)
    large.capacity = 25  # the count, not the cap, is under test
    fill_room(session, small, world.caregiver_a, 5)
    fill_room(session, large, world.caregiver_a, 20)
    client = client_for(world.director)
    # Warm-up on another room (policy and session caches alike for both); each room's page is then built.
    client.get(f"/rooms/{world.room_a.id}")
    counts = []
    for room in (small, large):
        with queries:
            response = client.get(f"/rooms/{room.id}")
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
    # Sign-in and the room (the request), then the children with their day, entries, medicine, outdoor time, staff.
    assert counts[0] <= 10


def with_history(session, room, me, children, days):
    """`days` past days of each child's history: arrivals, morning and midday checks, entries, a sick day, medicine."""
    from nursery_ops.illness.models import MiddayCheck

    for child in children:
        guardian = f.make_guardian(session, child, "历史妈妈")
        for back in range(1, days + 1):
            on = local_today() - timedelta(days=back)
            at = datetime.combine(on, time(1, 0), tzinfo=UTC)
            if back % 7 == 3:
                session.add(Absence(child_id=child.id, room_id=room.id, on_date=on, reason=AbsenceReason.sick,
                                    recorded_by_id=me.id))
                continue
            session.add(Attendance(child_id=child.id, room_id=room.id, on_date=on, check_in_at=at, brought_by="妈妈",
                                   checked_in_by_id=me.id, check_out_at=at + timedelta(hours=8)))
            session.add(MorningCheck(child_id=child.id, on_date=on, at=at, temperature_tenths=365, outcome="admit",
                                     by_id=me.id))
            session.add(MiddayCheck(child_id=child.id, room_id=room.id, on_date=on, at=at + timedelta(hours=3),
                                    temperature_tenths=366, spirits="good", skin="normal", outcome="fine", by_id=me.id))
            for hour in range(3):
                session.add(LogEntry(child_id=child.id, room_id=room.id, on_date=on, kind=EntryKind.note,
                                     at=at + timedelta(hours=hour), text="好", by_id=me.id))
        f.make_authorisation(session, child, guardian, me, start_date=local_today() - timedelta(days=2))
    session.commit()


def test_the_room_view_body_is_five_statements_whatever_the_children_and_the_history(world, session, queries):
    small = f.make_room(session, "Small", capacity=15)
    large = f.make_room(session, "Large", capacity=15)
    large.capacity = 30
    fill_room(session, small, world.caregiver_a, 5)
    fill_room(session, large, world.caregiver_a, 24)
    from sqlmodel import select

    from nursery_ops.children.models import Child

    old_hands = session.exec(select(Child).where(col(Child.full_name).startswith("Q24-"))).all()
    with_history(session, large, world.caregiver_a, old_hands, 40)
    counts = {}
    for room in (small, large):
        session.expunge_all()  # nothing answered from the session: every row is read as a request would
        with queries:
            day = load_room_day(session, room, local_today(), policy, utcnow())
        counts[room.name] = queries.count
        assert len(day.present) == {"Small": 5, "Large": 24}[room.name]
    # Children with their day, entries, medicine due (doses joined), outdoor time, staff on duty.
    assert counts == {"Small": 5, "Large": 5}, counts
    assert any(cd.medication for cd in day.present) and all(item.present for cd in day.present for item in cd.medication)
    assert {cd.off_sick for cd in day.children} == {False}  # a past sick day, back since


def test_a_log_entry_answers_with_the_tile_alone_in_a_fixed_number_of_statements(client_for, world, session, queries):
    room = f.make_room(session, "Large", capacity=15)
    room.capacity = 30
    f.assign(session, room, world.caregiver_a)
    fill_room(session, room, world.caregiver_a, 20)
    from sqlmodel import select

    from nursery_ops.children.models import Child

    children = session.exec(select(Child).where(col(Child.full_name).startswith("Q20-"))).all()
    with_history(session, room, world.caregiver_a, children, 20)
    tablet = client_for(world.caregiver_a)
    tablet.get(f"/rooms/{room.id}")
    counts = []
    for number, child in enumerate(children[:2]):
        with queries:
            response = tablet.http.post(
                f"/rooms/{room.id}/children/{child.id}/log/note",
                data={"text": "开心", "form_token": f"history-{number}", "csrf_token": tablet.token},
                headers={"HX-Request": "true", "X-CSRF-Token": tablet.token},
            )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<article class="child-tile status-arrived') and "开心" in response.text
        assert 'id="room-header"' not in response.text  # an entry changes nothing the header shows
        counts.append(queries.count)
    assert counts[0] == counts[1]
    log_statements = [statement for statement in queries.statements
                      if statement.lstrip().startswith("SELECT") and "FROM log_entry" in statement]
    # The form token, the child's entries for the tile: nothing read twice.
    assert len(log_statements) <= 2, log_statements
    assert counts[0] <= 13, queries.statements


# ---------------------------------------------------------------- after_action


def test_after_action_answers_htmx_with_the_tile_and_the_header_out_of_band(client_for, world, session):
    every_day(session, world)
    tablet = client_for(world.caregiver_a)
    url = f"/rooms/{world.room_a.id}/children/{world.child_x.id}/absence"
    data = {"reason": "leave", "csrf_token": tablet.token}
    response = tablet.http.post(url, data=data, headers={"HX-Request": "true", "X-CSRF-Token": tablet.token})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<article class="child-tile status-absent') and f'id="child-{world.child_x.id}"' in response.text
    assert 'id="room-header"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "<html" not in response.text


def test_after_action_sends_a_plain_post_back_to_the_room(client_for, world, session):
    every_day(session, world)
    response = client_for(world.caregiver_a).post(
        f"/rooms/{world.room_a.id}/children/{world.child_x.id}/absence", {"reason": "leave"}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/rooms/{world.room_a.id}"


def test_a_room_level_action_over_htmx_gets_the_whole_room(client_for, world, session):
    on_shift(session, world.room_a, world.caregiver_a)
    session.commit()
    tablet = client_for(world.caregiver_a)
    response = tablet.http.post(
        f"/rooms/{world.room_a.id}/clock-out", data={"csrf_token": tablet.token},
        headers={"HX-Request": "true", "X-CSRF-Token": tablet.token},
    )
    assert response.status_code == 200 and 'id="room-body"' in response.text and "<html" not in response.text


# ---------------------------------------------------------------- each child's own absence cut-off


def test_an_afternoon_half_day_child_needs_a_reason_only_after_the_afternoon_cutoff(world, session):
    from nursery_ops.enrolment.models import HalfDaySession

    afternoon, enrolment = child_in(session, world.room_a, "午一", care_type=CareType.half_day)
    enrolment.half_day_session = HalfDaySession.afternoon
    morning, enrolment = child_in(session, world.room_a, "午二", care_type=CareType.half_day)
    enrolment.half_day_session = HalfDaySession.morning
    session.commit()
    at = {moment: load_room_day(session, world.room_a, local_today(), policy, local_moment(*moment))
          for moment in ((9, 45), (14, 29), (14, 30))}
    assert [at[m].child(afternoon.id).reason_needed for m in at] == [False, False, True]
    assert [at[m].child(morning.id).reason_needed for m in at] == [True, True, True]
    assert at[(9, 45)].child(afternoon.id).reason_due_at == time(14, 30)


def test_an_hourly_child_is_not_chased_at_the_morning_cutoff_only_at_closing(world, session):
    hourly, _ = child_in(session, world.room_a, "时一", care_type=CareType.hourly)
    session.commit()
    flagged = [load_room_day(session, world.room_a, local_today(), policy, local_moment(*moment)).child(hourly.id).reason_needed
               for moment in ((9, 45), (15, 0), (17, 29), (17, 30))]
    assert flagged == [False, False, False, True]


def test_the_tile_says_when_a_later_child_will_need_a_reason(client_for, world, session):
    from nursery_ops.policy import PolicyOverride

    hourly, _ = child_in(session, world.room_a, "时二", care_type=CareType.hourly)
    # Closing at 23:59 keeps "now" before the hourly child's cut-off whenever the test runs.
    session.add(PolicyOverride(key="full_day_end", value="23:59", reason="test"))
    session.commit()
    here = tile(client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}").text, hourly)
    assert "reason needed if not in by 23:59" in here and "Reason needed" not in here


def test_a_child_with_an_unknown_absence_who_arrived_needs_no_call(world, session):
    every_day(session, world)
    # An absence and an arrival on the same day (recorded before arrivals closed absences): the arrival wins.
    absent(session, world.child_x, world.room_a, world.caregiver_a, reason=AbsenceReason.unknown)
    arrive(session, world.child_x, world.room_a, world.caregiver_a)
    session.commit()
    day = load_room_day(session, world.room_a, local_today(), policy, utcnow())
    assert not day.child(world.child_x.id).call_family and day.calls_needed == 0


def test_a_superseded_absence_is_not_shown_on_the_room_view(world, session):
    every_day(session, world)
    absent(session, world.child_x, world.room_a, world.caregiver_a, reason=AbsenceReason.unknown)
    arrive(session, world.child_x, world.room_a, world.caregiver_a)
    session.flush()
    session.exec(update(Absence).values(superseded_at=utcnow()))
    session.commit()
    day = load_room_day(session, world.room_a, local_today(), policy, utcnow()).child(world.child_x.id)
    assert day.absence is None and day.status == "arrived"


def test_the_outdoor_warning_starts_at_the_time_set_in_the_rules(world, session):
    earlier = policy.with_values(outdoor_warn_from=time(12, 0))
    assert not load_room_day(session, world.room_a, local_today(), earlier, local_moment(11, 59)).outdoor_warn
    assert load_room_day(session, world.room_a, local_today(), earlier, local_moment(12, 0)).outdoor_warn
    assert not load_room_day(session, world.room_a, local_today(), policy, local_moment(14, 59)).outdoor_warn
