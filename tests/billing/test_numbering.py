"""Bill and receipt numbers: sequential per year, no gaps, no duplicates, also when directors issue at the same moment.

Runs on the SQLite file database of every test and on PostgreSQL when TEST_POSTGRES_URL is set
(a schema of its own per test, dropped afterwards).
"""

import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import SQLModel, select

from nursery_ops import schema  # noqa: F401  (all tables)
from nursery_ops.auth.models import Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.billing import rules, service
from nursery_ops.billing.forms import BillForm
from nursery_ops.billing.models import Bill, BillCounter, CounterSeries
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import Contract, ContractStatus
from nursery_ops.db import build_engine, open_session
from nursery_ops.policy import Policy
from nursery_ops.rooms.models import RoomType
from tests import factories as f
from tests.postgres import postgres_schema

THREADS = 4
EACH = 8


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, engine):
    """An engine with the schema: the test's SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield engine
        return
    with postgres_schema("test_billing") as url:
        pg = build_engine(url)
        SQLModel.metadata.create_all(pg)
        try:
            yield pg
        finally:
            pg.dispose()


@pytest.fixture
def contracts(database):
    """A director and a signed contract for each of THREADS children (one issuing thread each)."""
    with open_session(database, write=True) as session:
        director = f.make_person(session, "director", Role.director, full_name="李园长")
        room = f.make_room(session, "A 托小班", RoomType.toddler)
        start = local_today().replace(day=1) - timedelta(days=1)
        start = start.replace(day=1)
        ids = []
        for n in range(THREADS):
            child = f.make_child(session, f"孩子{n}")
            enrolment = f.enrol(session, child, room, start_date=start)
            contract = f.make_contract(session, enrolment, director, status=ContractStatus.active, start_date=start,
                                       end_date=start + timedelta(days=364))
            ids.append((contract.id, child.id))
        session.commit()
        return director, ids


def run_together(work, count: int) -> list:
    """`work(index)` in `count` threads released at once; their results (or the first error)."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as error:  # noqa: BLE001 — re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def test_concurrent_numbers_have_no_gaps_and_no_duplicates(database, contracts):
    director, contract_ids = contracts
    year = local_today().year

    def take_numbers(index):
        taken = []
        for n in range(EACH):
            with open_session(database, write=True) as session:
                sequence = service.next_number(session, CounterSeries.bill, year)
                time.sleep(0.002)  # hold the transaction a little: the others must wait, not read the old value
                session.add(Bill(
                    year=year, sequence=sequence, number=rules.bill_number(year, sequence),
                    contract_id=contract_ids[index][0], child_id=contract_ids[index][1], period_start=date(year, 1, 1),
                    period_end=date(year, 1, 31), total_fen=0, due_on=date(year, 1, 5), issued_by_id=director.id,
                ))
                if n == EACH - 1 and index == 0:
                    session.rollback()  # an issue that fails gives its number back
                    continue
                session.commit()
                taken.append(sequence)
        return taken

    results = run_together(take_numbers, THREADS)
    numbers = sorted(number for taken in results for number in taken)
    assert numbers == list(range(1, THREADS * EACH))  # one rolled back: the last number was given again
    with open_session(database, write=False) as session:
        stored = session.exec(select(Bill.sequence).order_by(Bill.sequence)).all()
        counter = session.get(BillCounter, (CounterSeries.bill, year))
    assert stored == numbers and counter.last_number == THREADS * EACH - 1


def test_two_directors_issuing_at_once_get_consecutive_bill_numbers(database, contracts):
    director, contract_ids = contracts
    me = CurrentPerson(person=director, roles=frozenset({Role.director}), session_token_hash="x")
    month = local_today().replace(day=1)

    def issue(index):
        with open_session(database, write=True) as session:
            contract = session.get(Contract, contract_ids[index][0])
            return service.issue_bill(session, me, contract, BillForm(month=month), utcnow(), Policy()).number

    numbers = sorted(run_together(issue, THREADS))
    year = local_today().year
    assert numbers == [rules.bill_number(year, n) for n in range(1, THREADS + 1)]


def test_receipts_count_separately_from_bills(database, contracts):
    year = local_today().year
    with open_session(database, write=True) as session:
        assert service.next_number(session, CounterSeries.bill, year) == 1
        assert service.next_number(session, CounterSeries.receipt, year) == 1
        assert service.next_number(session, CounterSeries.bill, year) == 2
        assert service.next_number(session, CounterSeries.bill, year + 1) == 1
        session.commit()
