"""The daily log on the tablet: entries, batch actions, corrections and voids, outdoor time, a child's day."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_date, local_today, to_local, utcnow
from nursery_ops.dailylog import service
from nursery_ops.dailylog.forms import BottleForm, MealForm
from nursery_ops.dailylog.models import (
    EntryKind,
    LogEntry,
    OutdoorShortfall,
    OutdoorTime,
)
from nursery_ops.forms import Refused
from nursery_ops.rooms.tablet import RoomActor
from tests import factories as f


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def entries(session) -> list[LogEntry]:
    fresh(session)
    return list(session.exec(select(LogEntry).order_by(LogEntry.id)).all())


def audit_actions(session) -> list[str]:
    fresh(session)
    return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def arrived_at() -> datetime:
    """Two hours ago, or the start of the local day if that is later (entries are refused before the arrival)."""
    zone = to_local(utcnow()).tzinfo
    midnight = datetime.combine(local_today(), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return max(utcnow() - timedelta(hours=2), midnight)


def arrive(session, room, child, at=None) -> Attendance:
    at = at or arrived_at()
    attendance = Attendance(
        child_id=child.id, room_id=room.id, on_date=local_date(at), check_in_at=at, brought_by="王妈妈 (母亲)",
        checked_in_by_id=1,
    )
    session.add(attendance)
    session.flush()
    return attendance


@pytest.fixture
def day(session, world):
    """Room A in the day: child X and child Z checked in; child Y is room B's."""
    world.child_z = f.make_child(session, "李小华", months=20)
    world.guardian_z = f.make_guardian(session, world.child_z, "李妈妈", phone="13600136000")
    world.parent_z = f.make_person(session, "parent_z", Role.parent, full_name="李妈妈", guardian_id=world.guardian_z.id)
    f.enrol(session, world.child_z, world.room_a)
    arrive(session, world.room_a, world.child_x)
    arrive(session, world.room_a, world.child_z)
    session.commit()
    return world


def url(world, slug, child=None) -> str:
    return f"/rooms/{world.room_a.id}/children/{(child or world.child_x).id}/log/{slug}"


def local_hhmm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


# ---------------------------------------------------------------- who may log


ROOM_ACTIONS = [
    ("get", "{child}/log/meal"), ("post", "{child}/log/meal"),
    ("get", "{child}/log/bottle"), ("post", "{child}/log/bottle"),
    ("get", "{child}/log/nap"), ("post", "{child}/log/nap-start"), ("post", "{child}/log/nap-end"),
    ("post", "{child}/log/sleep-check"), ("post", "{child}/log/nappy"), ("post", "{child}/log/mood"),
    ("post", "{child}/log/activity"), ("post", "{child}/log/note"), ("get", "{child}/log/photo"), ("post", "{child}/log/photo"),
    ("get", "/log/batch"), ("post", "/log/batch"),
    ("get", "/log/{entry}/correct"), ("post", "/log/{entry}/correct"),
    ("get", "/log/{entry}/void"), ("post", "/log/{entry}/void"),
    ("get", "/outdoor"), ("post", "/outdoor"), ("post", "/outdoor/reason"),
]


def room_url(world, path, entry_id=1):
    return f"/rooms/{world.room_a.id}" + path.format(child=f"/children/{world.child_x.id}", entry=entry_id)


@pytest.fixture
def an_entry(session, day):
    entry = LogEntry(child_id=day.child_x.id, room_id=day.room_a.id, on_date=local_today(), kind=EntryKind.note,
                     at=utcnow(), by_id=day.caregiver_a.id, text="早上好")
    session.add(entry)
    session.commit()
    return entry


@pytest.mark.parametrize(("method", "path"), ROOM_ACTIONS)
def test_caregiver_of_another_room_and_parents_are_refused(client_for, day, an_entry, session, method, path):
    target = room_url(day, path, an_entry.id)
    before = (count(session, LogEntry), count(session, AuditEntry))
    for person in (day.caregiver_b, day.parent_x):
        client = client_for(person)
        response = client.get(target) if method == "get" else client.post(target, {"text": "x", "reason": "x"})
        assert response.status_code == 403, f"{person.username} {method} {target}"
    assert (count(session, LogEntry), count(session, AuditEntry)) == before


@pytest.mark.parametrize(("method", "path"), ROOM_ACTIONS)
def test_anonymous_is_sent_to_sign_in(anonymous, day, an_entry, method, path):
    target = room_url(day, path, an_entry.id)
    response = anonymous.get(target) if method == "get" else anonymous.post(target)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_child_of_another_room_is_not_found_here(client_for, day):
    assert client_for(day.caregiver_a).get(url(day, "meal", day.child_y)).status_code == 404


def test_an_unknown_kind_is_not_found(client_for, day):
    assert client_for(day.caregiver_a).get(url(day, "dance")).status_code == 404


# ---------------------------------------------------------------- entries


def test_the_tile_loads_the_small_form(client_for, day):
    response = client_for(day.caregiver_a).htmx_get(url(day, "meal"))
    assert response.status_code == 200
    assert "<html" not in response.text and 'name="form_token"' in response.text and "Lunch" in response.text
    assert f'hx-target="#child-{day.child_x.id}"' in response.text


@pytest.mark.parametrize(
    ("slug", "data", "check"),
    [
        ("meal", {"meal": "lunch", "amount": "most"}, lambda e: (e.meal, e.amount) == ("lunch", "most")),
        ("bottle", {"millilitres": "180"}, lambda e: e.millilitres == 180),
        ("nap-start", {}, lambda e: e.kind == "nap" and e.started_at == e.at and e.ended_at is None),
        ("nappy", {"nappy": "wet_and_dirty"}, lambda e: e.nappy == "wet_and_dirty"),
        ("mood", {"mood": "happy", "text": "笑了"}, lambda e: (e.mood, e.text) == ("happy", "笑了")),
        ("activity", {"text": "搭积木"}, lambda e: e.kind == "activity" and e.text == "搭积木"),
        ("note", {"text": "带了新衣服"}, lambda e: e.kind == "note"),
    ],
)
def test_the_assigned_caregiver_logs_an_entry(client_for, day, session, slug, data, check):
    response = client_for(day.caregiver_a).post(url(day, slug), data)
    assert response.status_code == 303 and response.headers["location"] == f"/rooms/{day.room_a.id}"
    [entry] = entries(session)
    assert (entry.child_id, entry.room_id, entry.by_id, entry.on_date) == (
        day.child_x.id, day.room_a.id, day.caregiver_a.id, local_today()
    )
    assert check(entry)
    assert audit_actions(session) == ["log_entry_recorded"]


def test_an_earlier_time_today_is_kept(client_for, day, session):
    earlier = utcnow() - timedelta(minutes=20)
    client_for(day.caregiver_a).post(url(day, "bottle"), {"millilitres": "120", "time": local_hhmm(earlier)})
    [entry] = entries(session)
    assert entry.at == earlier.replace(second=0, microsecond=0)


@pytest.mark.parametrize(
    ("slug", "data", "field", "message"),
    [
        ("bottle", {"millilitres": "501"}, "millilitres", "Over 500 ml is not possible"),
        ("bottle", {"millilitres": "0"}, "millilitres", "from 1 to 500"),
        ("bottle", {"millilitres": "lots"}, "millilitres", "Enter a whole number."),
        ("meal", {"meal": "brunch", "amount": "all"}, "meal", "Choose one of the options."),
        ("meal", {"meal": "lunch"}, "amount", "This field is required."),
        ("nappy", {"nappy": "green"}, "nappy", "Choose one of the options."),
        ("note", {"text": "  "}, "text", "This field is required."),
        ("note", {"text": "x", "time": "25:00"}, "time", "Enter a time as HH:MM."),
    ],
)
def test_impossible_values_are_refused_next_to_the_field(client_for, day, session, slug, data, field, message):
    response = client_for(day.caregiver_a).post(url(day, slug), data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert count(session, LogEntry) == 0 and count(session, AuditEntry) == 0


def test_a_time_still_to_come_is_refused(client_for, day, session):
    later = utcnow() + timedelta(minutes=30)
    response = client_for(day.caregiver_a).post(url(day, "note"), {"text": "x", "time": local_hhmm(later)})
    assert response.status_code == 400 and "still to come" in response.text
    assert count(session, LogEntry) == 0


def test_a_refusal_over_htmx_lands_in_the_tile_action_area(client_for, day):
    client = client_for(day.caregiver_a)
    response = client.http.post(url(day, "bottle"), data={"csrf_token": client.token, "millilitres": "900"},
                                headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == f"#child-{day.child_x.id}-action"
    assert "<html" not in response.text


@pytest.mark.parametrize("state", ["not checked in", "checked out", "in another room"])
def test_no_log_for_a_child_not_in_the_room_today(client_for, day, session, state):
    attendance = session.exec(select(Attendance).where(Attendance.child_id == day.child_x.id)).one()
    if state == "not checked in":
        session.delete(attendance)
    elif state == "checked out":
        attendance.check_out_at = utcnow()
        session.add(attendance)
    else:
        attendance.room_id = day.room_b.id
        session.add(attendance)
    session.commit()
    response = client_for(day.caregiver_a).post(url(day, "meal"), {"meal": "lunch", "amount": "all"})
    assert response.status_code == 400 and "not in the room today" in response.text
    assert count(session, LogEntry) == 0


def test_a_double_tap_saves_one_entry(client_for, day, session):
    client = client_for(day.caregiver_a)
    data = {"meal": "lunch", "amount": "all", "form_token": "tap-tap-1"}
    assert client.post(url(day, "meal"), data).status_code == 303
    assert client.post(url(day, "meal"), data).status_code == 303
    assert count(session, LogEntry) == 1 and audit_actions(session) == ["log_entry_recorded"]
    assert client.post(url(day, "meal"), {**data, "form_token": "tap-tap-2"}).status_code == 303
    assert count(session, LogEntry) == 2


def test_an_entry_at_23_30_utc_is_on_the_next_local_day(session, day):
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 on 2 March in Shanghai
    arrive(session, day.room_a, day.child_x, at=late)
    session.commit()
    actor = RoomActor(room=day.room_a, me=None, person_id=day.caregiver_a.id, person_name="张老师")
    entry = service.record_entry(session, actor, day.child_x, "bottle", BottleForm(millilitres=90), late)
    assert entry.on_date.isoformat() == "2026-03-02" and entry.at == late


def test_the_service_refuses_before_writing(session, day):
    actor = RoomActor(room=day.room_a, me=None, person_id=day.caregiver_a.id, person_name="张老师")
    with pytest.raises(Refused):
        service.record_entry(session, actor, day.child_y, "meal", MealForm(meal="lunch", amount="all"), utcnow())
    assert count(session, LogEntry) == 0


# ---------------------------------------------------------------- naps and sleep checks


def test_nap_start_check_and_end(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert "Nap starts" in client.get(url(day, "nap")).text
    assert client.post(url(day, "nap-start"), {}).status_code == 303
    again = client.post(url(day, "nap-start"), {})
    assert again.status_code == 400 and "already asleep" in again.text
    [nap] = entries(session)
    page = client.get(url(day, "nap")).text
    assert "Nap ends" in page and f'name="nap_id" value="{nap.id}"' in page
    assert client.post(url(day, "sleep-check"), {}).status_code == 303
    check = entries(session)[-1]
    assert (check.kind, check.nap_id) == ("sleep_check", nap.id)
    assert client.post(url(day, "nap-end"), {"nap_id": nap.id}).status_code == 303
    # The same form again (a double tap): the nap stays ended once.
    assert client.post(url(day, "nap-end"), {"nap_id": nap.id}).status_code == 303
    fresh(session)
    ended = session.get(LogEntry, nap.id)
    assert ended.ended_at is not None and ended.ended_at >= ended.started_at
    assert audit_actions(session) == ["log_entry_recorded", "log_entry_recorded", "nap_ended"]


def test_sleep_check_and_nap_end_need_a_sleeping_child(client_for, day, session):
    client = client_for(day.caregiver_a)
    for slug in ("sleep-check", "nap-end"):
        response = client.post(url(day, slug), {})
        assert response.status_code == 400 and "not asleep" in response.text
    assert count(session, LogEntry) == 0


def test_a_nap_cannot_end_before_it_started(client_for, day, session):
    client = client_for(day.caregiver_a)
    start = utcnow() - timedelta(minutes=10)
    client.post(url(day, "nap-start"), {"time": local_hhmm(start)})
    response = client.post(url(day, "nap-end"), {"time": local_hhmm(start - timedelta(minutes=5))})
    assert response.status_code == 400 and "cannot end before it started" in response.text
    [nap] = entries(session)
    assert nap.ended_at is None


# ---------------------------------------------------------------- batch


def batch(world) -> str:
    return f"/rooms/{world.room_a.id}/log/batch"


def test_lunch_for_everyone_with_an_exception(client_for, day, session):
    child_w = f.make_child(session, "周小军", months=22)
    f.enrol(session, child_w, day.room_a)
    arrive(session, day.room_a, child_w)
    session.commit()
    client = client_for(day.caregiver_a)
    page = client.get(batch(day)).text
    assert day.child_x.full_name in page and day.child_z.full_name in page and day.child_y.full_name not in page
    data = {
        "batch": "meal", "meal": "lunch", "form_token": "batch-1",
        f"amount_{day.child_x.id}": "all", f"amount_{day.child_z.id}": "some", f"amount_{child_w.id}": "absent",
    }
    assert client.post(batch(day), data).status_code == 303
    assert client.post(batch(day), data).status_code == 303  # a double tap
    saved = {e.child_id: (e.meal, e.amount, e.by_id) for e in entries(session)}
    assert saved == {
        day.child_x.id: ("lunch", "all", day.caregiver_a.id),
        day.child_z.id: ("lunch", "some", day.caregiver_a.id),
    }


def test_a_bad_exception_saves_nothing_of_the_batch(client_for, day, session):
    data = {"batch": "meal", "meal": "lunch", f"amount_{day.child_x.id}": "all", f"amount_{day.child_z.id}": "loads"}
    response = client_for(day.caregiver_a).post(batch(day), data)
    assert response.status_code == 400 and f'id="amount_{day.child_z.id}-error"' in response.text
    assert count(session, LogEntry) == 0


def test_nap_start_and_end_for_selected_children(client_for, day, session):
    client = client_for(day.caregiver_a)
    data = {"batch": "nap_start", "form_token": "naps-1", "children": [day.child_x.id, day.child_z.id]}
    assert client.post(batch(day), data).status_code == 303
    assert client.post(batch(day), data).status_code == 303  # a double tap
    naps = entries(session)
    assert sorted(n.child_id for n in naps) == sorted([day.child_x.id, day.child_z.id])
    end = {"batch": "nap_end", "form_token": "wake-1", "naps": [naps[0].id]}
    assert client.post(batch(day), end).status_code == 303
    assert client.post(batch(day), end).status_code == 303
    fresh(session)
    assert session.get(LogEntry, naps[0].id).ended_at is not None and session.get(LogEntry, naps[1].id).ended_at is None
    refused = client.post(batch(day), {"batch": "nap_start", "children": [day.child_y.id]})
    assert refused.status_code == 400 and "no longer in the room" in refused.text
    assert client.post(batch(day), {"batch": "nap_start"}).status_code == 400


# ---------------------------------------------------------------- corrections and voids


def test_a_correction_is_a_new_version_with_the_reason(client_for, day, session):
    client = client_for(day.caregiver_a)
    client.post(url(day, "bottle"), {"millilitres": "150"})
    [old] = entries(session)
    form = client.get(f"/rooms/{day.room_a.id}/log/{old.id}/correct").text
    assert 'value="150"' in form
    data = {"millilitres": "120", "time": local_hhmm(old.at), "reason": "看错刻度", "form_token": "fix-1"}
    assert client.post(f"/rooms/{day.room_a.id}/log/{old.id}/correct", data).status_code == 303
    assert client.post(f"/rooms/{day.room_a.id}/log/{old.id}/correct", data).status_code == 303  # a double tap
    old_row, new = entries(session)
    assert old_row.replaced and not new.replaced
    assert (new.replaces_id, new.correction_reason, new.millilitres, new.by_id) == (old.id, "看错刻度", 120, day.caregiver_a.id)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "log_entry_corrected")).one()
    assert entry.before["millilitres"] == 150 and entry.after["millilitres"] == 120 and entry.reason == "看错刻度"
    again = client.post(f"/rooms/{day.room_a.id}/log/{old.id}/correct", {**data, "form_token": "fix-2"})
    assert again.status_code == 400 and "already been corrected or voided" in again.text


def test_a_correction_needs_a_reason_and_sane_values(client_for, day, session):
    client = client_for(day.caregiver_a)
    client.post(url(day, "bottle"), {"millilitres": "150"})
    [old] = entries(session)
    target = f"/rooms/{day.room_a.id}/log/{old.id}/correct"
    assert client.post(target, {"millilitres": "120", "time": local_hhmm(old.at)}).status_code == 400
    response = client.post(target, {"millilitres": "900", "time": local_hhmm(old.at), "reason": "x"})
    assert response.status_code == 400 and "Over 500 ml" in response.text
    assert count(session, LogEntry) == 1 and not entries(session)[0].replaced


def test_void_keeps_the_entry_with_who_when_why(client_for, day, session):
    client = client_for(day.caregiver_a)
    client.post(url(day, "nappy"), {"nappy": "wet"})
    [entry] = entries(session)
    assert client.post(f"/rooms/{day.room_a.id}/log/{entry.id}/void", {}).status_code == 400
    assert client.post(f"/rooms/{day.room_a.id}/log/{entry.id}/void", {"reason": "记错孩子"}).status_code == 303
    assert client.post(f"/rooms/{day.room_a.id}/log/{entry.id}/void", {"reason": "记错孩子"}).status_code == 303
    [voided] = entries(session)
    assert (voided.voided_by_id, voided.void_reason) == (day.caregiver_a.id, "记错孩子") and voided.voided_at
    assert audit_actions(session) == ["log_entry_recorded", "log_entry_voided"]


def test_only_the_director_corrects_an_earlier_day(client_for, day, session):
    yesterday = utcnow() - timedelta(days=1)
    old = LogEntry(child_id=day.child_x.id, room_id=day.room_a.id, on_date=local_date(yesterday), kind=EntryKind.note,
                   at=yesterday, by_id=day.caregiver_a.id, text="昨天")
    session.add(old)
    session.commit()
    data = {"text": "昨天下午", "time": local_hhmm(yesterday), "reason": "补充"}
    response = client_for(day.caregiver_a).post(f"/rooms/{day.room_a.id}/log/{old.id}/correct", data)
    assert response.status_code == 400 and "Only today" in response.text
    assert client_for(day.director).post(f"/rooms/{day.room_a.id}/log/{old.id}/correct", data).status_code == 303
    new = entries(session)[-1]
    assert (new.on_date, new.text, new.replaces_id, new.by_id) == (local_date(yesterday), "昨天下午", old.id, day.director.id)


def test_the_childs_day_shows_every_version(client_for, day, session):
    client = client_for(day.caregiver_a)
    client.post(url(day, "bottle"), {"millilitres": "150"})
    client.post(url(day, "note"), {"text": "午饭前哭了"})
    bottle, note = entries(session)
    client.post(f"/rooms/{day.room_a.id}/log/{bottle.id}/correct",
                {"millilitres": "120", "time": local_hhmm(bottle.at), "reason": "看错刻度"})
    client.post(f"/rooms/{day.room_a.id}/log/{note.id}/void", {"reason": "不是这个孩子"})
    page = client_for(day.health).get(f"/children/{day.child_x.id}/log?date={local_today().isoformat()}")
    assert page.status_code == 200
    text = page.text
    assert "Drank 150 ml" in text and "Drank 120 ml" in text and "看错刻度" in text
    assert "不是这个孩子" in text and "Voided by 张老师" in text and text.count("<del>") >= 4
    assert client_for(day.parent_x).get(f"/children/{day.child_x.id}/log").status_code == 403


# ---------------------------------------------------------------- outdoor time


def outdoor(world) -> str:
    return f"/rooms/{world.room_a.id}/outdoor"


def test_outdoor_time_adds_up_and_warns_until_a_reason(client_for, day, session):
    now = to_local(utcnow())
    client = client_for(day.caregiver_a)
    start = now - timedelta(minutes=150)
    first = {"start": start.strftime("%H:%M"), "end": (start + timedelta(minutes=60)).strftime("%H:%M")}
    assert client.post(outdoor(day), first).status_code == 303
    assert client.post(outdoor(day), first).status_code == 303  # a double tap
    overlapping = {"start": (start + timedelta(minutes=30)).strftime("%H:%M"), "end": (start + timedelta(minutes=90)).strftime("%H:%M")}
    response = client.post(outdoor(day), overlapping)
    assert response.status_code == 400 and "overlaps" in response.text
    second = {"start": (start + timedelta(minutes=80)).strftime("%H:%M"), "end": (start + timedelta(minutes=139)).strftime("%H:%M")}
    assert client.post(outdoor(day), second).status_code == 303
    assert count(session, OutdoorTime) == 2
    page = client.get(outdoor(day)).text
    assert "119 min" in page and "under 120 min" in page
    assert client.post(f"{outdoor(day)}/reason", {"reason": "雾霾"}).status_code == 303
    page = client.get(outdoor(day)).text
    assert "雾霾" in page and "under 120 min" not in page
    assert count(session, OutdoorShortfall) == 1
    assert audit_actions(session) == ["outdoor_time_recorded", "outdoor_time_recorded", "outdoor_shortfall_recorded"]


def test_outdoor_end_before_start_is_refused(client_for, day, session):
    response = client_for(day.caregiver_a).post(outdoor(day), {"start": "10:00", "end": "09:30"})
    assert response.status_code == 400 and "end must be after the start" in response.text
    assert client_for(day.caregiver_a).post(f"{outdoor(day)}/reason", {"reason": " "}).status_code == 400
    assert count(session, OutdoorTime) == 0 and count(session, OutdoorShortfall) == 0


@pytest.mark.parametrize("kind", list(EntryKind))
def test_correction_and_void_forms_open_for_every_kind(client_for, day, session, kind):
    now = utcnow() - timedelta(minutes=1)
    entry = LogEntry(child_id=day.child_x.id, room_id=day.room_a.id, on_date=local_date(now), kind=kind, at=now,
                     by_id=day.caregiver_a.id, meal="lunch" if kind == "meal" else None, amount="all" if kind == "meal" else None,
                     millilitres=90 if kind == "bottle" else None, nappy="wet" if kind == "nappy" else None,
                     mood="calm" if kind == "mood" else None, started_at=now if kind == "nap" else None, text="字")
    session.add(entry)
    session.commit()
    client = client_for(day.caregiver_a)
    for action in ("correct", "void"):
        response = client.htmx_get(f"/rooms/{day.room_a.id}/log/{entry.id}/{action}")
        assert response.status_code == 200 and 'name="reason"' in response.text


def test_the_batch_page_lists_who_sleeps(client_for, day):
    client = client_for(day.caregiver_a)
    client.post(url(day, "nap-start"), {})
    page = client.get(batch(day)).text
    assert "Children waking up" in page and "asleep since" in page


# ---------------------------------------------------------------- times the child cannot have had


MIN = timedelta(minutes=1)


@pytest.fixture
def recent(session, day):
    """Children X and Z arrived 45 minutes ago (the test needs that much of the local day behind it)."""
    now = utcnow().replace(second=0, microsecond=0)
    if local_date(now - 60 * MIN) != local_today():
        pytest.skip("too early in the local day for times before the arrival")
    session.exec(update(Attendance).values(check_in_at=now - 45 * MIN))
    session.commit()
    day.arrived = now - 45 * MIN
    return day


def test_an_entry_before_the_childs_arrival_is_refused(client_for, recent, session):
    client = client_for(recent.caregiver_a)
    response = client.post(url(recent, "bottle"), {"millilitres": "120", "time": local_hhmm(recent.arrived - MIN)})
    assert response.status_code == 400 and 'id="time-error"' in response.text
    assert f"The child arrived at {local_hhmm(recent.arrived)}: an entry cannot be earlier" in response.text
    assert count(session, LogEntry) == 0
    assert client.post(url(recent, "bottle"), {"millilitres": "120", "time": local_hhmm(recent.arrived)}).status_code == 303


def test_a_batch_meal_before_a_childs_arrival_names_the_child_and_saves_nothing(client_for, recent, session):
    later = f.make_child(session, "周小军", months=22)
    f.enrol(session, later, recent.room_a)
    arrive(session, recent.room_a, later, at=recent.arrived + 20 * MIN)
    session.commit()
    data = {"batch": "meal", "meal": "lunch", "time": local_hhmm(recent.arrived + 10 * MIN),
            **{f"amount_{child.id}": "all" for child in (recent.child_x, recent.child_z, later)}}
    response = client_for(recent.caregiver_a).post(batch(recent), data)
    assert response.status_code == 400 and f"周小军 arrived at {local_hhmm(recent.arrived + 20 * MIN)}" in response.text
    assert count(session, LogEntry) == 0
    # The one who came later is marked "not at this meal": the others' lunch is saved.
    data[f"amount_{later.id}"] = "absent"
    assert client_for(recent.caregiver_a).post(batch(recent), data).status_code == 303
    assert count(session, LogEntry) == 2


def test_batch_naps_before_a_childs_arrival_are_refused(client_for, recent, session):
    data = {"batch": "nap_start", "children": [str(recent.child_x.id), str(recent.child_z.id)],
            "time": local_hhmm(recent.arrived - 5 * MIN)}
    response = client_for(recent.caregiver_a).post(batch(recent), data)
    assert response.status_code == 400 and "arrived at" in response.text
    assert count(session, LogEntry) == 0


def test_a_correction_cannot_move_an_entry_before_the_arrival(client_for, recent, session):
    client = client_for(recent.caregiver_a)
    client.post(url(recent, "bottle"), {"millilitres": "150"})
    [bottle] = entries(session)
    response = client.post(f"/rooms/{recent.room_a.id}/log/{bottle.id}/correct",
                           {"millilitres": "150", "time": local_hhmm(recent.arrived - 5 * MIN), "reason": "记错时间"})
    assert response.status_code == 400 and "arrived at" in response.text
    assert [entry.replaced for entry in entries(session)] == [False]


# ---------------------------------------------------------------- one nap at a time, checks within naps


def nap(client, world, start, end=None):
    assert client.post(url(world, "nap-start"), {"time": local_hhmm(start)}).status_code == 303
    if end is not None:
        assert client.post(url(world, "nap-end"), {"time": local_hhmm(end)}).status_code == 303


def test_a_nap_overlapping_an_earlier_one_is_refused(client_for, recent, session):
    client = client_for(recent.caregiver_a)
    first = recent.arrived + 5 * MIN
    nap(client, recent, first, first + 20 * MIN)
    response = client.post(url(recent, "nap-start"), {"time": local_hhmm(first + 10 * MIN)})
    assert response.status_code == 400 and f"overlaps the child&#39;s nap from {local_hhmm(first)}" in response.text
    assert count(session, LogEntry) == 1
    # Falling asleep again as the first nap ended is fine.
    assert client.post(url(recent, "nap-start"), {"time": local_hhmm(first + 20 * MIN)}).status_code == 303


def test_a_batch_nap_overlapping_a_childs_earlier_nap_is_refused(client_for, recent, session):
    client = client_for(recent.caregiver_a)
    first = recent.arrived + 5 * MIN
    nap(client, recent, first, first + 20 * MIN)
    data = {"batch": "nap_start", "children": [str(recent.child_x.id), str(recent.child_z.id)],
            "time": local_hhmm(first + 15 * MIN)}
    response = client.post(batch(recent), data)
    assert response.status_code == 400 and "王小明 already had a nap from" in response.text
    assert count(session, LogEntry) == 1


def test_a_nap_corrected_onto_another_is_refused(client_for, recent, session):
    client = client_for(recent.caregiver_a)
    first = recent.arrived + 5 * MIN
    nap(client, recent, first, first + 10 * MIN)
    nap(client, recent, first + 20 * MIN, first + 30 * MIN)
    _, second = entries(session)
    data = {"time": local_hhmm(first + 5 * MIN), "end_time": local_hhmm(first + 30 * MIN), "reason": "记错"}
    response = client.post(f"/rooms/{recent.room_a.id}/log/{second.id}/correct", data)
    assert response.status_code == 400 and "overlaps" in response.text
    assert [entry.replaced for entry in entries(session)] == [False, False]
    # Moving the nap within its own time is no overlap with itself.
    data["time"] = local_hhmm(first + 25 * MIN)
    assert client.post(f"/rooms/{recent.room_a.id}/log/{second.id}/correct", data).status_code == 303


def test_a_corrected_sleep_check_must_stay_within_a_nap(client_for, recent, session):
    client = client_for(recent.caregiver_a)
    start = recent.arrived + 5 * MIN
    nap(client, recent, start)
    assert client.post(url(recent, "sleep-check"), {"time": local_hhmm(start + 10 * MIN)}).status_code == 303
    check = entries(session)[-1]
    correct = f"/rooms/{recent.room_a.id}/log/{check.id}/correct"
    response = client.post(correct, {"time": local_hhmm(start - 2 * MIN), "reason": "记错"})
    assert response.status_code == 400 and "must be during one of the child" in response.text
    assert client.post(correct, {"time": local_hhmm(start + 5 * MIN), "reason": "记错"}).status_code == 303


# ---------------------------------------------------------------- voiding outdoor time


def period(session, world, start_minutes=0, minutes=60, on=None, room=None) -> OutdoorTime:
    on = on or local_today()
    zone = to_local(utcnow()).tzinfo
    start = datetime.combine(on, datetime.min.time(), tzinfo=zone).astimezone(UTC) + timedelta(hours=9, minutes=start_minutes)
    row = OutdoorTime(room_id=(room or world.room_a).id, on_date=on, started_at=start,
                      ended_at=start + timedelta(minutes=minutes), by_id=world.caregiver_a.id)
    session.add(row)
    session.commit()
    return row


def void_url(world, row) -> str:
    return f"{outdoor(world)}/{row.id}/void"


def test_outdoor_time_recorded_in_error_is_voided_with_a_reason(client_for, day, session):
    row = period(session, day)
    client = client_for(day.caregiver_a)
    page = client.get(outdoor(day)).text
    assert void_url(day, row) in page and "60 min" in page
    assert client.get(void_url(day, row)).status_code == 200
    assert client.post(void_url(day, row), {"reason": "记成了B班的"}).status_code == 303
    fresh(session)
    voided = session.get(OutdoorTime, row.id)
    assert (voided.voided_by_id, voided.void_reason) == (day.caregiver_a.id, "记成了B班的") and voided.voided_at
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "outdoor_time_voided")).one()
    assert entry.before["voided_at"] is None and entry.reason == "记成了B班的"
    assert "0 min" in client.get(outdoor(day)).text
    assert client.post(void_url(day, row), {"reason": "again"}).status_code == 303  # a double tap
    assert audit_actions(session).count("outdoor_time_voided") == 1


def test_voiding_outdoor_time_needs_a_reason(client_for, day, session):
    row = period(session, day)
    response = client_for(day.caregiver_a).post(void_url(day, row), {"reason": " "})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    fresh(session)
    assert session.get(OutdoorTime, row.id).voided_at is None


def test_yesterdays_outdoor_time_is_voided_by_the_director_only(client_for, day, session):
    row = period(session, day, on=local_today() - timedelta(days=1))
    refused = client_for(day.caregiver_a).post(void_url(day, row), {"reason": "x"})
    assert refused.status_code == 400 and "Only today" in refused.text
    assert client_for(day.director).post(void_url(day, row), {"reason": "补正"}).status_code == 303


def test_outdoor_time_of_another_room_is_not_found_and_others_are_refused(client_for, day, session):
    other = period(session, day, room=day.room_b)
    assert client_for(day.director).post(void_url(day, other), {"reason": "x"}).status_code == 404
    row = period(session, day, start_minutes=120)
    for person in (day.caregiver_b, day.parent_x):
        assert client_for(person).post(void_url(day, row), {"reason": "x"}).status_code == 403
    fresh(session)
    assert session.get(OutdoorTime, row.id).voided_at is None
