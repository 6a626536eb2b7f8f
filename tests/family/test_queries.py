"""Every family page sends the same number of SQL statements however many children, days or entries it shows."""

from datetime import timedelta

from sqlmodel import select

from nursery_ops.clock import local_today
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.dailylog.models import EntryKind
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.illness.models import Illness
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from tests import factories as f
from tests.family import builders as b


def statements(queries, client, url: str) -> int:
    client.get(url)  # the first request signs the session in and sets the CSRF cookie
    with queries:
        assert client.get(url).status_code == 200
    return queries.count


def busy_day(session, world, child, count: int, on=None, arrive: bool = True) -> None:
    """An arrival and `count` activities and bottles, with photos, illnesses and incidents (one for every ten entries)."""
    on = on or local_today()
    if arrive:
        b.arrival(session, child, world.room_a, world.caregiver_a, on)
    for index in range(count):
        minute = index % 60
        b.entry(session, child, world.room_a, world.caregiver_a, EntryKind.activity, on, (9, minute), text=f"活动 {index}")
        b.entry(session, child, world.room_a, world.caregiver_a, EntryKind.bottle, on, (10, minute), millilitres=100)
    for index in range(max(count // 10, 1)):
        b.photo(session, child, world.room_a, world.caregiver_a, on=on, clock=(11, index))
        session.add(Illness(child_id=child.id, room_id=world.room_a.id, on_date=on, started_at=b.at(on, 13, index),
                            started_by_id=world.caregiver_a.id, symptoms="cough"))
        f.make_incident(session, child, world.caregiver_a, occurred_at=b.at(on, 14, index))
    session.commit()


def sibling_of_x(session, world):
    sibling = f.make_child(session, "王小丽", months=20)
    f.link_guardian(session, sibling, world.guardian_x)
    f.enrol(session, sibling, world.room_a)
    session.commit()
    return sibling


def test_the_family_page_costs_the_same_for_one_child_or_two(world, client_for, session, queries):
    busy_day(session, world, world.child_x, 3)
    parent = client_for(world.parent_x)
    one = statements(queries, parent, "/family")
    busy_day(session, world, sibling_of_x(session, world), 3)
    assert statements(queries, parent, "/family") == one


def test_the_family_page_costs_the_same_for_3_or_30_entries(world, client_for, session, queries):
    busy_day(session, world, world.child_x, 3)
    parent = client_for(world.parent_x)
    few = statements(queries, parent, "/family")
    busy_day(session, world, world.child_x, 27, arrive=False)
    assert statements(queries, parent, "/family") == few


# The family page's own statements (children with their places, guardians, adults; the day's one-to-one rows and
# midday checks, entries and photos, doses, illnesses, incidents) and the signed-in session's one.
FAMILY_STATEMENTS = 8 + 1


def test_the_family_page_of_two_busy_children_stays_within_its_statements(world, client_for, session, queries):
    busy_day(session, world, world.child_x, 10)
    sibling = sibling_of_x(session, world)
    busy_day(session, world, sibling, 10)
    b.photo(session, world.child_x, world.room_a, world.caregiver_a, tagged=[sibling])
    session.commit()
    assert statements(queries, client_for(world.parent_x), "/family") <= FAMILY_STATEMENTS


def test_the_family_page_costs_the_same_after_a_month_of_earlier_days(world, client_for, session, queries):
    busy_day(session, world, world.child_x, 3)
    parent = client_for(world.parent_x)
    few = statements(queries, parent, "/family")
    for days in range(1, 31):
        busy_day(session, world, world.child_x, 5, on=b.days_ago(days))
    assert statements(queries, parent, "/family") == few <= FAMILY_STATEMENTS


def test_a_day_page_costs_the_same_for_3_or_30_entries(world, client_for, session, queries):
    quiet, busy = b.days_ago(3), b.days_ago(2)
    busy_day(session, world, world.child_x, 3, on=quiet)
    busy_day(session, world, world.child_x, 30, on=busy)
    parent = client_for(world.parent_x)
    assert statements(queries, parent, f"/family/children/{world.child_x.id}/days/{quiet.isoformat()}") == statements(
        queries, parent, f"/family/children/{world.child_x.id}/days/{busy.isoformat()}"
    )


def test_the_list_of_days_costs_the_same_for_3_or_30_days(world, client_for, session, queries):
    for days in range(3):
        b.arrival(session, world.child_x, world.room_a, world.caregiver_a, b.days_ago(days + 1))
    session.commit()
    parent = client_for(world.parent_x)
    url = f"/family/children/{world.child_x.id}/days"
    few = statements(queries, parent, url)
    for days in range(3, 30):
        b.arrival(session, world.child_x, world.room_a, world.caregiver_a, b.days_ago(days + 1))
    session.commit()
    assert statements(queries, parent, url) == few


def health_records(session, world, first: int, last: int) -> None:
    """A day of checks, an illness, a dose, an incident, a measurement and an exam for each of days `first`..`last` ago."""
    authorisation = f.make_authorisation(session, world.child_x, world.guardian_x, world.health,
                                         start_date=b.days_ago(last), end_date=b.days_ago(first))
    slot = b.at(local_today(), 8, 30).astimezone(b.get_settings().zone).time()
    for days in range(first, last):
        on = b.days_ago(days)
        b.arrival(session, world.child_x, world.room_a, world.caregiver_a, on)
        session.add(Illness(child_id=world.child_x.id, room_id=world.room_a.id, on_date=on, started_at=b.at(on, 13, 0),
                            started_by_id=world.caregiver_a.id, symptoms="fever"))
        session.add(MedicationDose(authorisation_id=authorisation.id, child_id=world.child_x.id, on_date=on, slot=slot,
                                   outcome=DoseOutcome.given, at=b.at(on, 8, 31), amount_hundredths=250,
                                   given_by_id=world.caregiver_a.id, checked_by_id=world.health.id))
        f.make_incident(session, world.child_x, world.caregiver_a, occurred_at=b.at(on, 10, 0))
        f.make_measurement(session, world.child_x, world.health, on, weight_g=10000 + days * 10)
        f.make_exam(session, world.child_x, on - timedelta(days=1))
    session.commit()


def test_the_health_and_growth_pages_cost_the_same_for_3_or_30_records(world, client_for, session, queries):
    parent = client_for(world.parent_x)
    health_records(session, world, 0, 3)
    urls = [f"/family/children/{world.child_x.id}/{page}" for page in ("health", "growth")]
    few = [statements(queries, parent, url) for url in urls]
    health_records(session, world, 3, 30)
    assert [statements(queries, parent, url) for url in urls] == few


def test_the_money_page_costs_the_same_for_3_or_30_bills(world, client_for, session, queries):
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    contract = f.make_contract(session, enrolment, world.director, status=ContractStatus.active, guardian_id=world.guardian_x.id,
                               guardian_signed_on=enrolment.start_date, director_signed_on=enrolment.start_date)
    url = f"/family/children/{world.child_x.id}/money"

    def bills(start: int, end: int) -> None:
        for month in range(start, end):
            first = local_today().replace(day=1) + timedelta(days=31 * month)
            f.make_refund_bill(session, contract, world.director, first, first + timedelta(days=27))
            f.make_refund_payment(session, contract, world.director, 1000, first)
        session.commit()

    bills(0, 3)
    parent = client_for(world.parent_x)
    few = statements(queries, parent, url)
    bills(3, 30)
    assert statements(queries, parent, url) == few


def test_the_money_page_costs_the_same_for_one_contract_or_three(world, client_for, session, queries):
    from nursery_ops.enrolment.models import EnrolmentStatus

    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    current = f.make_contract(session, enrolment, world.director, status=ContractStatus.active,
                              guardian_id=world.guardian_x.id, guardian_signed_on=enrolment.start_date,
                              director_signed_on=enrolment.start_date)
    f.make_refund_bill(session, current, world.director, enrolment.start_date, enrolment.start_date + timedelta(days=27))
    session.commit()
    url = f"/family/children/{world.child_x.id}/money"
    parent = client_for(world.parent_x)
    one = statements(queries, parent, url)
    for years in (1, 2):
        start = enrolment.start_date - timedelta(days=400 * years)
        earlier = f.enrol(session, world.child_x, world.room_a, status=EnrolmentStatus.withdrawn, start_date=start,
                          end_date=start + timedelta(days=200))
        ended = f.make_contract(session, earlier, world.director, status=ContractStatus.ended, start_date=start,
                                end_date=start + timedelta(days=200), guardian_id=world.guardian_x.id,
                                guardian_signed_on=start, director_signed_on=start)
        f.make_refund_bill(session, ended, world.director, start, start + timedelta(days=27))
        f.make_refund_payment(session, ended, world.director, 1000, start)
    session.commit()
    html = parent.get(url).text
    assert html.count("/bills/") >= 3
    assert statements(queries, parent, url) == one
