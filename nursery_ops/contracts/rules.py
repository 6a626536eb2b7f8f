"""Fee contract rules (DOMAIN.md "Fee contracts and money"): plain functions, no database, no HTTP.

- What a contract must state before it is signed (each missing part is a BLOCK of its own).
- Clause text that voids refunds or gives the nursery "final interpretation" is void in law:
  BLOCK it, quoting the phrase found.
- A contract's service period lies inside its enrolment and does not overlap another contract.
- The status a contract has on a day (signed → active from its start date → ended after its end).
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from nursery_ops.contracts.models import ContractStatus, FeeUnit
from nursery_ops.enrolment.models import CareType
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode

# The care fee's unit follows the care type (DOMAIN.md "Care types").
FEE_UNIT_FOR_CARE_TYPE = {
    CareType.full_day: FeeUnit.month,
    CareType.half_day: FeeUnit.month,
    CareType.hourly: FeeUnit.hour,
    CareType.temporary: FeeUnit.day,
}

# Wording that voids refunds or claims "final interpretation" (void clauses, 《消费者权益保护法》第26条).
# The director adds local variants on /settings/contract-phrases.
DEFAULT_FORBIDDEN_PHRASES = (
    "概不退款",
    "概不退还",
    "不予退还",
    "不予退款",
    "不予退费",
    "不退费",
    "不退款",
    "不可退",
    "不得退",
    "不能退",
    "一律不退",
    "恕不退还",
    "最终解释权",
    "解释权归",
    "non-refundable",
    "nonrefundable",
    "not refundable",
    "no refund",
    "final interpretation",
    "final right of interpretation",
)

MISSING_PERIOD = N_("The service period is missing: give its first and last day.")
MISSING_HOURS = N_("The care hours are missing.")
MISSING_ROOM_TYPE = N_("The room type is missing.")
MISSING_CARE_FEE = N_("The care fee (托育费) must be more than zero.")
WRONG_FEE_UNIT = {
    FeeUnit.month: N_("The care fee of full-day and half-day care is a monthly fee."),
    FeeUnit.hour: N_("The care fee of hourly care is charged per started hour."),
    FeeUnit.day: N_("The care fee of temporary care is charged per booked day."),
}
NEGATIVE_MEAL_FEE = N_("The meal fee (伙食费) cannot be negative.")
PAYMENT_SCHEDULE = N_("The payment schedule must ask for 1 to {months} months at a time (prepayment limit).")
PAYMENT_DUE_DAY = N_("The payment due day must be a day of the month from 1 to 28.")
MISSING_REFUND_RULES = N_("The refund rules are missing: the contract must refund on withdrawal and on closures caused by the nursery.")
REFUND_NUMBERS = N_("The refund rules' numbers are out of range (notice 0–90 days, sick leave 1–60 days, rate 0–100%).")
MISSING_DISPUTE = N_("The dispute resolution clause is missing.")
MISSING_GUARDIAN = N_("The guardian's signature is missing: choose a guardian of this child and the date they signed.")
MISSING_DIRECTOR = N_("The director's signature date is missing.")
SIGNED_IN_FUTURE = N_("A signature date cannot be in the future.")
FORBIDDEN_PHRASE = N_("The contract text contains \u201c{phrase}\u201d: clauses that refuse refunds or give the nursery final interpretation are void and cannot be signed.")

END_BEFORE_START = N_("The last day cannot be before the first day.")
STARTS_BEFORE_ENROLMENT = N_("The service period must start on or after the enrolment's start ({date}).")
ENDS_AFTER_ENROLMENT = N_("The service period must end on or before the enrolment's end ({date}).")
OVERLAPS = N_("Contract #{number} already covers {start} to {end} for this enrolment: amend it instead of adding another.")



def block(message: str, **params) -> Decision:
    return Decision(Mode.block, message, params)




def fen_to_yuan_text(fen: int) -> str:
    """128050 → "1280.50", for putting a stored amount back into a form."""
    return f"{fen // 100}.{fen % 100:02d}"


# ---------------------------------------------------------------- forbidden clause text


def normalise(text: str) -> str:
    """Case, spaces and full-width letters do not hide a phrase ("Non - Refundable", "ＮＯＮ－ＲＥＦＵＮＤＡＢＬＥ"
    are "non-refundable"): NFKC folds full-width forms, then spaces go and case folds."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def forbidden_phrases_found(texts: Iterable[str], phrases: Iterable[str]) -> list[Decision]:
    """One BLOCK per phrase found in any of the texts, quoting the phrase."""
    body = "\n".join(normalise(text) for text in texts if text)
    found, seen = [], set()
    for phrase in phrases:
        key = normalise(phrase)
        if key and key not in seen and key in body:
            seen.add(key)
            found.append(block(FORBIDDEN_PHRASE, phrase=phrase.strip()))
    return found


# ---------------------------------------------------------------- the service period


def period_errors(start: date | None, end: date | None, enrolment_start: date, enrolment_end: date | None) -> dict:
    """Field → message for a service period that is reversed or outside its enrolment."""
    errors: dict = {}
    if start is None or end is None:
        return errors
    if end < start:
        errors["end_date"] = END_BEFORE_START
        return errors
    if start < enrolment_start:
        errors["start_date"] = block(STARTS_BEFORE_ENROLMENT, date=enrolment_start.isoformat())
    if enrolment_end is not None and end > enrolment_end:
        errors["end_date"] = block(ENDS_AFTER_ENROLMENT, date=enrolment_end.isoformat())
    return errors


@dataclass(frozen=True)
class Period:
    contract_id: int
    version: int
    start: date
    end: date


def overlapping(start: date, end: date, others: Iterable[Period]) -> Period | None:
    """The first other contract whose period shares a day with [start, end] (both inclusive)."""
    for other in others:
        if other.start <= end and start <= other.end:
            return other
    return None


# ---------------------------------------------------------------- what signing needs


@dataclass(frozen=True)
class Terms:
    """The parts of a contract signing checks (a Contract row has them all; tests build these)."""

    start_date: date | None
    end_date: date | None
    care_type: CareType | None
    hours: str
    room_type: object | None
    care_fee_fen: int | None
    care_fee_unit: FeeUnit | None
    meal_fee_per_day_fen: int | None
    months_per_payment: int
    payment_due_day: int
    refund_withdrawal_pro_rata: bool
    refund_closure_full: bool
    withdrawal_notice_days: int
    sick_refund_min_days: int
    sick_refund_percent: int
    dispute_resolution: str


@dataclass(frozen=True)
class Signatures:
    guardian_id: int | None
    guardian_signed_on: date | None
    director_signed_on: date | None


def missing_parts(terms, prepay_max_months: int) -> list[Decision]:
    """Every required part of the contract that is missing or out of range (DOMAIN.md: BLOCK signing without them)."""
    found = []
    if terms.start_date is None or terms.end_date is None:
        found.append(block(MISSING_PERIOD))
    elif terms.end_date < terms.start_date:
        found.append(block(END_BEFORE_START))
    if terms.care_type is None or not (terms.hours or "").strip():
        found.append(block(MISSING_HOURS))
    if terms.room_type is None:
        found.append(block(MISSING_ROOM_TYPE))
    if not terms.care_fee_fen or terms.care_fee_fen <= 0:
        found.append(block(MISSING_CARE_FEE))
    if terms.care_type is not None and terms.care_fee_unit is not FEE_UNIT_FOR_CARE_TYPE[CareType(terms.care_type)]:
        found.append(block(WRONG_FEE_UNIT[FEE_UNIT_FOR_CARE_TYPE[CareType(terms.care_type)]]))
    if terms.meal_fee_per_day_fen is None or terms.meal_fee_per_day_fen < 0:
        found.append(block(NEGATIVE_MEAL_FEE))
    if not 1 <= terms.months_per_payment <= prepay_max_months:
        found.append(block(PAYMENT_SCHEDULE, months=prepay_max_months))
    if not 1 <= terms.payment_due_day <= 28:
        found.append(block(PAYMENT_DUE_DAY))
    if not (terms.refund_withdrawal_pro_rata and terms.refund_closure_full):
        found.append(block(MISSING_REFUND_RULES))
    if not (0 <= terms.withdrawal_notice_days <= 90 and 1 <= terms.sick_refund_min_days <= 60
            and 0 <= terms.sick_refund_percent <= 100):
        found.append(block(REFUND_NUMBERS))
    if not (terms.dispute_resolution or "").strip():
        found.append(block(MISSING_DISPUTE))
    return found


def signature_problems(signatures: Signatures, guardian_ids: set[int], today: date) -> dict[str, Decision]:
    """Field → BLOCK for the guardian's and the director's signatures."""
    problems: dict[str, Decision] = {}
    if signatures.guardian_id is None or signatures.guardian_id not in guardian_ids:
        problems["guardian_id"] = block(MISSING_GUARDIAN)
    if signatures.guardian_signed_on is None:
        problems["guardian_signed_on"] = block(MISSING_GUARDIAN)
    elif signatures.guardian_signed_on > today:
        problems["guardian_signed_on"] = block(SIGNED_IN_FUTURE)
    if signatures.director_signed_on is None:
        problems["director_signed_on"] = block(MISSING_DIRECTOR)
    elif signatures.director_signed_on > today:
        problems["director_signed_on"] = block(SIGNED_IN_FUTURE)
    return problems


# ---------------------------------------------------------------- status over time


def status_on(status: ContractStatus, start: date, end: date, ended_on: date | None, today: date) -> ContractStatus:
    """The status a contract has on `today`: a signed contract is active from its first day and ends after its last."""
    if status is ContractStatus.draft:
        return status
    if status is ContractStatus.ended or (ended_on is not None and ended_on < today) or end < today:
        return ContractStatus.ended
    if start <= today:
        return ContractStatus.active
    return ContractStatus.signed


def early_end_errors(start: date, end: date, ended_on: date) -> dict:
    """Ending early (withdrawal): the last day of service lies within the contract's period."""
    if ended_on < start - timedelta(days=1) or ended_on > end:
        return {"ended_on": block(N_("The last day of service must lie between {start} and {end}."),
                                  start=(start - timedelta(days=1)).isoformat(), end=end.isoformat())}
    return {}


