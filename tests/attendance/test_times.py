"""Correcting a stay's arrival and departure times (hourly and temporary care are billed from them)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_date, local_today, to_local, utcnow
from nursery_ops.dailylog.models import EntryKind, LogEntry


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def base_time() -> datetime:
    """A whole minute today, early enough that the tests' times after it are not in the future."""
    zone = to_local(utcnow()).tzinfo
    midnight = datetime.combine(local_today(), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    if utcnow() - midnight < timedelta(minutes=45):
        pytest.skip("too early in the local day for times before now")
    return minute(max(utcnow() - timedelta(hours=3), midnight))


def hhmm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


def stay(session, world, check_in: datetime, check_out: datetime | None = None, child=None) -> Attendance:
    attendance = Attendance(
        child_id=(child or world.child_x).id, room_id=world.room_a.id, on_date=local_date(check_in), check_in_at=check_in,
        brought_by="王妈妈 (母亲)", checked_in_by_id=world.caregiver_a.id, check_out_at=check_out,
        checked_out_by_id=world.caregiver_a.id if check_out else None,
    )
    session.add(attendance)
    session.commit()
    return attendance


def times_url(world, attendance) -> str:
    return f"/rooms/{world.room_a.id}/attendance/{attendance.id}/times"


def corrections(session) -> list[AuditEntry]:
    fresh(session)
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == "attendance_times_corrected")).all())


def test_the_rooms_caregiver_corrects_todays_arrival_and_the_old_time_stays_in_the_audit(client_for, world, session):
    base = base_time()
    attendance = stay(session, world, base + timedelta(minutes=10))
    response = client_for(world.caregiver_a).post(
        times_url(world, attendance), {"check_in": hhmm(base), "reason": "妈妈8点就送来了，当时忘了点"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/children/{world.child_x.id}/log?date={attendance.on_date.isoformat()}"
    [entry] = corrections(session)
    assert session.get(Attendance, attendance.id).check_in_at == base
    assert entry.actor_id == world.caregiver_a.id and entry.child_id == world.child_x.id
    assert entry.before["check_in_at"] == (base + timedelta(minutes=10)).isoformat()
    assert entry.after["check_in_at"] == base.isoformat() and entry.reason == "妈妈8点就送来了，当时忘了点"


def test_a_departure_is_corrected_with_the_arrival(client_for, world, session):
    base = base_time()
    attendance = stay(session, world, base, base + timedelta(minutes=40))
    data = {"check_in": hhmm(base), "check_out": hhmm(base + timedelta(minutes=30)), "reason": "爷爷四点半接走"}
    assert client_for(world.caregiver_a).post(times_url(world, attendance), data).status_code == 303
    fresh(session)
    corrected = session.get(Attendance, attendance.id)
    assert (corrected.check_in_at, corrected.check_out_at) == (base, base + timedelta(minutes=30))
    assert corrections(session)[0].before["check_out_at"] == (base + timedelta(minutes=40)).isoformat()


def test_saving_the_same_times_again_changes_nothing(client_for, world, session):
    base = base_time()
    attendance = stay(session, world, base)
    client = client_for(world.caregiver_a)
    assert client.post(times_url(world, attendance), {"check_in": hhmm(base), "reason": "核对"}).status_code == 303
    assert corrections(session) == []


MIN = timedelta(minutes=1)

# (what is sent, from `base` and `now`; the field refused; its message)
IMPOSSIBLE = [
    (lambda b, n: {"check_in": hhmm(n + 20 * MIN), "check_out": hhmm(n + 30 * MIN)}, "check_in", "still to come"),
    (lambda b, n: {"check_in": hhmm(b), "check_out": hhmm(b - 5 * MIN)}, "check_out", "departure must be after the arrival"),
    (lambda b, n: {"check_in": hhmm(b), "check_out": hhmm(b)}, "check_out", "departure must be after the arrival"),
    (lambda b, n: {"check_in": hhmm(b), "check_out": ""}, "check_out", "Enter when the child went home"),
    (lambda b, n: {"check_in": "25:00", "check_out": hhmm(b)}, "check_in", "Enter a time as HH:MM"),
    (lambda b, n: {"check_in": hhmm(b), "check_out": hhmm(b + 5 * MIN), "reason": ""}, "reason", "This field is required"),
]


@pytest.mark.parametrize(("data", "field", "message"), IMPOSSIBLE, ids=[f"{case[1]}-{index}" for index, case in enumerate(IMPOSSIBLE)])
def test_impossible_corrections_are_refused_next_to_the_field(client_for, world, session, data, field, message):
    now = minute(utcnow())
    base = base_time()
    if local_date(now + 30 * MIN) != local_today():
        pytest.skip("too late in the local day for a time still to come today")
    attendance = stay(session, world, base + MIN, now - MIN)
    response = client_for(world.caregiver_a).post(times_url(world, attendance), {"reason": "写错了", **data(base, now)})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    fresh(session)
    unchanged = session.get(Attendance, attendance.id)
    assert (unchanged.check_in_at, unchanged.check_out_at) == (base + MIN, now - MIN) and corrections(session) == []


def test_an_arrival_after_the_first_log_entry_is_refused_until_the_entry_is_corrected(client_for, world, session):
    base = base_time()
    attendance = stay(session, world, base)
    session.add(LogEntry(child_id=world.child_x.id, room_id=world.room_a.id, on_date=attendance.on_date,
                         kind=EntryKind.bottle, at=base + timedelta(minutes=5), millilitres=120, by_id=world.caregiver_a.id))
    session.commit()
    response = client_for(world.caregiver_a).post(
        times_url(world, attendance), {"check_in": hhmm(base + timedelta(minutes=10)), "reason": "晚到"}
    )
    assert response.status_code == 400
    assert f"The day&#39;s log has an entry at {hhmm(base + timedelta(minutes=5))}, before this arrival" in response.text
    assert corrections(session) == []


def test_a_caregiver_corrects_only_today_and_the_director_any_day(client_for, world, session):
    yesterday = minute(utcnow() - timedelta(days=1))
    attendance = stay(session, world, yesterday, yesterday + timedelta(hours=2))
    data = {"check_in": hhmm(yesterday - timedelta(minutes=15)), "check_out": hhmm(yesterday + timedelta(hours=2)), "reason": "补录"}
    refused = client_for(world.caregiver_a).post(times_url(world, attendance), data)
    assert refused.status_code == 400 and "older days, the director" in refused.text
    page = client_for(world.caregiver_a).get(times_url(world, attendance)).text
    assert 'name="reason"' not in page and "older days, the director" in page
    assert client_for(world.director).post(times_url(world, attendance), data).status_code == 303
    [entry] = corrections(session)
    assert entry.actor_id == world.director.id


def test_a_health_officer_acts_in_the_room_but_does_not_correct_its_times(client_for, world, session):
    attendance = stay(session, world, base_time())
    response = client_for(world.health).post(times_url(world, attendance), {"check_in": hhmm(attendance.check_in_at), "reason": "x"})
    assert response.status_code == 400 and corrections(session) == []


@pytest.mark.parametrize("who", ["caregiver_b", "parent_x"])
def test_another_rooms_caregiver_and_parents_are_refused(client_for, world, session, who):
    attendance = stay(session, world, base_time())
    client = client_for(getattr(world, who))
    assert client.get(times_url(world, attendance)).status_code == 403
    assert client.post(times_url(world, attendance), {"check_in": "08:00", "reason": "x"}).status_code == 403
    assert corrections(session) == []


def test_anonymous_is_sent_to_sign_in(anonymous, world, session):
    attendance = stay(session, world, base_time())
    response = anonymous.post(times_url(world, attendance), {"check_in": "08:00", "reason": "x"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_arrival_in_another_room_is_not_found_here(client_for, world, session):
    attendance = stay(session, world, base_time(), child=world.child_y)
    attendance.room_id = world.room_b.id
    session.add(attendance)
    session.commit()
    assert client_for(world.director).get(times_url(world, attendance)).status_code == 404


def test_the_tile_opens_the_form_and_the_answer_is_the_tile_with_the_new_time(client_for, world, session):
    base = base_time()
    attendance = stay(session, world, base + timedelta(minutes=10))
    tablet = client_for(world.caregiver_a)
    room = tablet.get(f"/rooms/{world.room_a.id}").text
    assert f'hx-get="{times_url(world, attendance)}"' in room and "Correct times" in room
    form = tablet.htmx_get(times_url(world, attendance))
    assert form.status_code == 200 and "<html" not in form.text and f'hx-target="#child-{world.child_x.id}"' in form.text
    response = tablet.http.post(
        times_url(world, attendance), data={"check_in": hhmm(base), "reason": "记错", "csrf_token": tablet.token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and f"Arrived {hhmm(base)}" in response.text and 'id="room-header"' in response.text


def test_the_childs_day_shows_the_times_and_who_corrected_them_why(client_for, world, session):
    base = base_time()
    attendance = stay(session, world, base + timedelta(minutes=10))
    client_for(world.caregiver_a).post(times_url(world, attendance), {"check_in": hhmm(base), "reason": "妈妈说八点到的"})
    page = client_for(world.director).get(f"/children/{world.child_x.id}/log?date={attendance.on_date.isoformat()}").text
    assert f"Arrived {hhmm(base)}" in page and times_url(world, attendance) in page
    assert "Corrected by 张老师" in page and f"{hhmm(base + timedelta(minutes=10))} → {hhmm(base)}" in page
    assert "妈妈说八点到的" in page
    fresh(session)
    assert session.exec(select(func.count()).select_from(Attendance)).one() == 1
