"""A signed contract for child X (weekdays, ¥2800.00 a month, ¥20.00 meals a day, ¥1000.00 deposit),
billed for March (with the deposit) and April 2026 and paid ¥5600.00 (March in full, ¥1360.00 of April)."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from nursery_ops.billing.models import LineKind
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.enrolment.models import Enrolment
from tests import factories as f


@dataclass
class Money:
    contract: object
    march: object
    april: object
    payment: object


@pytest.fixture
def money(session, world) -> Money:
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    contract = f.make_contract(
        session, enrolment, world.director, status=ContractStatus.active, start_date=date(2026, 3, 1),
        end_date=date(2027, 2, 28), deposit_fen=100000, guardian_id=world.guardian_x.id,
        guardian_signed_on=date(2026, 2, 20), director_signed_by_id=world.director.id,
        director_signed_on=date(2026, 2, 20),
    )
    march = f.make_refund_bill(session, contract, world.director, date(2026, 3, 1), date(2026, 3, 31),
                               [(LineKind.care_fee, 280000), (LineKind.meal_fee, 44000, 22), (LineKind.deposit, 100000)])
    april = f.make_refund_bill(session, contract, world.director, date(2026, 4, 1), date(2026, 4, 30),
                               [(LineKind.care_fee, 280000), (LineKind.meal_fee, 44000, 22)])
    payment = f.make_refund_payment(session, contract, world.director, 560000, date(2026, 3, 1))
    session.commit()
    return Money(contract, march, april, payment)
