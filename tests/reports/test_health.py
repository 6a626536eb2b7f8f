"""The health summary (/reports/health): sick days, illness, sent home, return certificates, incidents,
outbreaks and medication of one month, for the director and the health officer."""

import csv
import io
from datetime import UTC, date, datetime, time

import pytest

from nursery_ops.attendance.models import Absence, AbsenceReason, CheckOutcome, MorningCheck
from nursery_ops.clock import utcnow
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.illness.models import Illness, IllnessOutcome, OutbreakAlert, OutbreakRule, Symptom
from nursery_ops.incidents.models import IncidentCategory
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from nursery_ops.reports.health import csv_rows, health_report
from nursery_ops.reports.period import Month
from nursery_ops.settings import get_settings
from tests import factories as f

MARCH = Month(date(2025, 3, 1))
BEFORE, FIRST, LAST, AFTER = date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 1)
EDGES = [(BEFORE, False), (FIRST, True), (LAST, True), (AFTER, False)]


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=get_settings().zone).astimezone(UTC)


def sick(session, world, child, room, on: date, reason=AbsenceReason.sick, superseded=False):
    session.add(Absence(child_id=child.id, room_id=room.id, on_date=on, reason=reason, recorded_by_id=world.caregiver_a.id,
                        superseded_at=utcnow() if superseded else None))


def illness(session, world, child, on: date, symptoms="fever", **fields):
    row = Illness(child_id=child.id, room_id=world.room_a.id, on_date=on, started_at=at(on), started_by_id=world.health.id,
                  symptoms=symptoms, **fields)
    session.add(row)
    return row


def incident(session, world, on: date, hour: int = 10, minute: int = 0, **fields):
    return f.make_incident(session, fields.pop("child", world.child_x), world.caregiver_a, occurred_at=at(on, hour, minute),
                           **fields)


def report(session, include_restricted=True):
    session.commit()
    return health_report(session, MARCH, include_restricted=include_restricted)


# ---------------------------------------------------------------- sick days


@pytest.mark.parametrize(("on", "counted"), EDGES)
def test_a_sick_day_counts_only_within_the_month(session, world, on, counted):
    sick(session, world, world.child_x, world.room_a, on)
    found = report(session)
    assert found.sick_days == (1 if counted else 0)
    assert found.sick_children == (1 if counted else 0)


@pytest.mark.parametrize(
    ("reason", "superseded", "counted"),
    [(AbsenceReason.sick, False, True), (AbsenceReason.sick, True, False), (AbsenceReason.leave, False, False),
     (AbsenceReason.unknown, False, False)],
)
def test_only_sick_absences_not_superseded_by_an_arrival_are_sick_days(session, world, reason, superseded, counted):
    sick(session, world, world.child_x, world.room_a, FIRST, reason=reason, superseded=superseded)
    assert report(session).sick_days == (1 if counted else 0)


def test_sick_days_are_counted_per_room_and_the_children_with_most_days_come_first(session, world):
    for day in (3, 4, 5):
        sick(session, world, world.child_x, world.room_a, date(2025, 3, day))
    sick(session, world, world.child_y, world.room_b, date(2025, 3, 3))
    sick(session, world, world.child_y, world.room_a, date(2025, 3, 10))  # recorded in room A that day
    found = report(session)
    assert [(row.room.name, row.days) for row in found.sick_days_by_room] == [("A 托小班", 4), ("B 托大班", 1)]
    assert found.sick_days == 5 and found.sick_children == 2
    assert [(row.name, row.days) for row in found.most_sick_days] == [("王小明", 3), ("赵小红", 2)]


def test_at_most_five_children_are_named_for_most_sick_days(session, world):
    for n in range(7):
        child = f.make_child(session, f"孩子{n}")
        sick(session, world, child, world.room_a, FIRST)
    found = report(session)
    assert len(found.most_sick_days) == 5 and found.sick_children == 7


# ---------------------------------------------------------------- illness, sent home, return certificates


def test_illnesses_count_by_symptom_and_suspected_disease_but_not_voided_ones(session, world):
    illness(session, world, world.child_x, FIRST, "fever rash", suspected_infectious=True, suspected_disease="手足口病",
            outcome=IllnessOutcome.went_home)
    illness(session, world, world.child_y, LAST, "fever", outcome=IllnessOutcome.hospital)
    illness(session, world, world.child_y, date(2025, 3, 5), "cough", suspected_infectious=True)
    illness(session, world, world.child_x, date(2025, 3, 6), "vomiting", voided_at=utcnow(), void_reason="wrong child")
    illness(session, world, world.child_x, AFTER, "diarrhoea")
    found = report(session)
    assert found.illnesses == 3 and found.suspected_infectious == 2
    counts = dict(found.by_symptom)
    assert counts[Symptom.fever] == 2 and counts[Symptom.rash] == 1 and counts[Symptom.cough] == 1
    assert counts[Symptom.vomiting] == 0 and counts[Symptom.diarrhoea] == 0
    assert found.by_disease == [("手足口病", 1), ("", 1)]
    assert found.by_outcome == {IllnessOutcome.recovered: 0, IllnessOutcome.went_home: 1, IllnessOutcome.hospital: 1}


def morning_check(session, world, child, on: date, hour: int, outcome: CheckOutcome):
    session.add(MorningCheck(child_id=child.id, on_date=on, at=at(on, 8, hour), temperature_tenths=368, outcome=outcome,
                             by_id=world.health.id))


@pytest.mark.parametrize(
    ("outcomes", "sent_home"),
    [([CheckOutcome.send_home], 1), ([CheckOutcome.admit], 0),
     # a re-taken temperature that admits the child replaces the first check
     ([CheckOutcome.send_home, CheckOutcome.admit], 0), ([CheckOutcome.admit, CheckOutcome.send_home], 1)],
)
def test_only_the_days_last_morning_check_counts_as_sent_home(session, world, outcomes, sent_home):
    for minute, outcome in enumerate(outcomes):
        morning_check(session, world, world.child_x, FIRST, minute * 10, outcome)
    morning_check(session, world, world.child_y, AFTER, 0, CheckOutcome.send_home)
    assert report(session).sent_home_at_check == sent_home


@pytest.mark.parametrize(
    ("required_since", "received_on", "voided", "expected"),
    [
        (BEFORE, None, False, (0, 0, 1)),  # still awaited from February
        (BEFORE, FIRST, False, (0, 1, 0)),
        (FIRST, LAST, False, (1, 1, 0)),
        (LAST, AFTER, False, (1, 0, 1)),  # received only in April: awaited at March's end
        (FIRST, None, True, (0, 0, 0)),
        (AFTER, None, False, (0, 0, 0)),
    ],
)
def test_return_certificates_required_received_and_awaited_at_the_months_end(
    session, world, required_since, received_on, voided, expected
):
    session.add(ReturnCertificate(child_id=world.child_x.id, required_since=required_since, reason="发热",
                                  received_on=received_on, voided_at=utcnow() if voided else None))
    found = report(session)
    assert (found.certificates_required, found.certificates_received, found.certificates_awaited) == expected


# ---------------------------------------------------------------- incidents


@pytest.mark.parametrize(("on", "counted"), EDGES)
def test_an_incident_counts_in_the_month_of_its_local_date(session, world, on, counted):
    incident(session, world, on)
    found = report(session)
    assert found.incident_total == (1 if counted else 0)


@pytest.mark.parametrize(("on", "hour", "minute", "counted"), [(LAST, 23, 59, True), (AFTER, 0, 1, False), (FIRST, 0, 1, True)])
def test_an_incident_counts_on_the_nurserys_date_not_the_utc_one(session, world, on, hour, minute, counted):
    incident(session, world, on, hour, minute)  # 00:01 on 1 April in Shanghai is still 31 March in UTC
    assert report(session).incident_total == (1 if counted else 0)


def test_incidents_are_counted_by_category_with_hospital_referrals(session, world):
    incident(session, world, FIRST, category=IncidentCategory.fall)
    incident(session, world, LAST, category=IncidentCategory.fall, hospital_referral=True, hospital="市儿童医院")
    incident(session, world, FIRST, category=IncidentCategory.burn, child=world.child_y)
    incident(session, world, FIRST, category=IncidentCategory.suspected_abuse)
    found = report(session)
    counts = {row.category: (row.incidents, row.to_hospital) for row in found.incidents}
    assert counts[IncidentCategory.fall] == (2, 1) and counts[IncidentCategory.burn] == (1, 0)
    assert counts[IncidentCategory.suspected_abuse] == (1, 0) and counts[IncidentCategory.drowning] == (0, 0)
    assert [row.category for row in found.incidents] == list(IncidentCategory)
    assert found.incident_total == 4 and found.incidents_to_hospital == 1


def test_suspected_abuse_is_left_out_for_someone_who_may_not_read_it(session, world):
    incident(session, world, FIRST, category=IncidentCategory.suspected_abuse)
    incident(session, world, FIRST, category=IncidentCategory.fall)
    found = report(session, include_restricted=False)
    assert IncidentCategory.suspected_abuse not in {row.category for row in found.incidents}
    assert found.incident_total == 1


# ---------------------------------------------------------------- outbreaks and medication


def outbreak(session, world, start: date, end: date, **fields):
    session.add(OutbreakAlert(room_id=world.room_a.id, symptom=Symptom.fever, rule=OutbreakRule.three_days,
                              window_start=start, window_end=end, case_count=5, child_ids="1 2 3 4 5",
                              detected_at=at(end), **fields))


@pytest.mark.parametrize(
    ("start", "end", "listed"),
    [(date(2025, 2, 26), BEFORE, False), (BEFORE, date(2025, 3, 2), True), (date(2025, 3, 30), AFTER, True),
     (AFTER, date(2025, 4, 3), False)],
)
def test_outbreak_alerts_whose_window_touches_the_month_are_listed(session, world, start, end, listed):
    outbreak(session, world, start, end)
    assert len(report(session).outbreaks) == (1 if listed else 0)


def test_medication_doses_are_counted_by_outcome_without_voided_ones(session, world):
    authorisation = f.make_authorisation(session, world.child_x, world.guardian_x, world.health,
                                         start_date=BEFORE, end_date=AFTER, signed_on=BEFORE)
    other = f.make_authorisation(session, world.child_y, world.guardian_y, world.health,
                                 start_date=BEFORE, end_date=AFTER, signed_on=BEFORE)

    def dose(auth, child, on, outcome=DoseOutcome.given, slot=time(8, 30), **fields):
        session.add(MedicationDose(authorisation_id=auth.id, child_id=child.id, on_date=on, slot=slot, outcome=outcome,
                                   at=at(on, 8, 30), given_by_id=world.health.id, **fields))

    dose(authorisation, world.child_x, FIRST)
    dose(authorisation, world.child_x, FIRST, slot=time(12, 0))
    dose(authorisation, world.child_x, LAST, outcome=DoseOutcome.refused, reason="哭闹")
    dose(other, world.child_y, LAST)
    dose(other, world.child_y, date(2025, 3, 30), voided_at=utcnow(), void_reason="wrong slot")
    dose(other, world.child_y, AFTER)
    found = report(session)
    assert found.doses == {DoseOutcome.given: 3, DoseOutcome.refused: 1, DoseOutcome.vomited: 0, DoseOutcome.not_given: 0}
    assert found.children_given_medicine == 2


# ---------------------------------------------------------------- the page and the CSV


def test_the_director_and_the_health_officer_read_the_report_and_nobody_else(client_for, world):
    for person, status in [(world.director, 200), (world.health, 200), (world.caregiver_a, 403), (world.parent_x, 403)]:
        assert client_for(person).get("/reports/health?month=2025-03").status_code == status, person.username
        assert client_for(person).get("/reports/health.csv?month=2025-03").status_code == status, person.username


def test_the_page_shows_the_months_numbers_and_never_names_a_child_of_an_incident(client_for, session, world):
    sick(session, world, world.child_y, world.room_b, FIRST)
    incident(session, world, FIRST, category=IncidentCategory.suspected_abuse)
    session.commit()
    for person in (world.director, world.health):
        page = client_for(person).get("/reports/health?month=2025-03").text
        assert "Health summary: 2025-03" in page and "赵小红" in page
        assert "Suspected abuse or domestic violence (疑似虐待 / 家庭暴力)" in page
        assert "王小明" not in page  # the incident's child
        assert "<svg" in page and "Incidents by category" in page


def test_a_bad_month_is_refused_next_to_the_field(client_for, world):
    client = client_for(world.director)
    response = client.get("/reports/health?month=2025-13")
    assert response.status_code == 400
    assert 'id="month-error"' in response.text and "Enter a month as YYYY-MM." in response.text
    csv_response = client.get("/reports/health.csv?month=March")
    assert csv_response.status_code == 400 and csv_response.text == "Enter a month as YYYY-MM."


def test_the_csv_has_a_bom_one_row_per_number_and_no_formula(client_for, session, world):
    child = f.make_child(session, "=HYPERLINK(1)")
    sick(session, world, child, world.room_a, FIRST)
    incident(session, world, FIRST, category=IncidentCategory.fall)
    session.commit()
    response = client_for(world.health).get("/reports/health.csv?month=2025-03")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="health-2025-03.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Item", "Count"]
    assert all(len(row) == 3 for row in rows)
    assert ["Sick days", "A 托小班", "1"] in rows and ["Sick days", "Total", "1"] in rows
    assert ["Most sick days", "'=HYPERLINK(1)", "1"] in rows
    assert ["Incidents", "Fall (跌落 / 摔伤)", "1"] in rows and ["Incidents", "Total", "1"] in rows


def test_the_csv_rows_follow_the_report(session, world):
    illness(session, world, world.child_x, FIRST, "fever", suspected_infectious=True)
    rows = csv_rows(report(session), lambda message, **params: message)
    assert ["Suspected infectious disease", "Not named yet", "1"] in rows
    assert ["Illness by symptom", "Fever", "1"] in rows


def test_the_report_takes_the_same_number_of_queries_for_more_children(client_for, session, world, queries):
    def add_month_of(child, room):
        sick(session, world, child, room, FIRST)
        illness(session, world, child, FIRST, "fever cough")
        incident(session, world, FIRST, child=child)
        morning_check(session, world, child, LAST, 0, CheckOutcome.send_home)
        session.add(ReturnCertificate(child_id=child.id, required_since=FIRST, reason="发热"))

    add_month_of(world.child_x, world.room_a)
    add_month_of(world.child_y, world.room_b)
    session.commit()
    client = client_for(world.director)
    with queries:
        assert client.get("/reports/health?month=2025-03").status_code == 200
    two_children = queries.count
    for n in range(10):
        room = f.make_room(session, f"C{n} 托小班")
        add_month_of(f.make_child(session, f"孩子{n}"), room)
    session.commit()
    with queries:
        response = client.get("/reports/health?month=2025-03")
    assert response.status_code == 200 and "C9 托小班" in response.text
    assert queries.count == two_children
