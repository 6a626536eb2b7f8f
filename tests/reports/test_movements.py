"""Enrolment and waitlist movements (/reports/enrolment): applications, offers, starts, moves and leavings of
one month, the waiting list at its start and end, and twelve months of children starting and leaving."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.children.models import Child
from nursery_ops.children.rules import AgeBand
from nursery_ops.clock import local_today
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus, RoomTransfer
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.reports.movements import MovementKind, csv_rows, months_back, movements_report
from nursery_ops.reports.period import Month
from nursery_ops.settings import get_settings
from tests import factories as f

MARCH = Month(date(2025, 3, 1))
BEFORE, FIRST, LAST, AFTER = date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 1)
EDGES = [(BEFORE, False), (FIRST, True), (LAST, True), (AFTER, False)]


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=get_settings().zone).astimezone(UTC)


def child(session, name="孙小宝", months=18):
    return f.make_child(session, name, months=months, birth_date=f.birth_for_months(months, FIRST))


def waiting(session, name="孙小宝", applied_on=BEFORE, **fields):
    return f.enrol(session, child(session, name, fields.pop("months", 18)), None,
                   status=fields.pop("status", EnrolmentStatus.waitlisted), applied_on=applied_on,
                   start_date=fields.pop("start_date", applied_on + timedelta(days=30)), **fields)


def placed(session, world, name="孙小宝", applied_on=BEFORE, placed_on=FIRST, **fields):
    enrolment = waiting(session, name, applied_on, **fields)
    enrolment.status, enrolment.room_id = EnrolmentStatus.enrolled, world.room_a.id
    enrolment.start_date = placed_on + timedelta(days=7)
    session.add(enrolment)
    session.add(AuditEntry(action="enrolment_placed", entity="enrolment", entity_id=enrolment.id, at=at(placed_on),
                           actor_id=world.director.id))
    return enrolment


def started(session, world, start_date, name="孙小宝", room=None, **fields):
    return f.enrol(session, child(session, name), room or world.room_a, start_date=start_date,
                   applied_on=fields.pop("applied_on", start_date - timedelta(days=60)), **fields)


def report(session, month=MARCH):
    session.commit()
    return movements_report(session, month, DEFAULT_POLICY)


def kinds(found) -> list[tuple[date, str, MovementKind]]:
    return [(m.on, m.child.full_name, m.kind) for m in found.movements]


# ---------------------------------------------------------------- starting, leaving, moving


@pytest.mark.parametrize(("on", "listed"), EDGES)
def test_a_child_starting_on_a_day_of_the_month_is_a_start(session, world, on, listed):
    started(session, world, on)
    found = report(session)
    assert kinds(found) == ([(on, "孙小宝", MovementKind.started)] if listed else [])
    assert found.totals[MovementKind.started] == (1 if listed else 0)


@pytest.mark.parametrize(("on", "listed"), EDGES)
def test_a_child_leaving_on_a_day_of_the_month_is_a_leaving_with_its_reason(session, world, on, listed):
    started(session, world, date(2024, 9, 1), status=EnrolmentStatus.withdrawn, end_date=on, withdrawal_reason="搬家")
    found = report(session)
    assert [(m.on, m.kind, m.room, m.reason) for m in found.movements] == (
        [(on, MovementKind.left, "A 托小班", "搬家")] if listed else [])


def test_a_child_who_starts_and_leaves_in_the_month_is_listed_twice(session, world):
    started(session, world, date(2025, 3, 3), status=EnrolmentStatus.withdrawn, end_date=date(2025, 3, 20),
            withdrawal_reason="不适应")
    assert [m.kind for m in report(session).movements] == [MovementKind.started, MovementKind.left]


def test_a_room_move_names_both_rooms_and_the_start_names_the_first_room(session, world):
    enrolment = started(session, world, date(2025, 3, 3), room=world.room_b)
    session.add(RoomTransfer(enrolment_id=enrolment.id, from_room_id=world.room_a.id, to_room_id=world.room_b.id,
                             on_date=date(2025, 3, 10), reason="满24个月"))
    old = started(session, world, date(2024, 9, 1), name="老学生", room=world.room_b, care_type=CareType.half_day)
    session.add(RoomTransfer(enrolment_id=old.id, from_room_id=world.room_a.id, to_room_id=world.room_b.id,
                             on_date=LAST, reason="升班"))
    session.add(RoomTransfer(enrolment_id=old.id, from_room_id=world.room_b.id, to_room_id=world.room_a.id,
                             on_date=AFTER, reason="not this month"))
    found = report(session)
    assert [(m.on, m.kind, m.room, m.care_type, m.reason) for m in found.movements] == [
        (date(2025, 3, 3), MovementKind.started, "A 托小班", CareType.full_day, ""),
        (date(2025, 3, 10), MovementKind.transferred, "A 托小班 → B 托大班", CareType.full_day, "满24个月"),
        (LAST, MovementKind.transferred, "A 托小班 → B 托大班", CareType.half_day, "升班"),
    ]


# ---------------------------------------------------------------- the waitlist


@pytest.mark.parametrize(
    ("applied_on", "placed_on", "left_on", "expected"),
    [
        # (at the start, at the end, added, offered a place, left the list)
        (BEFORE, None, None, (1, 1, 0, 0, 0)),
        (FIRST, None, None, (0, 1, 1, 0, 0)),
        (LAST, None, None, (0, 1, 1, 0, 0)),
        (AFTER, None, None, (0, 0, 0, 0, 0)),
        (BEFORE, FIRST, None, (1, 0, 0, 1, 0)),
        (BEFORE, LAST, None, (1, 0, 0, 1, 0)),
        (BEFORE, AFTER, None, (1, 1, 0, 0, 0)),  # offered in April: still waiting when March ended
        (date(2025, 1, 10), BEFORE, None, (0, 0, 0, 0, 0)),
        (FIRST, LAST, None, (0, 0, 1, 1, 0)),
        (BEFORE, None, FIRST, (1, 0, 0, 0, 1)),
        (BEFORE, None, LAST, (1, 0, 0, 0, 1)),
        (BEFORE, None, AFTER, (1, 1, 0, 0, 0)),
        (date(2025, 1, 10), None, BEFORE, (0, 0, 0, 0, 0)),
    ],
)
def test_the_waiting_list_at_the_start_and_end_follows_applications_offers_and_withdrawals(
    session, world, applied_on, placed_on, left_on, expected
):
    if placed_on is not None:
        placed(session, world, applied_on=applied_on, placed_on=placed_on)
    elif left_on is not None:
        waiting(session, applied_on=applied_on, status=EnrolmentStatus.withdrawn, end_date=left_on,
                withdrawal_reason="找到别家")
    else:
        waiting(session, applied_on=applied_on)
    found = report(session)
    start, end = found.waiting_at_start.total, found.waiting_at_end.total
    totals = found.totals
    moved = (totals[MovementKind.applied], totals[MovementKind.offered], totals[MovementKind.left_waitlist])
    assert (start, end, *moved) == expected
    assert start + totals[MovementKind.applied] - totals[MovementKind.offered] - totals[MovementKind.left_waitlist] == end


def test_an_offer_is_listed_with_its_room_and_start_date(session, world):
    placed(session, world, placed_on=date(2025, 3, 5))
    (offer,) = [m for m in report(session).movements if m.kind is MovementKind.offered]
    assert (offer.on, offer.kind, offer.room, offer.starts_on) == (date(2025, 3, 5), MovementKind.offered, "A 托小班",
                                                                   date(2025, 3, 12))


def test_a_child_enrolled_straight_into_a_room_never_was_on_the_waitlist(session, world):
    started(session, world, date(2025, 4, 10), applied_on=FIRST)
    found = report(session)
    assert found.movements == [] and found.waiting_at_end.total == 0


def test_the_waiting_list_is_counted_by_age_band_on_the_day_and_by_care_type(session, world):
    waiting(session, "小一", months=8, care_type=CareType.hourly)
    waiting(session, "小二", months=8)
    waiting(session, "小三", months=30, applied_on=FIRST)
    found = report(session)
    start, end = found.waiting_at_start, found.waiting_at_end
    assert (start.by_band[AgeBand.infant], start.by_band[AgeBand.older], start.total) == (2, 0, 2)
    assert (end.by_band[AgeBand.infant], end.by_band[AgeBand.older], end.total) == (2, 1, 3)
    assert (end.by_care_type[CareType.hourly], end.by_care_type[CareType.full_day]) == (1, 2)


def test_a_child_applied_for_before_birth_waits_as_under_six_months(session, world):
    enrolment = waiting(session, "未出生", applied_on=BEFORE)
    session.get(Child, enrolment.child_id).birth_date = date(2025, 5, 1)
    assert report(session).waiting_at_end.by_band[AgeBand.too_young] == 1


# ---------------------------------------------------------------- twelve months


def test_twelve_months_of_starts_and_leavings_end_with_the_chosen_month(session, world):
    started(session, world, date(2024, 4, 1), name="一年前")
    started(session, world, date(2024, 3, 31), name="太早")
    started(session, world, date(2024, 9, 1), name="离开", status=EnrolmentStatus.withdrawn, end_date=LAST)
    started(session, world, FIRST, name="本月")
    waiting(session, "候补", applied_on=FIRST)
    found = report(session)
    expected = [f"2024-{m:02d}" for m in range(4, 13)] + ["2025-01", "2025-02", "2025-03"]
    assert [flow.month.text for flow in found.flows] == expected
    by_month = {flow.month.text: (flow.started, flow.left) for flow in found.flows}
    assert by_month["2024-04"] == (1, 0) and by_month["2024-09"] == (1, 0) and by_month["2025-03"] == (1, 1)
    assert sum(flow.started for flow in found.flows) == 3
    assert by_month["2025-03"] == (found.totals[MovementKind.started], found.totals[MovementKind.left])


@pytest.mark.parametrize(("first", "oldest"), [(date(2025, 3, 1), date(2024, 4, 1)), (date(2025, 12, 1), date(2025, 1, 1)),
                                               (date(2025, 1, 1), date(2024, 2, 1))])
def test_months_back_counts_twelve_months_across_the_year_end(first, oldest):
    months = months_back(Month(first), 12)
    assert len(months) == 12 and months[0].first == oldest and months[-1].first == first


# ---------------------------------------------------------------- the page, the services and the CSV


def test_only_the_director_reads_the_enrolment_report(client_for, world):
    for person, status in [(world.director, 200), (world.health, 403), (world.caregiver_a, 403), (world.parent_x, 403)]:
        assert client_for(person).get("/reports/enrolment?month=2025-03").status_code == status, person.username
        assert client_for(person).get("/reports/enrolment.csv?month=2025-03").status_code == status, person.username


def test_a_bad_month_is_refused_next_to_the_field(client_for, world):
    client = client_for(world.director)
    response = client.get("/reports/enrolment?month=2025-00")
    assert response.status_code == 400 and 'id="month-error"' in response.text
    assert client.get("/reports/enrolment.csv?month=x").status_code == 400


def test_the_directors_own_offer_move_and_withdrawal_show_up_this_month(client_for, session, world):
    """Through the real enrolment pages: the offer's date comes from the audit trail."""
    today = local_today()
    enrolment = f.enrol(session, f.make_child(session, "候补宝宝", months=18), None, status=EnrolmentStatus.waitlisted,
                        applied_on=today - timedelta(days=40), start_date=today)
    session.commit()
    client = client_for(world.director)
    response = client.post(f"/enrolments/{enrolment.id}/place", {"room_id": world.room_a.id, "start_date": today.isoformat()})
    assert response.status_code == 303
    x_enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    withdrawal = {"end_date": today.isoformat(), "reason": "回老家"}
    assert client.post(f"/enrolments/{x_enrolment.id}/withdraw", withdrawal).status_code == 303
    month = Month(today.replace(day=1))
    session.expire_all()
    found = report(session, month)
    assert (today, "候补宝宝", MovementKind.offered) in kinds(found)
    assert (today, "候补宝宝", MovementKind.started) in kinds(found)
    assert (today, "王小明", MovementKind.left) in kinds(found)
    assert found.waiting_at_end.total == 0
    page = client.get(f"/reports/enrolment?month={month.text}").text
    assert "Offered a place" in page and "回老家" in page and "<svg" in page


def test_the_csv_has_a_bom_the_header_and_one_row_per_movement(client_for, session, world):
    started(session, world, FIRST, name="=cmd")
    started(session, world, date(2024, 9, 1), name="离开", status=EnrolmentStatus.withdrawn, end_date=LAST,
            withdrawal_reason="+搬家")
    waiting(session, "候补", applied_on=FIRST, start_date=date(2025, 5, 1))
    session.commit()
    response = client_for(world.director).get("/reports/enrolment.csv?month=2025-03")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="enrolment-2025-03.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Child", "Movement", "Room", "Care type", "Note"]
    assert rows[1:] == [
        ["2025-03-01", "'=cmd", "Started", "A 托小班", "Full day (全日托)", ""],
        ["2025-03-01", "候补", "Added to the waitlist", "", "Full day (全日托)", "Wished start 2025-05-01"],
        ["2025-03-31", "离开", "Left", "A 托小班", "Full day (全日托)", "'+搬家"],
    ]


def test_the_csv_rows_translate_with_the_given_gettext(session, world):
    started(session, world, FIRST)
    rows = csv_rows(report(session), lambda message, **params: message.upper().format(**params))
    assert rows[0][0] == "DATE" and rows[1][2] == "STARTED"


def test_the_report_takes_the_same_number_of_queries_for_more_children(client_for, session, world, queries):
    def month_of(n):
        started(session, world, FIRST, name=f"开始{n}")
        placed(session, world, name=f"录取{n}", placed_on=date(2025, 3, 5))
        waiting(session, f"候补{n}")
        moved = started(session, world, date(2024, 9, 1), name=f"转班{n}")
        session.add(RoomTransfer(enrolment_id=moved.id, from_room_id=world.room_a.id, to_room_id=world.room_b.id,
                                 on_date=date(2025, 3, 9), reason="升班"))

    month_of(0)
    session.commit()
    client = client_for(world.director)
    with queries:
        assert client.get("/reports/enrolment?month=2025-03").status_code == 200
    one = queries.count
    for n in range(1, 11):
        month_of(n)
    session.commit()
    with queries:
        response = client.get("/reports/enrolment?month=2025-03")
    assert response.status_code == 200 and "转班10" in response.text
    assert queries.count == one
