"""Children services: the list query and its filters, the record, registration."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children import rules, service
from nursery_ops.children.forms import ChildFilters, NewChildForm
from nursery_ops.children.models import Child, ChildGuardian, Guardian
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.clock import local_today, utcnow
from nursery_ops.enrolment.models import CareType, EnrolmentStatus
from nursery_ops.errors import NotFound
from nursery_ops.health.models import ExamKind, HearingResult
from nursery_ops.health.service import child_exam_schedule
from nursery_ops.policy import DEFAULT_POLICY
from tests import factories as f


@contextmanager
def count_queries(engine):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def names(rows) -> set[str]:
    return {row.child.full_name for row in rows}


def listed(session, **filters) -> set[str]:
    return names(service.list_children(session, ChildFilters(**filters), local_today(), DEFAULT_POLICY))


# ---------------------------------------------------------------- age band → birth-date range


@pytest.mark.parametrize("months", [1, 6, 12, 24, 36])
@pytest.mark.parametrize(
    "today",
    [date(2026, 2, 28), date(2028, 2, 28), date(2028, 2, 29), date(2026, 3, 31), date(2026, 4, 30), date(2026, 12, 31), date(2026, 7, 15)],
)
def test_latest_birth_date_is_the_last_day_that_reaches_the_age(today, months):
    latest = rules.latest_birth_date_for_months(today, months)
    assert completed_months(latest, today) >= months
    assert completed_months(latest + timedelta(days=1), today) < months


def test_latest_birth_date_counts_month_ends_born_on_the_31st():
    # Born 31 January: one month old on 28 February (the last day of the shorter month).
    assert rules.latest_birth_date_for_months(date(2026, 2, 28), 1) == date(2026, 1, 31)


def test_band_range_matches_the_band_rule_every_day_for_two_years():
    today = date(2026, 11, 25)
    for band in (AgeBand.infant, AgeBand.toddler, AgeBand.older):
        born_after, born_by = rules.band_birth_range(band, today, DEFAULT_POLICY)
        for offset in range(0, 40 * 31):
            birth = today - timedelta(days=offset)
            inside = born_after < birth <= born_by
            assert inside == (age_band(completed_months(birth, today), DEFAULT_POLICY) is band), (band, birth)


# ---------------------------------------------------------------- the list


@pytest.fixture
def nursery(session, world):
    """Beside the world's two children: an infant waitlisted, a withdrawn older child, one never enrolled."""
    infant = f.make_child(session, "孙小宝", months=8, allergies="花生")
    f.make_guardian(session, infant, "孙爸爸", relation="父亲", phone="13911112222")
    f.enrol(session, infant, None, care_type=CareType.half_day, status=EnrolmentStatus.waitlisted)
    leaver = f.make_child(session, "周小美", months=26)
    f.enrol(session, leaver, world.room_b, status=EnrolmentStatus.withdrawn, end_date=local_today() - timedelta(days=3))
    f.make_child(session, "吴未来", months=13)
    session.commit()
    return world


def test_list_shows_every_child_with_its_enrolment(session, nursery):
    rows = {row.child.full_name: row for row in service.list_children(session, ChildFilters(), local_today(), DEFAULT_POLICY)}
    assert set(rows) == {"王小明", "赵小红", "孙小宝", "周小美", "吴未来"}
    assert rows["王小明"].room.name == "A 托小班" and rows["王小明"].status == "enrolled"
    assert rows["王小明"].months == 18 and rows["王小明"].band is AgeBand.toddler
    assert rows["孙小宝"].status == "waitlisted" and rows["孙小宝"].room is None
    assert rows["周小美"].status == "withdrawn" and rows["周小美"].room is None  # left: no room shown
    assert rows["吴未来"].status == "none"


def test_list_prefers_the_open_enrolment_over_an_older_withdrawn_one(session, nursery):
    f.enrol(session, nursery.child_y, nursery.room_b, status=EnrolmentStatus.withdrawn,
            start_date=local_today() - timedelta(days=400), end_date=local_today() - timedelta(days=200))
    session.commit()
    rows = service.list_children(session, ChildFilters(status="enrolled"), local_today(), DEFAULT_POLICY)
    assert names(rows) == {"王小明", "赵小红"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"band": "infant"}, {"孙小宝"}),
        ({"band": "toddler"}, {"王小明", "吴未来"}),
        ({"band": "older"}, {"赵小红", "周小美"}),
        ({"status": "waitlisted"}, {"孙小宝"}),
        ({"status": "withdrawn"}, {"周小美"}),
        ({"status": "none"}, {"吴未来"}),
        ({"care_type": "half_day"}, {"孙小宝"}),
        ({"care_type": "full_day", "status": "enrolled"}, {"王小明", "赵小红"}),
        ({"q": "小明"}, {"王小明"}),
        ({"q": "孙爸爸"}, {"孙小宝"}),  # guardian's name
        ({"q": "1391111"}, {"孙小宝"}),  # guardian's phone
        ({"q": "139-1111-2222"}, {"孙小宝"}),
        ({"q": "nobody"}, set()),
        ({"q": "%"}, set()),  # typed wildcards are plain text
        ({"band": "toddler", "status": "enrolled"}, {"王小明"}),
    ],
)
def test_list_filters(session, nursery, filters, expected):
    assert listed(session, **filters) == expected


def test_list_filters_by_room(session, nursery):
    assert listed(session, room=nursery.room_a.id) == {"王小明"}
    # 周小美 left room B: she is not in it any more.
    assert listed(session, room=nursery.room_b.id) == {"赵小红"}


def test_list_is_one_query(session, engine, nursery):
    for index in range(10):
        child = f.make_child(session, f"孩子{index}", months=14)
        f.enrol(session, child, nursery.room_a)
    session.commit()
    session.expunge_all()
    with count_queries(engine) as statements:
        rows = service.list_children(session, ChildFilters(q="孩子"), local_today(), DEFAULT_POLICY)
        [row.room.name for row in rows]
    assert len(rows) == 10
    assert len(statements) == 1


# ---------------------------------------------------------------- the record


def test_record_loads_in_a_few_queries(session, engine, world):
    f.make_trusted_adult(session, world.child_x, emergency_contact=True)
    f.make_trusted_adult(session, world.child_x, "王爷爷", relation="爷爷")
    second = f.make_guardian(session, world.child_x, "王爸爸", relation="父亲", phone="13600136000")
    world.child_x.consent_on, world.child_x.consent_guardian_id = local_today(), second.id
    session.commit()
    session.expunge_all()
    with count_queries(engine) as statements:
        record = service.load_record(session, world.child_x.id, local_today(), DEFAULT_POLICY)
    assert len(statements) == 3  # the child with its guardians, the adults, the exams
    assert record.child.full_name == "王小明"
    assert [item.guardian.full_name for item in record.guardians] == ["王妈妈", "王爸爸"]
    assert len(record.adults) == 2 and len(record.emergency_contacts) == 1
    assert record.consent_guardian.full_name == "王爸爸"
    assert len(record.admission_facts.guardian_links) == 2 and len(record.admission_facts.trusted_adults) == 2


def test_record_of_a_purged_or_unknown_child_is_not_found(session, world):
    world.child_x.purged_at = utcnow()
    session.commit()
    for child_id in (world.child_x.id, 9999):
        with pytest.raises(NotFound):
            service.load_record(session, child_id, local_today(), DEFAULT_POLICY)


def test_record_exam_schedule_matches_the_health_services(session, world):
    today = local_today()
    f.make_exam(session, world.child_x, today - timedelta(days=200), haemoglobin_g_l=118, hearing=HearingResult.passed)
    f.make_exam(session, world.child_x, today - timedelta(days=20), kind=ExamKind.entry)
    f.make_exam(session, world.child_x, today - timedelta(days=5), voided_at=utcnow(), hearing=HearingResult.passed)
    session.commit()
    record = service.load_record(session, world.child_x.id, today, DEFAULT_POLICY)
    enrolment = service.open_enrolment(session, world.child_x.id)
    assert service.record_exam_schedule(record, enrolment, today, DEFAULT_POLICY) == child_exam_schedule(
        session, world.child_x, today, DEFAULT_POLICY)


def test_record_notes_a_child_too_young_to_start(session, world):
    baby = f.make_child(session, "小不点", months=3)
    record = service.load_record(session, baby.id, local_today(), DEFAULT_POLICY)
    assert record.band is AgeBand.too_young
    assert record.admissible_from > local_today()


# ---------------------------------------------------------------- registration


def new_child_form(**changes) -> NewChildForm:
    values = {
        "full_name": "钱多多",
        "sex": "male",
        "birth_date": f.birth_for_months(14),
        "g1_full_name": "钱妈妈",
        "g1_relation": "母亲",
        "g1_phone": "13500135000",
        "g1_may_pick_up": True,
        "g1_may_view": True,
    }
    return NewChildForm(**(values | changes))


def test_registration_writes_child_guardians_and_audit_in_one_go(session, world):
    me = CurrentPerson(world.director, frozenset(), "x")
    data = new_child_form(g2_full_name="钱爸爸", g2_relation="父亲", g2_phone="13500135001")
    child = service.create_child(session, me, data, local_today(), DEFAULT_POLICY)
    links = session.exec(select(ChildGuardian).where(ChildGuardian.child_id == child.id)).all()
    assert len(links) == 2
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.child_id == child.id)).all()
    assert actions.count("child_created") == 1 and actions.count("guardian_linked") == 2


def test_registration_reuses_a_siblings_guardian(session, world):
    me = CurrentPerson(world.director, frozenset(), "x")
    data = new_child_form(g1_full_name="王妈妈", g1_phone="13800138000")
    child = service.create_child(session, me, data, local_today(), DEFAULT_POLICY)
    guardian_ids = session.exec(select(ChildGuardian.guardian_id).where(ChildGuardian.child_id == child.id)).all()
    assert guardian_ids == [world.guardian_x.id]


def test_registration_refuses_the_same_guardian_twice_and_saves_nothing(session, world):
    me = CurrentPerson(world.director, frozenset(), "x")
    data = new_child_form(g2_full_name="钱妈妈", g2_relation="母亲", g2_phone="13500135000")
    with pytest.raises(service.Refused) as refused:
        service.create_child(session, me, data, local_today(), DEFAULT_POLICY)
    assert "g2_full_name" in refused.value.errors
    session.rollback()
    assert session.exec(select(Child).where(Child.full_name == "钱多多")).first() is None
    assert session.exec(select(Guardian).where(Guardian.full_name == "钱妈妈")).first() is None


@pytest.mark.parametrize(
    ("birth", "refused"),
    [
        (f.birth_for_months(2), False),  # young: registered for a later start
        (f.birth_for_months(35), False),
        (f.birth_for_months(36), True),
        (date(1990, 1, 1), True),
        (local_today() + timedelta(days=1), True),
    ],
)
def test_birth_date_limits_at_registration(birth, refused):
    assert bool(rules.birth_date_errors(birth, local_today(), DEFAULT_POLICY)) is refused


def test_vaccination_default_due_counts_from_the_start(session, world):
    enrolment = service.open_enrolment(session, world.child_x.id)
    due = service.vaccination_default_due(session, world.child_x, local_today(), DEFAULT_POLICY)
    assert due == enrolment.start_date + timedelta(days=DEFAULT_POLICY.vaccination_pending_days)
    loner = f.make_child(session, "无班级")
    assert service.vaccination_default_due(session, loner, local_today(), DEFAULT_POLICY) == local_today() + timedelta(days=30)
