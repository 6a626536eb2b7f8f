"""The medication rules (DOMAIN.md "Medication"): plain functions, no database.

BLOCK any dose without a guardian-signed authorisation, outside its dates, at a
time slot it does not name, away from that slot's time (policy `medication_window_minutes`),
twice for one slot, of another amount than signed for, or without a second person checking. No "as needed" orders: a nursery gives
medicine only at fixed times the guardian signed for, never on a caregiver's judgement.
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.i18n import N_
from nursery_ops.medication.models import DoseOutcome, MedicationAuthorisation
from nursery_ops.policy import Decision, Mode
from nursery_ops.settings import get_settings

# Two weeks covers a course of antibiotics or cough medicine. Anything longer is a
# long-term condition: the guardian signs again with a current prescription, so a
# dose that changed with the child's weight is never given from an old form.
MAX_AUTHORISATION_DAYS = 14
# More than six fixed times a day is not something a nursery day can hold.
MAX_SLOTS_PER_DAY = 6
# Hundredths of a unit: 0.01 is the finest dose anyone measures (a quarter tablet is 0.25).
MAX_DOSE_HUNDREDTHS = 100_000
# A due dose not recorded this long after its time shows as overdue.
OVERDUE_AFTER = timedelta(minutes=30)

AS_NEEDED = N_('No "as needed" orders: the guardian must sign for fixed times of day (for example 08:30, 12:00).')
SLOTS_REQUIRED = N_("Enter at least one time of day.")
SLOTS_FORMAT = N_("Enter times of day as HH:MM, separated by commas (for example 08:30, 12:00).")
SLOTS_REPEATED = N_("Each time of day only once.")
SLOTS_TOO_MANY = N_("At most {count} times a day.")
DOSE_FORMAT = N_("Enter the dose as a number, e.g. 2.5 (at most two decimals).")
DOSE_RANGE = N_("Enter a dose above 0 and at most 1000.")
END_BEFORE_START = N_("The last day cannot be before the first day.")
TOO_LONG = N_("An authorisation covers at most {days} days: ask the guardian to sign again for a longer course.")
START_BEFORE_SIGNED = N_("The first day cannot be before the day the guardian signed.")
ALREADY_ENDED = N_("The last day has passed: no dose could be given on this authorisation.")

NO_AUTHORISATION = N_("There is no valid signed authorisation for this medicine: do not give it.")
CANCELLED = N_("This authorisation was cancelled: do not give it.")
OUTSIDE_DATES = N_("This authorisation runs from {start} to {end}: do not give it today.")
SLOT_NOT_AUTHORISED = N_("The guardian did not sign for this time of day.")
OUTSIDE_WINDOW = N_(
    "The {slot} dose may be given only between {earliest} and {latest}: check the dose chosen, or enter the time it was given."
)
SLOT_ALREADY_RECORDED = N_("The {slot} dose has already been recorded today: never give a second dose for one time.")
AMOUNT_REQUIRED = N_("Enter the amount given.")
WRONG_AMOUNT = N_("The signed dose is {amount} {unit}: give exactly that amount.")
CHECKER_REQUIRED = N_("A second member of staff must check the medicine and the dose.")
SAME_PERSON = N_("The person checking must not be the person giving the medicine.")
REASON_REQUIRED = N_("Say why the dose was not given.")
IN_FUTURE = N_("This time is still to come. Enter the time it happened.")

# Words that make an order depend on someone's judgement at the time ("prn", 按需, 必要时...).
_AS_NEEDED_LATIN = re.compile(
    r"\b(p\.?\s?r\.?\s?n\.?|s\.?o\.?s\.?|as\s+(needed|required|necessary)|when\s+(needed|required|necessary)"
    r"|if\s+(needed|required|necessary)|on\s+demand|if\s+(fever|pain|sick|unwell)|when\s+(feverish|fever|in\s+pain))(?!\w)",
    re.IGNORECASE,
)
_AS_NEEDED_CHINESE = ("按需", "必要时", "需要时", "酌情", "视情况", "不适时", "发烧时", "发热时", "疼痛时", "临时")


def mentions_as_needed(text: str) -> bool:
    """True for any wording of an "as needed" (PRN) order, in English or Chinese."""
    return bool(_AS_NEEDED_LATIN.search(text)) or any(word in text for word in _AS_NEEDED_CHINESE)


def read_slots(raw: str) -> tuple[list[time], str | Decision | None]:
    """The fixed times of day from "08:30, 12:00" (sorted), or a message why not."""
    text = (raw or "").strip()
    if not text:
        return [], SLOTS_REQUIRED
    if mentions_as_needed(text):
        return [], AS_NEEDED
    parts = [part for part in re.split(r"[,，、;；\s]+", text.replace("：", ":")) if part]
    slots = []
    for part in parts:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", part)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            return [], SLOTS_FORMAT
        slots.append(time(int(match.group(1)), int(match.group(2))))
    if len(set(slots)) != len(slots):
        return [], SLOTS_REPEATED
    if len(slots) > MAX_SLOTS_PER_DAY:
        return [], Decision(Mode.block, SLOTS_TOO_MANY, {"count": MAX_SLOTS_PER_DAY})
    return sorted(slots), None


def slots_text(slots: list[time]) -> str:
    """How slots are stored: "08:30,12:00"."""
    return ",".join(slot.strftime("%H:%M") for slot in sorted(slots))


def read_dose(raw: str) -> tuple[int | None, str | None]:
    """Hundredths of a unit from "2.5" or "2,5", or a message id why not."""
    try:
        amount = Decimal((raw or "").strip().replace(",", "."))
    except InvalidOperation:
        return None, DOSE_FORMAT
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        return None, DOSE_FORMAT
    hundredths = int(amount * 100)
    if not 0 < hundredths <= MAX_DOSE_HUNDREDTHS:
        return None, DOSE_RANGE
    return hundredths, None


def dose_text(hundredths: int) -> str:
    """2.5 for 250, 1 for 100, 0.25 for 25: the number as the guardian wrote it."""
    return f"{Decimal(hundredths) / 100:f}".rstrip("0").rstrip(".") if hundredths % 100 else str(hundredths // 100)


def authorisation_date_errors(start: date, end: date, signed_on: date, today: date) -> dict:
    """Field → message for the date range of a new authorisation (empty: fine)."""
    errors: dict = {}
    if start < signed_on:
        errors["start_date"] = START_BEFORE_SIGNED
    if end < start:
        errors["end_date"] = END_BEFORE_START
    elif end < today:
        errors["end_date"] = ALREADY_ENDED
    elif (end - start).days + 1 > MAX_AUTHORISATION_DAYS:
        errors["end_date"] = Decision(Mode.block, TOO_LONG, {"days": MAX_AUTHORISATION_DAYS})
    return errors


def dose_errors(
    authorisation: MedicationAuthorisation | None,
    *,
    on: date,
    slot: time | None,
    at: datetime,
    now: datetime,
    outcome: DoseOutcome,
    amount: int | None,
    given_by_id: int,
    checked_by_id: int | None,
    reason: str,
    recorded_slots: set[time],
    window: timedelta,
) -> dict:
    """Field → message (or Decision) for one dose; empty when it may be recorded.

    `due` is the field choosing the authorisation and its time slot. An authorisation
    problem stops the checks there: nothing else matters without one. A dose given (or
    tried: refused, vomited) more than `window` before or after its slot's time is not
    that slot's dose; "not given" may be recorded at any time (the child went home early).
    """
    if authorisation is None:
        return {"due": NO_AUTHORISATION}
    if authorisation.cancelled_at is not None and authorisation.cancelled_at <= at:
        return {"due": CANCELLED}
    if not authorisation.start_date <= on <= authorisation.end_date:
        params = {"start": authorisation.start_date.isoformat(), "end": authorisation.end_date.isoformat()}
        return {"due": Decision(Mode.block, OUTSIDE_DATES, params)}
    errors: dict = {}
    if slot is None or slot not in authorisation.slots:
        errors["due"] = SLOT_NOT_AUTHORISED
    elif slot in recorded_slots:
        errors["due"] = Decision(Mode.block, SLOT_ALREADY_RECORDED, {"slot": slot.strftime("%H:%M")})
    elif outcome is not DoseOutcome.not_given and (outside := slot_window_error(on, slot, at, window)) is not None:
        errors["due"] = outside
    if at > now:
        errors["time"] = IN_FUTURE
    if outcome is DoseOutcome.given:
        if amount is None:
            errors["amount"] = AMOUNT_REQUIRED
        elif amount != authorisation.dose_hundredths:
            params = {"amount": dose_text(authorisation.dose_hundredths), "unit": authorisation.dose_unit.value}
            errors["amount"] = Decision(Mode.block, WRONG_AMOUNT, params)
        if checked_by_id is None:
            errors["checked_by_id"] = CHECKER_REQUIRED
    elif not reason.strip():
        errors["reason"] = REASON_REQUIRED
    if checked_by_id is not None and checked_by_id == given_by_id:
        errors["checked_by_id"] = SAME_PERSON
    return errors


def slot_window_error(on: date, slot: time, at: datetime, window: timedelta) -> Decision | None:
    """A dose at `at` answers the `slot` of day `on` only within `window` either side (both ends included)."""
    zone = get_settings().zone
    due_at = at_local_time(on, slot, zone)
    if due_at - window <= at <= due_at + window:
        return None
    params = {
        "slot": slot.strftime("%H:%M"),
        "earliest": (due_at - window).astimezone(zone).strftime("%H:%M"),
        "latest": (due_at + window).astimezone(zone).strftime("%H:%M"),
    }
    return Decision(Mode.block, OUTSIDE_WINDOW, params)


def overdue(due_at: datetime, recorded: bool, now: datetime) -> bool:
    return not recorded and now > due_at + OVERDUE_AFTER
