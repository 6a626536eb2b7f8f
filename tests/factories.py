"""Small factories for the people and places tests need (no global fixture file)."""

from datetime import date, time, timedelta
from functools import lru_cache

from sqlmodel import Session

from nursery_ops.auth.models import Person, Role
from nursery_ops.auth.service import hash_password, set_roles
from nursery_ops.children.models import Child, ChildGuardian, Guardian, Sex, TrustedAdult, VaccinationStatus
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.children.rules import last_day_of_month
from nursery_ops.clock import local_today
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.rooms.models import Room, RoomCaregiver, RoomType

PASSWORD = "correct-horse-42"


@lru_cache
def password_hash() -> str:
    # One argon2 hash for every test person keeps the suite fast.
    return hash_password(PASSWORD)


def make_person(session: Session, username: str, *roles: Role, full_name: str | None = None, **fields) -> Person:
    person = Person(username=username, full_name=full_name or username.title(), password_hash=password_hash(), **fields)
    session.add(person)
    session.flush()
    set_roles(session, person, set(roles))
    session.flush()
    return person


def make_room(session: Session, name: str, room_type: RoomType = RoomType.toddler, capacity: int | None = None) -> Room:
    caps = {RoomType.infant: 10, RoomType.toddler: 15, RoomType.older: 20, RoomType.mixed: 18}
    room = Room(name=name, room_type=room_type, capacity=capacity or caps[room_type])
    session.add(room)
    session.flush()
    return room


def assign(session: Session, room: Room, person: Person) -> None:
    session.add(RoomCaregiver(room_id=room.id, person_id=person.id))
    session.flush()


def roster(session: Session, person: Person, on: date, room: Room | None = None,
           starts_at: time = time(7, 30), ends_at: time = time(17, 30)):
    """A duty on the roster (排班), as the director's form would add it."""
    from nursery_ops.staff.models import RosterEntry

    entry = RosterEntry(on_date=on, person_id=person.id, room_id=room.id if room else None,
                        starts_at=starts_at, ends_at=ends_at)
    session.add(entry)
    return entry


def birth_for_months(months: int, on: date | None = None) -> date:
    """A birth date that makes a child `months` months and ten days old on `on`."""
    on = on or local_today()
    total = on.year * 12 + on.month - 1 - months
    year, month = total // 12, total % 12 + 1
    return date(year, month, min(on.day, last_day_of_month(year, month))) - timedelta(days=10)


def make_child(session: Session, full_name: str, months: int = 18, **fields) -> Child:
    child = Child(full_name=full_name, sex=fields.pop("sex", Sex.female), birth_date=fields.pop("birth_date", birth_for_months(months)), **fields)
    session.add(child)
    session.flush()
    return child


def make_guardian(
    session: Session, child: Child, full_name: str, relation: str = "母亲", phone: str = "13800138000", **link
) -> Guardian:
    guardian = Guardian(full_name=full_name, phone=phone)
    session.add(guardian)
    session.flush()
    link_guardian(session, child, guardian, relation, **link)
    return guardian


def link_guardian(session: Session, child: Child, guardian: Guardian, relation: str = "母亲", **link) -> ChildGuardian:
    row = ChildGuardian(child_id=child.id, guardian_id=guardian.id, relation=relation, **link)
    session.add(row)
    session.flush()
    return row


def make_trusted_adult(session: Session, child: Child, full_name: str = "王奶奶", **fields) -> TrustedAdult:
    adult = TrustedAdult(
        child_id=child.id,
        full_name=full_name,
        relation=fields.pop("relation", "奶奶"),
        phone=fields.pop("phone", "13900139000"),
        **fields,
    )
    session.add(adult)
    session.flush()
    return adult


def enrol(
    session: Session,
    child: Child,
    room: Room | None,
    care_type: CareType = CareType.full_day,
    status: EnrolmentStatus = EnrolmentStatus.enrolled,
    start_date: date | None = None,
    **fields,
) -> Enrolment:
    start = start_date or local_today() - timedelta(days=30)
    enrolment = Enrolment(
        child_id=child.id,
        room_id=room.id if room else None,
        status=status,
        care_type=care_type,
        schedule_days=fields.pop("schedule_days", "12345"),
        applied_on=fields.pop("applied_on", start - timedelta(days=14)),
        start_date=start,
        **fields,
    )
    session.add(enrolment)
    session.flush()
    return enrolment


def complete_admission(session: Session, child: Child, enrolment: Enrolment, guardian: Guardian) -> None:
    """Everything DOMAIN.md asks before the first check-in."""
    enrolment.agreement_signed_on = enrolment.start_date - timedelta(days=7)
    child.vaccination_status = VaccinationStatus.sighted
    child.vaccination_checked_on = enrolment.start_date - timedelta(days=7)
    child.consent_on = enrolment.start_date - timedelta(days=7)
    child.consent_guardian_id = guardian.id
    session.add(
        HealthExam(
            child_id=child.id,
            kind=ExamKind.entry,
            exam_date=enrolment.start_date - timedelta(days=10),
            institution="市妇幼保健院",
            passed=True,
        )
    )
    make_trusted_adult(session, child, emergency_contact=True)
    session.add_all([enrolment, child])
    session.flush()


# ---- health exams (issue 5, health helper)


def make_exam(session: Session, child: Child, exam_date: date, kind: ExamKind = ExamKind.periodic, **fields) -> HealthExam:
    """A passed exam at a medical institution; pass haemoglobin_g_l= / hearing= for screenings at the visit."""
    exam = HealthExam(
        child_id=child.id,
        kind=kind,
        exam_date=exam_date,
        institution=fields.pop("institution", "市妇幼保健院"),
        passed=fields.pop("passed", True),
        **fields,
    )
    session.add(exam)
    session.flush()
    return exam


# ---- incidents (tests/incidents, and pages that list open incidents) ----


def make_incident(session: Session, child: Child, recorded_by: Person, **fields):
    """An open incident of `child`, an hour ago, with nothing of the follow-up done (override any column)."""
    from nursery_ops.clock import local_date, utcnow
    from nursery_ops.incidents.models import Incident, IncidentCategory

    occurred_at = fields.pop("occurred_at", utcnow() - timedelta(hours=1))
    incident = Incident(
        child_id=child.id,
        category=fields.pop("category", IncidentCategory.fall),
        occurred_at=occurred_at,
        on_date=local_date(occurred_at),
        place=fields.pop("place", "滑梯"),
        description=fields.pop("description", "Slipped on the slide"),
        recorded_by_id=recorded_by.id,
        **fields,
    )
    session.add(incident)
    session.flush()
    return incident


# ---- medication (issue 5, medication helper)


def make_authorisation(session: Session, child: Child, guardian: Guardian, recorded_by: Person, **fields):
    """A guardian's signed medication authorisation: 2.5 ml by mouth at 08:30 and 12:00, today to 4 days on."""
    from nursery_ops.medication.models import (
        DoseUnit,
        MedicationAuthorisation,
        MedicationRoute,
        PrescriptionSource,
        SignedHow,
    )

    today = local_today()
    authorisation = MedicationAuthorisation(
        child_id=child.id,
        drug_name=fields.pop("drug_name", "阿莫西林颗粒"),
        dose_hundredths=fields.pop("dose_hundredths", 250),
        dose_unit=fields.pop("dose_unit", DoseUnit.ml),
        route=fields.pop("route", MedicationRoute.oral),
        times=fields.pop("times", "08:30,12:00"),
        start_date=fields.pop("start_date", today),
        end_date=fields.pop("end_date", today + timedelta(days=4)),
        prescription_source=fields.pop("prescription_source", PrescriptionSource.prescription),
        prescription_reference=fields.pop("prescription_reference", "市儿童医院 处方 No. 2026-0301"),
        signed_by_guardian_id=guardian.id,
        signed_on=fields.pop("signed_on", today),
        signed_how=fields.pop("signed_how", SignedHow.paper_at_desk),
        recorded_by_id=recorded_by.id,
        **fields,
    )
    session.add(authorisation)
    session.flush()
    return authorisation


# ---- growth (growth helper, issue 5) ----


def make_measurement(session: Session, child: Child, by: Person, on_date: date | None = None, **values):
    """A growth measurement (mm, g) of `child` by `by`; lying by default when a length is given."""
    from nursery_ops.growth.models import Measurement, Position

    if values.get("length_mm") is not None:
        values.setdefault("position", Position.lying)
    measurement = Measurement(child_id=child.id, on_date=on_date or local_today(), by_id=by.id, **values)
    session.add(measurement)
    session.flush()
    return measurement


# ---- fee contracts (issue 6, contracts helper)


def make_contract(session: Session, enrolment: Enrolment, created_by: Person, **fields):
    """A complete draft for `enrolment` (full day, ¥2800.00 a month, ¥20.00 meals a day, DOMAIN.md refund rules).

    Pass status=ContractStatus.active with guardian_id=, guardian_signed_on=, director_signed_on= for a signed one.
    """
    from nursery_ops.contracts.models import Contract, ContractStatus, FeeUnit

    start = fields.pop("start_date", enrolment.start_date)
    contract = Contract(
        enrolment_id=enrolment.id,
        child_id=enrolment.child_id,
        status=fields.pop("status", ContractStatus.draft),
        start_date=start,
        end_date=fields.pop("end_date", start + timedelta(days=364)),
        care_type=fields.pop("care_type", enrolment.care_type),
        hours=fields.pop("hours", "周一至周五 07:30–17:30"),
        room_type=fields.pop("room_type", RoomType.toddler),
        care_fee_fen=fields.pop("care_fee_fen", 280000),
        care_fee_unit=fields.pop("care_fee_unit", FeeUnit.month),
        meal_fee_per_day_fen=fields.pop("meal_fee_per_day_fen", 2000),
        dispute_resolution=fields.pop("dispute_resolution", "双方协商解决；协商不成的，向园所所在地人民法院起诉。"),
        created_by_id=created_by.id,
        **fields,
    )
    session.add(contract)
    session.flush()
    return contract


# ---- refunds (issue 6, refunds helper): bills and payments made directly, without billing's services


def make_refund_bill(session: Session, contract, issued_by: Person, period_start: date, period_end: date,
                     lines: list[tuple] | None = None, **fields):
    """An issued bill with lines given as (LineKind, amount_fen[, quantity]); default: the contract's care fee."""
    from sqlmodel import select

    from nursery_ops.billing.models import Bill, BillCounter, BillLine, CounterSeries, LineKind

    lines = lines if lines is not None else [(LineKind.care_fee, contract.care_fee_fen)]
    year = period_start.year
    sequence = fields.pop("sequence", None) or 1 + len(session.exec(select(Bill.id).where(Bill.year == year)).all())
    bill = Bill(year=year, sequence=sequence, number=f"{year}-{sequence:06d}", contract_id=contract.id,
                child_id=contract.child_id, period_start=period_start, period_end=period_end,
                total_fen=sum(line[1] for line in lines), due_on=fields.pop("due_on", period_start),
                issued_by_id=issued_by.id, **fields)
    session.add(bill)
    # The year's counter too, as billing's service keeps it: a bill the app issues later takes the next number.
    counter = session.get(BillCounter, (CounterSeries.bill, year)) or BillCounter(series=CounterSeries.bill, year=year)
    counter.last_number = max(counter.last_number, sequence)
    session.add(counter)
    session.flush()
    for position, line in enumerate(lines, start=1):
        kind, amount = line[0], line[1]
        quantity = line[2] if len(line) > 2 else 1
        session.add(BillLine(bill_id=bill.id, position=position, kind=kind, description=str(kind), quantity=quantity,
                             unit_fen=amount // quantity if quantity else amount, amount_fen=amount))
    session.flush()
    return bill


def make_refund_payment(session: Session, contract, received_by: Person, amount_fen: int, paid_on: date, **fields):
    from sqlmodel import select

    from nursery_ops.billing.models import Payment, PaymentMethod

    count = len(session.exec(select(Payment.id)).all())
    payment = Payment(contract_id=contract.id, child_id=contract.child_id, amount_fen=amount_fen,
                      method=fields.pop("method", PaymentMethod.bank_transfer), paid_on=paid_on,
                      receipt_number=fields.pop("receipt_number", f"R-{paid_on.year}-{count + 1:06d}"),
                      received_by_id=received_by.id, **fields)
    session.add(payment)
    session.flush()
    return payment
