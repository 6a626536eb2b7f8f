"""Two directors at once on the same contract: one bill per month and no payment beyond what is due.

"Already billed" and "more than due" are read, then written; without a lock two transactions both pass
the check (PostgreSQL, READ COMMITTED). Runs on SQLite and on PostgreSQL when TEST_POSTGRES_URL is set,
like test_numbering (whose fixtures it uses).
"""

from sqlmodel import func, select

from nursery_ops.auth.models import Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.billing import rules, service
from nursery_ops.billing.forms import BillForm, PaymentForm
from nursery_ops.billing.models import Bill, Payment, PaymentMethod
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import Contract
from nursery_ops.db import open_session
from nursery_ops.forms import Refused
from nursery_ops.policy import Policy
from tests.billing.test_numbering import THREADS, contracts, database, run_together  # noqa: F401  (fixtures)


def director_of(person) -> CurrentPerson:
    return CurrentPerson(person=person, roles=frozenset({Role.director}), session_token_hash="x")


def attempt(work):
    """The work's result, or the refusal's errors."""
    try:
        return work()
    except Refused as refused:
        return refused.errors


def test_directors_billing_one_month_of_one_contract_at_once_issue_one_bill(database, contracts):
    director, contract_ids = contracts
    contract_id = contract_ids[0][0]
    month = local_today().replace(day=1)

    def issue(_index):
        with open_session(database, write=True) as session:
            contract = session.get(Contract, contract_id)
            return attempt(lambda: service.issue_bill(session, director_of(director), contract, BillForm(month=month),
                                                      utcnow(), Policy()).number)

    results = run_together(issue, THREADS)
    issued = [result for result in results if isinstance(result, str)]
    refused = [result for result in results if isinstance(result, dict)]
    assert len(issued) == 1 and len(refused) == THREADS - 1
    assert all(errors["month"].message == rules.ALREADY_BILLED for errors in refused)
    with open_session(database, write=False) as session:
        assert session.exec(select(func.count()).select_from(Bill)).one() == 1


def test_directors_recording_the_same_payment_at_once_record_it_once(database, contracts):
    director, contract_ids = contracts
    contract_id = contract_ids[0][0]
    today = local_today()
    with open_session(database, write=True) as session:
        contract = session.get(Contract, contract_id)
        bill = service.issue_bill(session, director_of(director), contract, BillForm(month=today.replace(day=1)),
                                  utcnow(), Policy())
        due = bill.total_fen

    def pay(_index):
        with open_session(database, write=True) as session:
            contract = session.get(Contract, contract_id)
            data = PaymentForm(amount=rules.fen_text(due), method=PaymentMethod.cash, paid_on=today,
                               received_by_id=director.id)
            return attempt(lambda: service.record_payment(session, director_of(director), contract, data, utcnow(),
                                                          Policy()).amount_fen)

    results = run_together(pay, THREADS)
    assert sorted(result for result in results if isinstance(result, int)) == [due]
    assert all(errors["amount"] == service.NOTHING_DUE for errors in results if isinstance(errors, dict))
    with open_session(database, write=False) as session:
        assert session.exec(select(func.sum(Payment.amount_fen))).one() == due
        assert service.contract_money(session, session.get(Contract, contract_id)).balance_fen == 0
