"""Today in every room on /director: the same figures as each room view, in a fixed number of statements."""

from datetime import timedelta

import pytest
from sqlmodel import select

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance, MorningCheck, TemporaryBooking
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.dailylog.models import EntryKind, LogEntry, OutdoorShortfall, OutdoorTime
from nursery_ops.dashboard.today import rooms_today
from nursery_ops.enrolment.models import CareType, Enrolment
from nursery_ops.illness.models import MiddayCheck, MiddayOutcome, Skin, Spirits
from nursery_ops.policy import DEFAULT_POLICY as policy
from nursery_ops.rooms.day import load_room_day
from nursery_ops.rooms.models import Room, RoomType
from nursery_ops.staff.models import CertificateKind, StaffCertificate, StaffShift
from tests import factories as f
from tests.dashboard.conftest import EVERY_DAY, admitted


def certify(session, person, valid_days=200):
    session.add(StaffCertificate(
        person_id=person.id, kind=CertificateKind.health, number="J-1",
        issued_on=local_today() - timedelta(days=100), valid_until=local_today() + timedelta(days=valid_days),
    ))


def on_shift(session, room, person, out=False):
    now = utcnow()
    session.add(StaffShift(room_id=room.id, person_id=person.id, on_date=local_today(),
                           clock_in_at=now - timedelta(hours=3), clock_out_at=now - timedelta(hours=1) if out else None))


def arrive(session, child, room, by, gone_home=False):
    now = utcnow()
    session.add(MorningCheck(child_id=child.id, on_date=local_today(), at=now - timedelta(hours=4),
                             temperature_tenths=365, outcome="admit", by_id=by.id))
    session.add(Attendance(child_id=child.id, room_id=room.id, on_date=local_today(), check_in_at=now - timedelta(hours=4),
                           brought_by="妈妈", checked_in_by_id=by.id,
                           check_out_at=now - timedelta(minutes=30) if gone_home else None))


def log(session, child, room, by, kind, minutes_ago, **fields):
    entry = LogEntry(child_id=child.id, room_id=room.id, on_date=local_today(), kind=kind,
                     at=utcnow() - timedelta(minutes=minutes_ago), by_id=by.id, **fields)
    session.add(entry)
    session.flush()
    return entry


def busy_room(session, director, room: Room, children: int, tag: str):
    """A room in the middle of the day, with a bit of everything the room view and the dashboard look at."""
    carer = f.make_person(session, f"carer-{tag}", Role.caregiver, full_name=f"保育{tag}")
    uncertified = f.make_person(session, f"new-{tag}", Role.caregiver, full_name=f"新人{tag}")
    certify(session, carer)
    f.assign(session, room, carer)
    f.assign(session, room, uncertified)
    on_shift(session, room, carer)
    on_shift(session, room, uncertified)
    session.add(OutdoorTime(room_id=room.id, on_date=local_today(), started_at=utcnow() - timedelta(hours=5),
                            ended_at=utcnow() - timedelta(hours=4), by_id=carer.id))
    for index in range(children):
        child = f.make_child(session, f"{tag}-{index:02d}", months=13 + index % 22)
        enrolment = admitted(session, child, room, guardian_name=f"家长{tag}{index}", schedule_days=EVERY_DAY)
        what = index % 6
        if what == 0:
            session.add(Absence(child_id=child.id, room_id=room.id, on_date=local_today(), reason=AbsenceReason.unknown,
                                recorded_by_id=carer.id))
        elif what == 1:
            pass  # expected and not in: a reason is needed after the cut-off
        elif what == 2:
            arrive(session, child, room, carer)
            log(session, child, room, carer, EntryKind.nap, 40, started_at=utcnow() - timedelta(minutes=40))
        elif what == 3:
            arrive(session, child, room, carer)
            nap = log(session, child, room, carer, EntryKind.nap, 40, started_at=utcnow() - timedelta(minutes=40))
            log(session, child, room, carer, EntryKind.sleep_check, 5, nap_id=nap.id)
            session.add(MiddayCheck(child_id=child.id, room_id=room.id, on_date=local_today(), at=utcnow(),
                                    temperature_tenths=366, spirits=Spirits.good, skin=Skin.normal,
                                    outcome=MiddayOutcome.fine, by_id=carer.id))
        elif what == 4:
            arrive(session, child, room, carer, gone_home=True)
        else:
            # Temporary care on a booked day, checked in.
            enrolment.care_type, enrolment.schedule_days = CareType.temporary, ""
            session.add(enrolment)
            session.add(TemporaryBooking(enrolment_id=enrolment.id, on_date=local_today(), booked_by_id=director.id))
            arrive(session, child, room, carer)
        f.make_measurement(session, child, carer, weight_g=9000 if index % 4 else 6000)
        if index == 0:
            f.make_incident(session, child, carer)
    session.flush()


def summary(day):
    """What the room view and the dashboard both show of a room's day."""
    return (
        len(day.present), day.expected_count, day.counted, day.required, day.per_caregiver, day.below_ratio,
        day.outdoor_minutes, day.outdoor_reason, day.outdoor_warn, day.reasons_needed, day.calls_needed,
        [(person.person_id, person.counted, person.why_not) for person in day.duty],
        [(cd.child.id, cd.status, cd.expected, cd.sleep_overdue, cd.midday_due, cd.reason_needed, cd.reason_due_at,
          cd.call_family)
         for cd in day.children],
    )


def enrolment_rows(session):
    from nursery_ops.children.models import Child

    return session.exec(select(Enrolment, Child).join(Child, Child.id == Enrolment.child_id)).all()


@pytest.mark.parametrize(("hour", "minute"), [(9, 0), (10, 0), (14, 30), (15, 30)])
def test_every_room_reads_as_its_room_view_shows_it(world, session, clock_at, hour, minute):
    now = clock_at(hour, minute)
    busy_room(session, world.director, world.room_a, 12, "A")
    busy_room(session, world.director, world.room_b, 7, "B")
    session.add(OutdoorShortfall(room_id=world.room_b.id, on_date=local_today(), reason="雾霾", by_id=world.director.id))
    # Room B's caregiver helping in room A counts only in B; an afternoon half-day child has a later cut-off.
    certify(session, world.caregiver_b)
    on_shift(session, world.room_a, world.caregiver_b)
    afternoon = f.make_child(session, "下午班", months=20)
    admitted(session, afternoon, world.room_a, care_type=CareType.half_day, half_day_session="afternoon",
             schedule_days=EVERY_DAY)
    # Recorded absent, then arrived after all: the absence is history, no call is due.
    late = f.make_child(session, "晚到", months=20)
    admitted(session, late, world.room_a, schedule_days=EVERY_DAY)
    session.add(Absence(child_id=late.id, room_id=world.room_a.id, on_date=local_today(), reason=AbsenceReason.unknown,
                        recorded_by_id=world.director.id, superseded_at=utcnow()))
    arrive(session, late, world.room_a, world.director)
    session.commit()
    rooms = [world.room_a, world.room_b]
    days = rooms_today(session, rooms, enrolment_rows(session), local_today(), now, policy)
    for room, day in zip(rooms, days, strict=True):
        assert summary(day) == summary(load_room_day(session, room, local_today(), policy, now)), room.name


def test_a_child_moved_to_another_room_today_shows_in_both_as_on_the_room_views(world, session, clock_at):
    now = clock_at(10)
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    enrolment.schedule_days = EVERY_DAY
    session.add(enrolment)
    arrive(session, world.child_x, world.room_b, world.caregiver_b)  # came in to B, still enrolled in A
    session.commit()
    rooms = [world.room_a, world.room_b]
    days = rooms_today(session, rooms, enrolment_rows(session), local_today(), now, policy)
    for room, day in zip(rooms, days, strict=True):
        assert summary(day) == summary(load_room_day(session, room, local_today(), policy, now)), room.name


def test_the_dashboard_issues_the_same_statements_for_2_rooms_and_5_children_as_for_4_rooms_and_20(
    world, session, client_for, queries, clock_at, pages_built
):
    clock_at(15, 30)  # every time-of-day alert is live
    busy_room(session, world.director, world.room_a, 3, "A")
    busy_room(session, world.director, world.room_b, 0, "B")  # with world's two children: 2 rooms, 5 children
    session.commit()
    director = client_for(world.director)
    director.get("/director")  # warm-up: the same caches for both counts
    with queries:
        small = director.get("/director")
    small_count = queries.count
    assert small.status_code == 200 and "alert-sleep_overdue" in small.text

    for tag, children in (("C", 8), ("D", 7)):  # 4 rooms, 20 children
        busy_room(session, world.director, f.make_room(session, f"{tag} 托大班", RoomType.older), children, tag)
    session.commit()
    with queries:
        large = director.get("/director")
    assert large.status_code == 200 and large.text.count('<tr id="room-') == 4
    assert queries.count == small_count, (small_count, queries.count)
    # Sign-in; the places held with bookings, growth, exams, guardians and trusted adults; rooms with
    # outbreak alerts; the single numbers with the money; the children in today; the shifts with the roster;
    # outdoor time; outbreak cases; incidents; the staff register (as the bench's nursery, tests/bench).
    assert small_count <= 10


def test_the_dashboard_sends_the_same_statements_with_months_of_history(world, session, client_for, queries, clock_at, pages_built):
    """Issue 10: past days (arrivals, sick days, naps, measurements, exams) add no statement to /director."""
    from nursery_ops.children.models import Child

    clock_at(15, 30)
    busy_room(session, world.director, world.room_a, 6, "A")
    session.commit()
    director = client_for(world.director)
    director.get("/director")  # warm-up: the same caches for both counts
    with queries:
        assert director.get("/director").status_code == 200
    without_history = queries.count

    children = session.exec(select(Child)).all()
    for back in range(1, 95):
        on = local_today() - timedelta(days=back)
        for index, child in enumerate(children):
            if (back + index) % 8 == 0:
                session.add(Absence(child_id=child.id, room_id=world.room_a.id, on_date=on, reason=AbsenceReason.sick,
                                    symptoms="发烧", recorded_by_id=world.director.id))
                continue
            at = utcnow() - timedelta(days=back)
            session.add(Attendance(child_id=child.id, room_id=world.room_a.id, on_date=on, check_in_at=at,
                                   check_out_at=at + timedelta(hours=7), brought_by="妈妈", checked_in_by_id=world.director.id))
            session.add(LogEntry(child_id=child.id, room_id=world.room_a.id, on_date=on, kind=EntryKind.nap, at=at,
                                 started_at=at, ended_at=at + timedelta(hours=1), by_id=world.director.id))
            if back % 30 == 0:
                f.make_measurement(session, child, world.director, on, weight_g=9000 + back)
                f.make_exam(session, child, on, haemoglobin_g_l=120)
    session.commit()
    with queries:
        assert director.get("/director").status_code == 200
    assert queries.count == without_history


def test_the_latest_nap_and_sleep_check_of_the_day_decide_as_on_the_room_view(world, session, clock_at):
    now = clock_at(14, 0)
    children = []
    for index in range(4):
        child = f.make_child(session, f"午睡{index}", months=20)
        admitted(session, child, world.room_a, schedule_days=EVERY_DAY)
        arrive(session, child, world.room_a, world.caregiver_a)
        children.append(child)
    asleep, woke, recheck, voided = children
    log(session, asleep, world.room_a, world.caregiver_a, EntryKind.nap, 90, started_at=utcnow() - timedelta(minutes=90),
        ended_at=utcnow() - timedelta(minutes=60))
    log(session, asleep, world.room_a, world.caregiver_a, EntryKind.nap, 40, started_at=utcnow() - timedelta(minutes=40))
    log(session, woke, world.room_a, world.caregiver_a, EntryKind.nap, 90, started_at=utcnow() - timedelta(minutes=90))
    log(session, woke, world.room_a, world.caregiver_a, EntryKind.nap, 30, started_at=utcnow() - timedelta(minutes=90),
        ended_at=utcnow() - timedelta(minutes=30))
    nap = log(session, recheck, world.room_a, world.caregiver_a, EntryKind.nap, 60, started_at=utcnow() - timedelta(minutes=60))
    log(session, recheck, world.room_a, world.caregiver_a, EntryKind.sleep_check, 3, nap_id=nap.id)
    nap = log(session, voided, world.room_a, world.caregiver_a, EntryKind.nap, 60, started_at=utcnow() - timedelta(minutes=60))
    log(session, voided, world.room_a, world.caregiver_a, EntryKind.sleep_check, 3, nap_id=nap.id,
        voided_at=utcnow(), voided_by_id=world.caregiver_a.id, void_reason="记错")
    session.commit()
    day, = rooms_today(session, [world.room_a], enrolment_rows(session), local_today(), now, policy)
    assert summary(day) == summary(load_room_day(session, world.room_a, local_today(), policy, now))
    overdue = {cd.child.id: cd.sleep_overdue for cd in day.children}
    assert [overdue[child.id] for child in children] == [True, False, False, True]
