"""The public disclosure page: the newest version of each section, saving changes as new versions, the history.

Each changed section is a new `DisclosureText` version, audited with the text before and after, in one
transaction. A section changed by someone else since the form was opened is refused, not overwritten.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.models import Person
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.contracts.models import ChargeUnit, ContractCharge, ContractStatus, FeeUnit
from nursery_ops.contracts.service import list_contracts
from nursery_ops.disclosure.forms import DisclosureForm
from nursery_ops.disclosure.models import DisclosureText, Section
from nursery_ops.enrolment.models import CareType
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_

CHANGED_MEANWHILE = N_("Someone else changed this section after you opened the page. Copy your text, reload and try again.")


def current_texts(session: Session) -> dict[Section, DisclosureText]:
    """The newest version of each section that has one (one query)."""
    latest = (
        select(DisclosureText.section, func.max(DisclosureText.version).label("version"))
        .group_by(DisclosureText.section).subquery()
    )
    rows = session.exec(
        select(DisclosureText).join(latest, and_(DisclosureText.section == latest.c.section,
                                                 DisclosureText.version == latest.c.version))
    ).all()
    return {row.section: row for row in rows}


def last_changed(texts: dict[Section, DisclosureText]) -> datetime | None:
    return max((text.changed_at for text in texts.values()), default=None)


def _plain(text: str) -> str:
    # Browsers send a textarea's line breaks as CRLF: store one kind, so an unchanged text compares equal.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def save(session: Session, me: CurrentPerson, data: DisclosureForm) -> list[DisclosureText]:
    """New versions of the sections whose text changed; Refused for a section changed meanwhile."""
    texts = current_texts(session)
    changed, errors = [], {}
    for section in Section:
        old = texts.get(section)
        body = _plain(data.body(section))
        if body == (old.body if old else ""):
            continue
        if data.based_on(section) != (old.version if old else 0):
            errors[section.value] = CHANGED_MEANWHILE
            continue
        changed.append((section, old, body))
    if errors:
        raise Refused(errors)
    saved = []
    for section, old, body in changed:
        row = DisclosureText(section=section, version=(old.version if old else 0) + 1, body=body, changed_by_id=me.id)
        session.add(row)
        audit.record(session, me.id, "disclosure_changed", row, before=audit.snapshot(old), after=audit.snapshot(row))
        saved.append(row)
    session.commit()
    return saved


def history(session: Session) -> list[tuple[DisclosureText, str]]:
    """Every version with who saved it, newest first within each section, sections in page order."""
    rows = session.exec(
        select(DisclosureText, Person.full_name).join(Person, Person.id == DisclosureText.changed_by_id)
        .order_by(col(DisclosureText.version).desc())
    ).all()
    order = {section: index for index, section in enumerate(Section)}
    return sorted(rows, key=lambda row: order[row[0].section])


@dataclass(frozen=True)
class ContractFee:
    """Fees as the contracts in force state them: what the published fee items must agree with."""

    care_type: CareType
    care_fee_fen: int
    care_fee_unit: FeeUnit
    meal_fee_per_day_fen: int
    deposit_fen: int


def _count_sorted(counts: Counter, key) -> list:
    return sorted(counts.items(), key=lambda item: key(item[0]))


@dataclass(frozen=True)
class OptionalCharge:
    """An optional service (兴趣课, 校车...) as the contracts in force charge it: a fee item to publish too."""

    name: str
    amount_fen: int
    unit: ChargeUnit


def contract_fee_items(session: Session, today: date) -> tuple[list[tuple[ContractFee, int]], list[tuple[OptionalCharge, int]]]:
    """Each distinct fee combination and each distinct optional service of the contracts in force today,
    with how many contracts carry it (two queries)."""
    contracts = [row.contract for row in list_contracts(session, today, ContractStatus.active)]
    fees = Counter(ContractFee(contract.care_type, contract.care_fee_fen, contract.care_fee_unit,
                               contract.meal_fee_per_day_fen, contract.deposit_fen) for contract in contracts)
    charges: Counter = Counter()
    if contracts:
        rows = session.exec(
            select(ContractCharge.name, ContractCharge.amount_fen, ContractCharge.unit)
            .where(col(ContractCharge.contract_id).in_([contract.id for contract in contracts]))
        ).all()
        charges.update(OptionalCharge(name.strip(), amount_fen, unit) for name, amount_fen, unit in rows)
    order = {care_type: index for index, care_type in enumerate(CareType)}
    return (_count_sorted(fees, lambda fee: (order[fee.care_type], fee.care_fee_fen)),
            _count_sorted(charges, lambda charge: (charge.name, charge.amount_fen)))
