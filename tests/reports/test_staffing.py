"""Staff compliance (/reports/staff): certificates, qualifications and training of every active member of
staff on a day, the staffing rules, and the people barred for good."""

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest

from nursery_ops.attendance.rules import REQUIRED_TO_WORK
from nursery_ops.auth.models import Person, Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.reports.staffing import staff_report
from nursery_ops.settings import get_settings
from nursery_ops.staff.models import CertificateKind, Employment, Job, StaffCertificate, StaffProfile, StaffTraining, TrainingKind
from tests import factories as f

ON = date(2025, 6, 15)


def certify(session, person, valid_until=ON + timedelta(days=200), kinds=REQUIRED_TO_WORK, **fields):
    for kind in kinds:
        session.add(StaffCertificate(person_id=person.id, kind=kind, issued_on=fields.get("issued_on", ON - timedelta(days=30)),
                                     valid_until=valid_until, **{k: v for k, v in fields.items() if k != "issued_on"}))


def train(session, person, tenths_by_kind=None, on_date=ON - timedelta(days=60), **fields):
    for kind, tenths in (tenths_by_kind or {TrainingKind.pre_service: 720, TrainingKind.ethics: 400}).items():
        session.add(StaffTraining(person_id=person.id, on_date=on_date, hours_tenths=tenths, kind=kind, **fields))


def compliant(session, person):
    certify(session, person)
    train(session, person)


def guard(session, name="保安老周", **profile):
    person = Person(full_name=name)
    session.add(person)
    session.flush()
    session.add(StaffProfile(person_id=person.id, job=Job.security, **profile))
    session.flush()
    return person


def report(session, on=ON, policy=DEFAULT_POLICY):
    session.commit()
    return staff_report(session, on, policy)


def row_of(found, person):
    return next(row for row in found.rows if row.account.person.id == person.id)


# ---------------------------------------------------------------- certificates


@pytest.mark.parametrize(
    ("valid_until", "fields", "status"),
    [
        (ON + timedelta(days=46), {}, "valid"),
        (ON + timedelta(days=45), {}, "expiring"),  # certificate_warning_days = 45: warned from 45 days ahead
        (ON, {}, "expiring"),  # valid through its last day
        (ON - timedelta(days=1), {}, "expired"),
        (ON + timedelta(days=200), {"voided_at": utcnow(), "void_reason": "typo"}, "missing"),
        (ON + timedelta(days=200), {"issued_on": ON + timedelta(days=1)}, "missing"),  # not issued yet on the day
    ],
)
def test_each_required_certificate_has_its_state_on_the_day(session, world, valid_until, fields, status):
    certify(session, world.caregiver_a, valid_until, kinds=[CertificateKind.health], **fields)
    row = row_of(report(session), world.caregiver_a)
    states = {state.kind: state.status for state in row.certificates}
    assert states == {CertificateKind.health: status, CertificateKind.no_criminal_record: "missing",
                      CertificateKind.background_check: "missing"}


def test_the_newest_certificate_of_a_kind_decides(session, world):
    certify(session, world.caregiver_a, ON - timedelta(days=300))
    certify(session, world.caregiver_a, ON + timedelta(days=65))
    row = row_of(report(session), world.caregiver_a)
    assert [state.status for state in row.certificates] == ["valid", "valid", "valid"]
    assert row.may_work_with_children


@pytest.mark.parametrize(
    ("expired_kind", "may_work"),
    [(None, True), (CertificateKind.health, False), (CertificateKind.no_criminal_record, False),
     (CertificateKind.background_check, False)],
)
def test_a_person_may_work_with_children_only_with_all_three_certificates_valid(session, world, expired_kind, may_work):
    certify(session, world.caregiver_a, kinds=[kind for kind in REQUIRED_TO_WORK if kind is not expired_kind])
    if expired_kind is not None:
        certify(session, world.caregiver_a, ON - timedelta(days=1), kinds=[expired_kind])
    train(session, world.caregiver_a)
    row = row_of(report(session), world.caregiver_a)
    assert row.may_work_with_children is may_work and row.compliant is may_work
    assert row.missing == (() if expired_kind is None else (expired_kind,))


def test_qualifications_held_are_listed_by_name_with_expired_ones_marked(session, world):
    certify(session, world.caregiver_a, ON - timedelta(days=3), kinds=[CertificateKind.qualification], name="育婴员")
    certify(session, world.caregiver_a, kinds=[CertificateKind.qualification], name="保育师")
    row = row_of(report(session), world.caregiver_a)
    assert [(name, state.status) for name, state in row.qualifications] == [("保育师", "valid"), ("育婴员", "expired")]


# ---------------------------------------------------------------- training


@pytest.mark.parametrize(
    ("pre_service", "ethics", "short"),
    [(720, 400, False), (719, 400, True), (720, 399, True), (800, 500, False), (0, 0, True)],
)
def test_training_hours_are_held_against_the_policy_minimums(session, world, pre_service, ethics, short):
    certify(session, world.caregiver_a)
    train(session, world.caregiver_a, {TrainingKind.pre_service: pre_service, TrainingKind.ethics: ethics,
                                       TrainingKind.other: 100})
    row = row_of(report(session), world.caregiver_a)
    assert [total.kind for total in row.training] == [TrainingKind.pre_service, TrainingKind.ethics]
    assert row.training_short is short and row.compliant is not short


def test_voided_training_and_training_after_the_day_do_not_count(session, world):
    train(session, world.caregiver_a)
    train(session, world.caregiver_a, {TrainingKind.pre_service: 100}, voided_at=utcnow(), void_reason="twice")
    train(session, world.caregiver_a, {TrainingKind.ethics: 100}, on_date=ON + timedelta(days=1))
    row = row_of(report(session), world.caregiver_a)
    assert [total.hours_tenths for total in row.training] == [720, 400]


# ---------------------------------------------------------------- the register and its totals


def test_every_active_member_of_staff_has_one_row_and_the_totals_add_up(session, world):
    compliant(session, world.caregiver_a)
    certify(session, world.caregiver_b, ON + timedelta(days=10))
    train(session, world.caregiver_b)
    gone = f.make_person(session, "gone", Role.caregiver, full_name="离职老师", active=False)
    compliant(session, gone)
    guard_person = guard(session)
    found = report(session)
    names = [row.account.person.full_name for row in found.rows]
    assert sorted(names) == sorted(["李园长", "张老师", "陈老师", "刘保健", "保安老周"])
    assert "王妈妈" not in names and "离职老师" not in names
    assert found.compliant == 2 and found.with_problems == 3 and found.expiring == 1
    assert row_of(found, guard_person).account.job is Job.security


def test_barred_people_are_listed_apart_with_date_reason_and_who_barred_them(session, world):
    zone = get_settings().zone
    barred = f.make_person(session, "barred", Role.caregiver, full_name="被禁老师", active=False)
    session.add(StaffProfile(person_id=barred.id, job=Job.caregiver, barred_by_id=world.director.id, barred_reason="体罚幼儿",
                             barred_at=datetime.combine(ON, time(23, 30), tzinfo=zone)))
    later = f.make_person(session, "later", Role.caregiver, full_name="后来老师", active=False)
    session.add(StaffProfile(person_id=later.id, job=Job.caregiver, barred_reason="later",
                             barred_at=datetime.combine(ON + timedelta(days=1), time(0, 30), tzinfo=zone)))
    found = report(session)
    assert [(row.person.full_name, row.barred_on, row.reason, row.barred_by) for row in found.barred] == [
        ("被禁老师", ON, "体罚幼儿", "李园长")]
    assert "被禁老师" not in [row.account.person.full_name for row in found.rows]
    assert [row.person.full_name for row in report(session, ON + timedelta(days=1)).barred] == ["被禁老师", "后来老师"]


# ---------------------------------------------------------------- the staffing rules


@pytest.mark.parametrize(
    ("employment", "threshold", "warned"),
    [(Employment.part_time, 3, False), (Employment.part_time, 2, True), (Employment.full_time, 2, False)],
)
def test_a_full_time_health_officer_is_needed_from_the_policys_number_of_children(
    session, world, employment, threshold, warned
):
    session.add(StaffProfile(person_id=world.health.id, job=Job.health, employment=employment))
    found = report(session, local_today(), DEFAULT_POLICY.with_values(health_staff_full_time_from=threshold))
    assert found.enrolled == 2  # the world's two children
    assert (found.health_warning is not None) is warned


def test_no_health_officer_at_all_is_a_warning(session, world):
    session.add(StaffProfile(person_id=world.health.id, job=Job.health))
    world.health.active = False
    session.add(world.health)
    assert report(session).health_warning.message == "No active health officer (保健人员) is registered."


def a_school_day() -> date:
    """The latest weekday up to today: the world's children (enrolled a month ago, Monday to Friday) come."""
    day = local_today()
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return day


def test_a_security_guard_must_be_registered_and_on_the_roster_of_a_day_children_come(session, world):
    day = a_school_day()
    assert "registered" in report(session, day).security_warning.message
    person = guard(session)
    assert "duty roster" in report(session, day).security_warning.message
    f.roster(session, person, day)
    found = report(session, day)
    assert found.security_warning is None and (found.security, found.security_on_duty) == (1, 1)


def test_no_guard_is_needed_on_the_roster_of_a_day_no_child_comes(session, world):
    guard(session)
    sunday = a_school_day() + timedelta(days=7 - a_school_day().isoweekday())
    found = report(session, sunday)
    assert found.security_warning is None and found.security_on_duty == 0


# ---------------------------------------------------------------- the page and the CSV


def test_only_the_director_reads_the_staff_report(client_for, world):
    for person, status in [(world.director, 200), (world.health, 403), (world.caregiver_a, 403), (world.parent_x, 403)]:
        assert client_for(person).get("/reports/staff").status_code == status, person.username
        assert client_for(person).get("/reports/staff.csv").status_code == status, person.username


def test_the_page_shows_the_rules_the_totals_and_each_person(client_for, session, world):
    compliant(session, world.caregiver_a)
    guard(session)
    session.commit()
    page = client_for(world.director).get(f"/reports/staff?on={ON.isoformat()}")
    assert page.status_code == 200
    text = page.text
    assert "Staffing rules" in text and "Security guards (保安): 1 registered, 0 on the duty roster that day." in text
    assert "张老师" in text and "Jan 1, 2026" in text and "保安老周" in text
    assert "Missing" in text and '<span class="badge warn">0.0 / 72</span>' in text and "<svg" in text
    assert "Compliant</dt><dd>1</dd>" in text and "With problems</dt><dd>4</dd>" in text


@pytest.mark.parametrize(("raw", "message"), [("2025-02-30", "This date does not exist in the calendar."),
                                              ("soon", "Enter a date as YYYY-MM-DD.")])
def test_a_bad_day_is_refused_next_to_the_field(client_for, world, raw, message):
    client = client_for(world.director)
    response = client.get(f"/reports/staff?on={raw}")
    assert response.status_code == 400 and 'id="on-error"' in response.text and message in response.text
    csv_response = client.get(f"/reports/staff.csv?on={raw}")
    assert csv_response.status_code == 400 and csv_response.text == message


def test_without_a_day_the_report_is_for_today(client_for, world):
    page = client_for(world.director).get("/reports/staff?on=").text
    assert f'value="{local_today().isoformat()}"' in page


def test_the_csv_has_a_bom_the_header_and_one_row_per_person(client_for, session, world):
    compliant(session, world.caregiver_a)
    tricky = f.make_person(session, "tricky", Role.caregiver, full_name="=1+1")
    certify(session, tricky, kinds=[CertificateKind.qualification], name="@保育师")
    barred = f.make_person(session, "barred", Role.caregiver, full_name="被禁老师", active=False)
    session.add(StaffProfile(person_id=barred.id, job=Job.caregiver, barred_reason="-体罚",
                             barred_at=datetime.combine(ON - timedelta(days=1), time(12), tzinfo=get_settings().zone)))
    session.commit()
    response = client_for(world.director).get(f"/reports/staff.csv?on={ON.isoformat()}")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="staff-2025-06-15.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Name", "Post", "Employment", "Health certificate (健康证)", "No-criminal-record certificate (无犯罪记录证明)",
        "Background check (背景审查)", "Qualifications", "Pre-service training hours", "Ethics training hours",
        "May work with children", "Problems", "Barred on", "Reason for the bar",
    ]
    assert len(rows) == 1 + 5 + 1 and all(len(row) == len(rows[0]) for row in rows)
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["张老师"][9] == "Yes" and by_name["张老师"][7:9] == ["72.0", "40.0"]
    assert by_name["'=1+1"][6] == "'@保育师" and by_name["'=1+1"][9] == "No"
    assert by_name["被禁老师"][9:] == ["No", "Barred", "2025-06-14", "'-体罚"]


def test_the_report_takes_the_same_number_of_queries_for_more_staff(client_for, session, world, queries):
    compliant(session, world.caregiver_a)
    session.commit()
    client = client_for(world.director)
    with queries:
        assert client.get("/reports/staff").status_code == 200
    few = queries.count
    for n in range(10):
        person = f.make_person(session, f"carer{n}", Role.caregiver, full_name=f"老师{n}")
        compliant(session, person)
        certify(session, person, kinds=[CertificateKind.qualification], name="保育师")
        guard(session, f"保安{n}")
    session.commit()
    with queries:
        response = client.get("/reports/staff")
    assert response.status_code == 200 and "老师9" in response.text
    assert queries.count == few
