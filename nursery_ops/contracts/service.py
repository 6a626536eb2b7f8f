"""Fee contracts (托育服务合同): drafts, signing, amendments, ending early; the forbidden-phrase list; the calendar.

Each change checks everything first (nothing half-saved), writes its audit entry in the
same transaction and commits. Refusals raise `Refused` (field → message id or Decision).

For the other domains: `current_contract(session, enrolment_id)` and
`contract_for_view(session, me, contract_id)`.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, bindparam, or_
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.models import Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, ChildGuardian, Guardian
from nursery_ops.contracts import rules
from nursery_ops.contracts.forms import (
    CalendarDayForm,
    ContractForm,
    SignForm,
    charge_rows,
)
from nursery_ops.contracts.models import (
    CalendarDay,
    CalendarDayKind,
    Contract,
    ContractCharge,
    ContractStatus,
    ForbiddenPhrase,
)
from nursery_ops.enrolment.models import (
    CareType,
    Enrolment,
    EnrolmentStatus,
    HalfDaySession,
)
from nursery_ops.errors import Forbidden, NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.policy import load_policy
from nursery_ops.rooms.models import Room

NOT_A_DRAFT = N_("Only a draft can be changed; amend a signed contract instead.")
NOT_SIGNED = N_("Only a signed contract in force can be amended or ended.")
DRAFT_EXISTS = N_("This enrolment already has a draft contract: finish or discard that one.")
AMENDMENT_EXISTS = N_("An amendment of this contract is already being drafted.")
STILL_IN_FORCE = N_("Contract #{number} is still in force for this enrolment: amend it or end it first.")
NOT_ENROLLED = N_("A contract is written for an enrolled (or waitlisted) child, not a withdrawn one.")
PHRASE_EXISTS = N_("This phrase is already on the list.")
DAY_TAKEN = N_("{date} is already in the calendar: remove it first.")
WORKING_NEEDS_WEEKDAY = N_("Say which weekday this working day stands for.")
WORKING_ON_WEEKDAY = N_("A 调休 working day is a Saturday or Sunday the nursery opens.")
RANGE_TOO_LONG = N_("Add at most 31 days at a time.")
UNTIL_BEFORE = N_("The last day cannot be before the first day.")

# The default clause (DOMAIN.md: the contract states how disputes are settled), in the director's language.
DEFAULT_DISPUTE_RESOLUTION = N_(
    "Disputes arising from this contract are settled by negotiation between the parties; failing that, either party "
    "may apply to the local education or health authority for mediation or bring a suit at the people's court where "
    "the nursery is located."
)


# ---------------------------------------------------------------- reading


def _current_of(statement, enrolment_id):
    """The enrolment's signed contract: the latest version not superseded (active, signed, or ended)."""
    return (
        statement.where(
            Contract.enrolment_id == enrolment_id,
            col(Contract.superseded).is_(False),
            Contract.status != ContractStatus.draft,
        )
        .order_by(col(Contract.start_date).desc(), col(Contract.id).desc())
    )


def current_contract(session: Session, enrolment_id: int) -> Contract | None:
    """The enrolment's signed contract (see `_current_of`); None if unsigned."""
    return session.exec(_current_of(select(Contract), enrolment_id)).first()


def current_contract_id(enrolment_id):
    """`current_contract`'s id as a scalar subquery, for a page that loads the enrolment in the same statement
    (`enrolment_id` is then a column: Enrolment.id)."""
    return _current_of(select(Contract.id), enrolment_id).limit(1).scalar_subquery()


def contract_for_view(session: Session, me: CurrentPerson, contract_id: int) -> Contract:
    """The contract, for the director or a guardian of its child (signed versions only); 404 for other parents.

    Caregivers and health officers have no business with fees: 403.
    """
    return contract_and_child_for_view(session, me, contract_id)[0]


# The contract page's statements are built once, bound when run: building and keying them costs SQLAlchemy more
# than SQLite takes to answer them.
_CONTRACT_AND_CHILD = (
    select(Contract, Child).join(Child, Child.id == Contract.child_id).where(Contract.id == bindparam("contract_id"))
)
_VERSIONS = (
    select(Contract).where(Contract.enrolment_id == bindparam("enrolment_id"))
    .order_by(col(Contract.version).desc(), col(Contract.id).desc())
)
_CHARGES = (
    select(ContractCharge).where(ContractCharge.contract_id == bindparam("contract_id")).order_by(col(ContractCharge.id))
)
_GUARDIAN_CHOICES = (
    select(Guardian.id, Guardian.full_name, ChildGuardian.relation)
    .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
    .where(ChildGuardian.child_id == bindparam("child_id"), col(ChildGuardian.active).is_(True))
    .order_by(Guardian.full_name)
)


def contract_and_child_for_view(session: Session, me: CurrentPerson, contract_id: int) -> tuple[Contract, Child]:
    """`contract_for_view` with the contract's child, read in the same statement (for the pages that show it)."""
    found = session.exec(_CONTRACT_AND_CHILD, params={"contract_id": contract_id}).first()
    if found is None:
        raise NotFound()
    contract, child = found
    if me.has(Role.director):
        return contract, child
    if me.person.guardian_id is not None and _guardian_of(session, me.person.guardian_id, contract.child_id):
        if contract.status is ContractStatus.draft:
            raise NotFound()
        return contract, child
    if me.is_staff:
        raise Forbidden()
    raise NotFound()


def _guardian_of(session: Session, guardian_id: int, child_id: int) -> bool:
    return session.exec(
        select(ChildGuardian.id).where(
            ChildGuardian.guardian_id == guardian_id, ChildGuardian.child_id == child_id,
            col(ChildGuardian.active).is_(True), col(ChildGuardian.may_view).is_(True),
        )
    ).first() is not None


def director_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    return contract


def versions(session: Session, contract: Contract, *, drafts: bool = True) -> list[Contract]:
    """Every version of the enrolment's contract, newest first (amendments and what they replaced).

    `drafts=False` leaves out unsigned drafts (what a parent may see).
    """
    statement = _VERSIONS if drafts else _VERSIONS.where(Contract.status != ContractStatus.draft)
    return list(session.exec(statement, params={"enrolment_id": contract.enrolment_id}).all())


SUPERSEDED = N_("Version {version} of this contract has been replaced: work on the current version, contract #{number}.")


def replacing_version(contract: Contract, all_versions: list[Contract]) -> Contract | None:
    """The signed version that replaced `contract` in the end (following amendments forward); None when current."""
    if not contract.superseded:
        return None
    replaced_by = {version.replaces_id: version for version in all_versions
                   if version.replaces_id is not None and version.status is not ContractStatus.draft}
    current = contract
    while current.id in replaced_by:
        current = replaced_by[current.id]
    return current if current.id != contract.id else None


def superseded_refusal(session: Session, contract: Contract) -> dict:
    """{"__all__": BLOCK} pointing to the current version when `contract` was replaced; {} for a current version.

    Bills, payments and refunds are taken on the version in force, never on one an amendment replaced.
    """
    if not contract.superseded:
        return {}
    current = replacing_version(contract, versions(session, contract))
    return {"__all__": rules.block(SUPERSEDED, version=contract.version,
                                   number=current.id if current is not None else "—")}


def charges(session: Session, contract_id: int) -> list[ContractCharge]:
    return list(session.exec(_CHARGES, params={"contract_id": contract_id}).all())


def guardian_choices(session: Session, child_id: int) -> list[tuple[int, str]]:
    rows = session.exec(_GUARDIAN_CHOICES, params={"child_id": child_id}).all()
    return [(guardian_id, f"{name} ({relation})") for guardian_id, name, relation in rows]


def open_enrolment(session: Session, child_id: int) -> Enrolment:
    """The child's enrolment a contract is written for (enrolled, else waitlisted); NotFound when none."""
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.child_id == child_id, Enrolment.status != EnrolmentStatus.withdrawn)
        .order_by(col(Enrolment.id).desc())
    ).first()
    if enrolment is None:
        raise Refused({"__all__": NOT_ENROLLED})
    return enrolment


@dataclass
class ContractRow:
    contract: Contract
    child: Child
    status: ContractStatus  # on the day asked


def list_contracts(session: Session, today: date, status: ContractStatus | None = None, query: str = "") -> list[ContractRow]:
    """The current version of each contract (and open drafts), filtered by the status they have today."""
    statement = (
        select(Contract, Child).join(Child, Child.id == Contract.child_id)
        .where(col(Contract.superseded).is_(False))
        .order_by(Child.full_name, col(Contract.version).desc())
    )
    if query.strip():
        statement = statement.where(col(Child.full_name).contains(query.strip()))
    ended = or_(
        Contract.status == ContractStatus.ended,
        col(Contract.end_date) < today,
        and_(col(Contract.ended_on).is_not(None), col(Contract.ended_on) < today),
    )
    if status is ContractStatus.draft:
        statement = statement.where(Contract.status == ContractStatus.draft)
    elif status is ContractStatus.ended:
        statement = statement.where(Contract.status != ContractStatus.draft, ended)
    elif status is ContractStatus.active:
        statement = statement.where(Contract.status != ContractStatus.draft, ~ended, Contract.start_date <= today)
    elif status is ContractStatus.signed:
        statement = statement.where(Contract.status != ContractStatus.draft, ~ended, Contract.start_date > today)
    return [ContractRow(contract, child, status_of(contract, today)) for contract, child in session.exec(statement).all()]


def status_of(contract: Contract, today: date) -> ContractStatus:
    return rules.status_on(contract.status, contract.start_date, contract.end_date, contract.ended_on, today)


def forbidden_phrases(session: Session) -> list[str]:
    """The built-in phrases and the director's own (not removed)."""
    added = session.exec(
        select(ForbiddenPhrase.phrase).where(col(ForbiddenPhrase.removed_at).is_(None)).order_by(col(ForbiddenPhrase.id))
    ).all()
    return [*rules.DEFAULT_FORBIDDEN_PHRASES, *added]


def added_phrases(session: Session) -> list[ForbiddenPhrase]:
    return list(session.exec(
        select(ForbiddenPhrase).where(col(ForbiddenPhrase.removed_at).is_(None)).order_by(col(ForbiddenPhrase.id))
    ).all())


# ---------------------------------------------------------------- drafts


def draft_values(session: Session, enrolment: Enrolment, gettext) -> dict:
    """A new draft's form, filled from the enrolment and DOMAIN.md's default refund rules."""
    policy = load_policy(session)
    room = session.get(Room, enrolment.room_id) if enrolment.room_id else None
    end = enrolment.end_date or _year_later(enrolment.start_date)
    return {
        "start_date": enrolment.start_date.isoformat(),
        "end_date": end.isoformat(),
        "care_type": enrolment.care_type.value,
        "hours": _hours_text(enrolment, policy, gettext),
        "room_type": room.room_type.value if room else "",
        "care_fee_unit": rules.FEE_UNIT_FOR_CARE_TYPE[enrolment.care_type].value,
        "meal_fee_per_day": "0.00",
        "deposit": "0.00",
        "months_per_payment": str(min(1, policy.prepay_max_months)),
        "payment_due_day": "5",
        "refund_withdrawal_pro_rata": True,
        "withdrawal_notice_days": "0",
        "refund_meals_not_attended": True,
        "sick_refund_min_days": "5",
        "sick_refund_percent": "50",
        "refund_closure_full": True,
        "refund_deposit": True,
        "dispute_resolution": gettext(DEFAULT_DISPUTE_RESOLUTION),
    }


def contract_values(contract: Contract, contract_charges: list[ContractCharge]) -> dict:
    """A stored draft back in its form."""
    values = {
        name: (value.isoformat() if isinstance(value, date) else value.value if hasattr(value, "value") else value)
        for name, value in contract.model_dump().items()
    }
    values.update(
        care_fee=rules.fen_to_yuan_text(contract.care_fee_fen),
        meal_fee_per_day=rules.fen_to_yuan_text(contract.meal_fee_per_day_fen),
        deposit=rules.fen_to_yuan_text(contract.deposit_fen),
        charge_name=[charge.name for charge in contract_charges],
        charge_amount=[rules.fen_to_yuan_text(charge.amount_fen) for charge in contract_charges],
        charge_unit=[charge.unit.value for charge in contract_charges],
    )
    return {key: ("" if value is None else str(value) if isinstance(value, int) and not isinstance(value, bool) else value)
            for key, value in values.items()}


def _year_later(start: date) -> date:
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def _hours_text(enrolment: Enrolment, policy, gettext) -> str:
    from nursery_ops.labels import WEEKDAY_LABELS

    weekdays = sorted(int(day) for day in enrolment.schedule_days)
    if len(weekdays) >= 3 and weekdays == list(range(weekdays[0], weekdays[-1] + 1)):
        days = f"{gettext(WEEKDAY_LABELS[weekdays[0]])}–{gettext(WEEKDAY_LABELS[weekdays[-1]])}"
    else:
        days = ", ".join(gettext(WEEKDAY_LABELS[day]) for day in weekdays)
    if enrolment.care_type is CareType.full_day:
        return f"{days} {_hhmm(policy.full_day_start)}–{_hhmm(policy.full_day_end)}"
    if enrolment.care_type is CareType.half_day:
        session_name = gettext("Morning") if enrolment.half_day_session is HalfDaySession.morning else gettext("Afternoon")
        return f"{days} {session_name} ≤ {policy.half_day_max_hours} h"
    if enrolment.care_type is CareType.hourly:
        return f"{days} {_hhmm(policy.full_day_start)}–{_hhmm(policy.full_day_end)}"
    return gettext("Booked single days")


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _checked_terms(session: Session, enrolment: Enrolment, data: ContractForm, replaces_id: int | None,
                   exclude_id: int | None) -> list:
    """The optional services; Refused with every field problem (period, overlap, charges)."""
    errors = dict(rules.period_errors(data.start_date, data.end_date, enrolment.start_date, enrolment.end_date))
    rows, charge_errors = charge_rows(data)
    errors.update(charge_errors)
    if "start_date" not in errors and "end_date" not in errors:
        clash = rules.overlapping(data.start_date, data.end_date,
                                  _other_periods(session, enrolment.id, {replaces_id, exclude_id}))
        if clash is not None:
            errors["start_date"] = rules.block(rules.OVERLAPS, number=clash.contract_id, start=clash.start.isoformat(),
                                               end=clash.end.isoformat())
    if errors:
        raise Refused(errors)
    return rows


def _other_periods(session: Session, enrolment_id: int, excluded: set) -> list[rules.Period]:
    """The enrolment's contracts in force or ended (not drafts, not superseded), by the days they cover."""
    contracts = session.exec(
        select(Contract).where(
            Contract.enrolment_id == enrolment_id, col(Contract.superseded).is_(False),
            Contract.status != ContractStatus.draft,
        )
    ).all()
    return [
        rules.Period(contract.id, contract.version, contract.start_date,
                     min(contract.end_date, contract.ended_on) if contract.ended_on else contract.end_date)
        for contract in contracts if contract.id not in excluded
    ]


def _apply(contract: Contract, data: ContractForm) -> None:
    for name in (
        "start_date", "end_date", "care_type", "hours", "room_type", "care_fee_unit", "months_per_payment",
        "payment_due_day", "refund_withdrawal_pro_rata", "withdrawal_notice_days", "refund_meals_not_attended",
        "sick_refund_min_days", "sick_refund_percent", "refund_closure_full", "refund_deposit", "dispute_resolution",
        "other_terms",
    ):
        setattr(contract, name, getattr(data, name))
    contract.care_fee_fen = data.care_fee
    contract.meal_fee_per_day_fen = data.meal_fee_per_day
    contract.deposit_fen = data.deposit


def _replace_charges(session: Session, contract: Contract, rows: list) -> None:
    for charge in charges(session, contract.id):
        session.delete(charge)
    for name, amount_fen, unit in rows:
        session.add(ContractCharge(contract_id=contract.id, name=name, amount_fen=amount_fen, unit=unit))


def _snapshot(session: Session, contract: Contract) -> dict:
    values = audit.snapshot(contract)
    values["charges"] = [audit.snapshot(charge) for charge in charges(session, contract.id)]
    return values


def create_draft(session: Session, me: CurrentPerson, enrolment: Enrolment, data: ContractForm) -> Contract:
    """A first draft for an enrolment (nothing saved when refused)."""
    if enrolment.status is EnrolmentStatus.withdrawn:
        raise Refused({"__all__": NOT_ENROLLED})
    existing = session.exec(
        select(Contract.id).where(Contract.enrolment_id == enrolment.id, Contract.status == ContractStatus.draft)
    ).first()
    if existing is not None:
        raise Refused({"__all__": DRAFT_EXISTS})
    rows = _checked_terms(session, enrolment, data, None, None)
    contract = Contract(enrolment_id=enrolment.id, child_id=enrolment.child_id, status=ContractStatus.draft,
                        created_by_id=me.person.id, care_fee_fen=0, **_required_placeholders(data))
    _apply(contract, data)
    session.add(contract)
    session.flush()
    _replace_charges(session, contract, rows)
    audit.record(session, me.person.id, "contract_drafted", contract, after=_snapshot(session, contract),
                 child_id=contract.child_id)
    session.commit()
    return contract


def _required_placeholders(data: ContractForm) -> dict:
    return {"start_date": data.start_date, "end_date": data.end_date, "care_type": data.care_type, "hours": data.hours,
            "room_type": data.room_type, "care_fee_unit": data.care_fee_unit}


def update_draft(session: Session, me: CurrentPerson, contract: Contract, data: ContractForm) -> Contract:
    if contract.status is not ContractStatus.draft:
        raise Refused({"__all__": NOT_A_DRAFT})
    enrolment = session.get(Enrolment, contract.enrolment_id)
    rows = _checked_terms(session, enrolment, data, contract.replaces_id, contract.id)
    before = _snapshot(session, contract)
    _apply(contract, data)
    session.add(contract)
    _replace_charges(session, contract, rows)
    session.flush()
    audit.record(session, me.person.id, "contract_draft_changed", contract, before=before,
                 after=_snapshot(session, contract), child_id=contract.child_id)
    session.commit()
    return contract


def discard_draft(session: Session, me: CurrentPerson, contract: Contract) -> None:
    """A draft nobody signed is removed (the audit log keeps what it said)."""
    if contract.status is not ContractStatus.draft:
        raise Refused({"__all__": NOT_A_DRAFT})
    before = _snapshot(session, contract)
    audit.record(session, me.person.id, "contract_draft_discarded", contract, before=before, child_id=contract.child_id)
    for charge in charges(session, contract.id):
        session.delete(charge)
    session.delete(contract)
    session.commit()


# ---------------------------------------------------------------- signing, amending, ending


def signing_blocks(session: Session, contract: Contract, contract_charges: list[ContractCharge]) -> list:
    """What stops this draft being signed, signatures aside (shown on the draft before anyone signs)."""
    policy = load_policy(session)
    found = rules.missing_parts(contract, policy.prepay_max_months)
    texts = [contract.hours, contract.dispute_resolution, contract.other_terms,
             *(charge.name for charge in contract_charges)]
    found += rules.forbidden_phrases_found(texts, forbidden_phrases(session))
    return found


def sign(session: Session, me: CurrentPerson, contract: Contract, data: SignForm, today: date) -> Contract:
    """Record both signatures; an amendment supersedes the version it replaces in the same transaction."""
    if contract.status is not ContractStatus.draft:
        raise Refused({"__all__": NOT_A_DRAFT})
    enrolment = session.get(Enrolment, contract.enrolment_id)
    errors: dict = {}
    blocks = signing_blocks(session, contract, charges(session, contract.id))
    if blocks:
        errors["__blocks__"] = blocks
    guardian_ids = {guardian_id for guardian_id, _name in guardian_choices(session, contract.child_id)}
    errors.update(rules.signature_problems(
        rules.Signatures(data.guardian_id, data.guardian_signed_on, data.director_signed_on), guardian_ids, today
    ))
    errors.update(rules.period_errors(contract.start_date, contract.end_date, enrolment.start_date, enrolment.end_date))
    _settle_ended(session, me, enrolment.id, today)
    clash = rules.overlapping(contract.start_date, contract.end_date,
                              _other_periods(session, enrolment.id, {contract.replaces_id, contract.id}))
    if clash is not None:
        errors["__all__"] = rules.block(rules.OVERLAPS, number=clash.contract_id, start=clash.start.isoformat(),
                                        end=clash.end.isoformat())
    else:
        in_force = session.exec(
            select(Contract.id).where(
                Contract.enrolment_id == enrolment.id, col(Contract.superseded).is_(False),
                col(Contract.status).in_([ContractStatus.signed, ContractStatus.active]),
                Contract.id != (contract.replaces_id or 0),
            )
        ).first()
        if in_force is not None:
            errors["__all__"] = rules.block(STILL_IN_FORCE, number=in_force)
    if errors:
        raise Refused(errors)
    if contract.replaces_id is not None:
        old = session.get(Contract, contract.replaces_id)
        old_before = audit.snapshot(old)
        old.superseded = True
        session.add(old)
        # The old version leaves the "one in force" index before the new one enters it.
        session.flush()
        audit.record(session, me.person.id, "contract_superseded", old, before=old_before, after=audit.snapshot(old),
                     child_id=old.child_id, reason=contract.amendment_reason)
    before = audit.snapshot(contract)
    contract.guardian_id = data.guardian_id
    contract.guardian_signed_on = data.guardian_signed_on
    contract.director_signed_by_id = me.person.id
    contract.director_signed_on = data.director_signed_on
    contract.status = ContractStatus.active if contract.start_date <= today else ContractStatus.signed
    session.add(contract)
    if enrolment.agreement_signed_on is None:
        # The signed fee contract is the service agreement admission asks for.
        enrolment_before = audit.snapshot(enrolment)
        enrolment.agreement_signed_on = max(data.guardian_signed_on, data.director_signed_on)
        session.add(enrolment)
        audit.record(session, me.person.id, "agreement_signed", enrolment, before=enrolment_before,
                     after=audit.snapshot(enrolment), child_id=enrolment.child_id)
    audit.record(session, me.person.id, "contract_signed", contract, before=before, after=audit.snapshot(contract),
                 child_id=contract.child_id)
    session.commit()
    return contract


def _settle_ended(session: Session, me: CurrentPerson, enrolment_id: int, today: date) -> None:
    """Contracts whose last day has passed are stored as ended, so they no longer count as in force."""
    for contract in session.exec(
        select(Contract).where(
            Contract.enrolment_id == enrolment_id,
            col(Contract.status).in_([ContractStatus.signed, ContractStatus.active]),
            col(Contract.end_date) < today,
        )
    ).all():
        before = audit.snapshot(contract)
        contract.status = ContractStatus.ended
        session.add(contract)
        audit.record(session, me.person.id, "contract_ended", contract, before=before, after=audit.snapshot(contract),
                     child_id=contract.child_id, reason="service period over")


def amend(session: Session, me: CurrentPerson, contract: Contract, reason: str, today: date) -> Contract:
    """A new draft version copying the signed one; it replaces it when signed (the old one is kept)."""
    if contract.superseded or status_of(contract, today) not in (ContractStatus.signed, ContractStatus.active):
        raise Refused({"__all__": NOT_SIGNED})
    if session.exec(select(Contract.id).where(Contract.replaces_id == contract.id)).first() is not None:
        raise Refused({"__all__": AMENDMENT_EXISTS})
    values = contract.model_dump(exclude={
        "id", "version", "replaces_id", "superseded", "amendment_reason", "status", "guardian_id", "guardian_signed_on",
        "director_signed_by_id", "director_signed_on", "ended_on", "end_reason", "created_by_id", "created_at",
    })
    draft = Contract(**values, version=contract.version + 1, replaces_id=contract.id, amendment_reason=reason,
                     status=ContractStatus.draft, created_by_id=me.person.id)
    session.add(draft)
    session.flush()
    for charge in charges(session, contract.id):
        session.add(ContractCharge(contract_id=draft.id, name=charge.name, amount_fen=charge.amount_fen, unit=charge.unit))
    audit.record(session, me.person.id, "contract_amendment_drafted", draft, after=_snapshot(session, draft),
                 child_id=draft.child_id, reason=reason)
    session.commit()
    return draft


def end_early(session: Session, me: CurrentPerson, contract: Contract, ended_on: date, reason: str, today: date) -> Contract:
    """End a signed contract before its last day (withdrawal): `ended_on` is the last day of service."""
    if contract.superseded or status_of(contract, today) not in (ContractStatus.signed, ContractStatus.active):
        raise Refused({"__all__": NOT_SIGNED})
    errors = rules.early_end_errors(contract.start_date, contract.end_date, ended_on)
    if errors:
        raise Refused(errors)
    record_early_end(session, me, contract, ended_on, reason, today)
    session.commit()
    return contract


# Stored as the end reason of a contract a withdrawal refund ended; a message id, so the page shows it translated.
ENDED_BY_WITHDRAWAL = N_("Withdrawal (the withdrawal refund was confirmed)")


def record_early_end(session: Session, me: CurrentPerson, contract: Contract, ended_on: date, reason: str,
                     today: date) -> None:
    """Set the last day of service and audit it, inside the caller's transaction (the caller has checked it).

    A confirmed withdrawal refund ends the contract this way, so no bill is issued for the months after leaving.
    """
    before = audit.snapshot(contract)
    contract.ended_on = ended_on
    contract.end_reason = reason
    if ended_on < today:
        contract.status = ContractStatus.ended
    session.add(contract)
    audit.record(session, me.person.id, "contract_ended_early", contract, before=before, after=audit.snapshot(contract),
                 child_id=contract.child_id, reason=reason)


# ---------------------------------------------------------------- forbidden phrases


def add_phrase(session: Session, me: CurrentPerson, phrase: str) -> ForbiddenPhrase:
    known = {rules.normalise(text) for text in forbidden_phrases(session)}
    if rules.normalise(phrase) in known:
        raise Refused({"phrase": PHRASE_EXISTS})
    row = ForbiddenPhrase(phrase=phrase, added_by_id=me.person.id)
    session.add(row)
    audit.record(session, me.person.id, "contract_phrase_added", row, after=audit.snapshot(row))
    session.commit()
    return row


def remove_phrase(session: Session, me: CurrentPerson, phrase_id: int, now: datetime) -> None:
    row = session.get(ForbiddenPhrase, phrase_id)
    if row is None or row.removed_at is not None:
        raise NotFound()
    before = audit.snapshot(row)
    row.removed_at, row.removed_by_id = now, me.person.id
    session.add(row)
    audit.record(session, me.person.id, "contract_phrase_removed", row, before=before, after=audit.snapshot(row))
    session.commit()


# ---------------------------------------------------------------- the calendar


def calendar_year(session: Session, year: int) -> list[CalendarDay]:
    return list(session.exec(
        select(CalendarDay).where(CalendarDay.on_date >= date(year, 1, 1), CalendarDay.on_date <= date(year, 12, 31))
        .order_by(CalendarDay.on_date)
    ).all())


def add_calendar_days(session: Session, me: CurrentPerson, data: CalendarDayForm) -> list[CalendarDay]:
    """Closed days (a run of them) or one 调休 working day; refused whole when any day is already listed."""
    until = data.until or data.on_date
    errors: dict = {}
    if until < data.on_date:
        errors["until"] = UNTIL_BEFORE
    elif (until - data.on_date).days > 30:
        errors["until"] = RANGE_TOO_LONG
    if data.kind is CalendarDayKind.working:
        if data.as_weekday is None:
            errors["as_weekday"] = WORKING_NEEDS_WEEKDAY
        if data.on_date.isoweekday() < 6:
            errors["on_date"] = WORKING_ON_WEEKDAY
        until = data.on_date
    if errors:
        raise Refused(errors)
    days = [data.on_date + timedelta(days=offset) for offset in range((until - data.on_date).days + 1)]
    taken = session.exec(select(CalendarDay.on_date).where(col(CalendarDay.on_date).in_(days))).first()
    if taken is not None:
        raise Refused({"on_date": rules.block(DAY_TAKEN, date=taken.isoformat())})
    added = []
    for day in days:
        row = CalendarDay(
            on_date=day, kind=data.kind, name=data.name, recorded_by_id=me.person.id,
            as_weekday=data.as_weekday if data.kind is CalendarDayKind.working else None,
            caused_by_nursery=data.caused_by_nursery if data.kind is CalendarDayKind.closed else False,
        )
        session.add(row)
        audit.record(session, me.person.id, "calendar_day_added", row, after=audit.snapshot(row))
        added.append(row)
    session.commit()
    return added


def remove_calendar_day(session: Session, me: CurrentPerson, day_id: int) -> None:
    """Settings, not a child's record: the row goes, the audit log keeps it."""
    row = session.get(CalendarDay, day_id)
    if row is None:
        raise NotFound()
    audit.record(session, me.person.id, "calendar_day_removed", row, before=audit.snapshot(row))
    session.delete(row)
    session.commit()
