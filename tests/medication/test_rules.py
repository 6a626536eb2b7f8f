"""The medication rules at their edges: "as needed", time slots, doses, date ranges, each dose's BLOCKs."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from nursery_ops.medication import rules
from nursery_ops.medication.models import (
    DoseOutcome,
    DoseUnit,
    MedicationAuthorisation,
    MedicationRoute,
    PrescriptionSource,
    SignedHow,
)
from nursery_ops.policy import Decision

START = date(2026, 3, 2)
END = date(2026, 3, 6)
NOW = datetime(2026, 3, 4, 4, 5, tzinfo=UTC)  # 12:05 in Shanghai: the 12:00 dose's time
WINDOW = timedelta(minutes=60)


def shanghai(hour: int, minute: int) -> datetime:
    """A wall-clock time in Shanghai on 2026-03-04, as UTC."""
    return datetime(2026, 3, 4, hour - 8, minute, tzinfo=UTC)


def message(error) -> str:
    return error.message if isinstance(error, Decision) else error


@pytest.mark.parametrize(
    ("text", "as_needed"),
    [
        ("as needed", True),
        ("As Needed for fever", True),
        ("PRN", True),
        ("p.r.n.", True),
        ("when required", True),
        ("if needed", True),
        ("if fever", True),
        ("SOS", True),
        ("按需服用", True),
        ("必要时", True),
        ("发烧时吃", True),
        ("Amoxicillin", False),
        ("after food", False),
        ("Ibuprofen suspension", False),
        ("Sosegon", False),  # a word that starts like "sos" is not an order
        ("饭后服用", False),
    ],
)
def test_as_needed_wording_is_recognised(text, as_needed):
    assert rules.mentions_as_needed(text) is as_needed


@pytest.mark.parametrize(
    ("raw", "slots", "error"),
    [
        ("08:30", [time(8, 30)], None),
        ("12:00, 08:30", [time(8, 30), time(12, 0)], None),
        ("8:30，12:00、15:00", [time(8, 30), time(12, 0), time(15, 0)], None),
        ("08：30", [time(8, 30)], None),  # a full-width colon from a Chinese keyboard
        ("00:00, 23:59", [time(0, 0), time(23, 59)], None),
        ("", [], rules.SLOTS_REQUIRED),
        ("as needed", [], rules.AS_NEEDED),
        ("08:30, prn", [], rules.AS_NEEDED),
        ("必要时", [], rules.AS_NEEDED),
        ("24:00", [], rules.SLOTS_FORMAT),
        ("08:60", [], rules.SLOTS_FORMAT),
        ("8.30", [], rules.SLOTS_FORMAT),
        ("morning", [], rules.SLOTS_FORMAT),
        ("08:30, 8:30", [], rules.SLOTS_REPEATED),
        ("08:00, 09:00, 10:00, 11:00, 12:00, 13:00", [time(h, 0) for h in range(8, 14)], None),
        ("08:00, 09:00, 10:00, 11:00, 12:00, 13:00, 14:00", [], rules.SLOTS_TOO_MANY),
    ],
)
def test_time_slots_are_fixed_times_of_day(raw, slots, error):
    found, problem = rules.read_slots(raw)
    assert found == slots
    assert (message(problem) if problem else None) == error


@pytest.mark.parametrize(
    ("raw", "hundredths", "error"),
    [
        ("2.5", 250, None),
        ("2,5", 250, None),
        ("0.25", 25, None),
        ("1", 100, None),
        ("1000", 100_000, None),
        ("0.01", 1, None),
        ("0", None, rules.DOSE_RANGE),
        ("-1", None, rules.DOSE_RANGE),
        ("1000.01", None, rules.DOSE_RANGE),
        ("0.125", None, rules.DOSE_FORMAT),
        ("two", None, rules.DOSE_FORMAT),
        ("", None, rules.DOSE_FORMAT),
        ("NaN", None, rules.DOSE_FORMAT),
    ],
)
def test_doses_are_read_in_hundredths(raw, hundredths, error):
    assert rules.read_dose(raw) == (hundredths, error)


@pytest.mark.parametrize(("hundredths", "text"), [(250, "2.5"), (100, "1"), (25, "0.25"), (205, "2.05"), (1000, "10")])
def test_doses_read_back_as_written(hundredths, text):
    assert rules.dose_text(hundredths) == text


@pytest.mark.parametrize(
    ("start", "end", "signed_on", "errors"),
    [
        (START - timedelta(days=2), START, START - timedelta(days=2), {}),  # ends today
        (START - timedelta(days=2), START - timedelta(days=1), START - timedelta(days=2), {"end_date": rules.ALREADY_ENDED}),
        (START, START, START, {}),  # one day
        (START, START + timedelta(days=13), START, {}),  # 14 days, the limit
        (START, START + timedelta(days=14), START, {"end_date": rules.TOO_LONG}),  # 15 days
        (START, START - timedelta(days=1), START, {"end_date": rules.END_BEFORE_START}),
        (START, END, START + timedelta(days=1), {"start_date": rules.START_BEFORE_SIGNED}),
        (START + timedelta(days=1), END, START, {}),  # signed ahead of the course
    ],
)
def test_the_date_range_is_short_and_after_the_signature(start, end, signed_on, errors):
    found = rules.authorisation_date_errors(start, end, signed_on, today=START)
    assert {field: message(error) for field, error in found.items()} == errors


def authorisation(**changes) -> MedicationAuthorisation:
    values = {
        "id": 7, "child_id": 1, "drug_name": "阿莫西林颗粒", "dose_hundredths": 250, "dose_unit": DoseUnit.ml,
        "route": MedicationRoute.oral, "times": "08:30,12:00", "start_date": START, "end_date": END,
        "prescription_source": PrescriptionSource.prescription, "prescription_reference": "市儿童医院 No. 123",
        "signed_by_guardian_id": 1, "signed_on": START, "signed_how": SignedHow.paper_at_desk, "recorded_by_id": 1,
    }
    values.update(changes)
    return MedicationAuthorisation(**values)


GIVER, CHECKER = 10, 11


def check(auth="default", **changes) -> dict:
    values = {
        "on": date(2026, 3, 4), "slot": time(12, 0), "at": NOW, "now": NOW, "outcome": DoseOutcome.given, "amount": 250,
        "given_by_id": GIVER, "checked_by_id": CHECKER, "reason": "", "recorded_slots": set(), "window": WINDOW,
    }
    values.update(changes)
    found = rules.dose_errors(authorisation() if auth == "default" else auth, **values)
    return {field: message(error) for field, error in found.items()}


@pytest.mark.parametrize(
    ("auth", "changes", "errors"),
    [
        ("default", {}, {}),
        (None, {}, {"due": rules.NO_AUTHORISATION}),
        # The date range: first and last day in, the day before and the day after out.
        ("default", {"on": START, "at": NOW - timedelta(days=2)}, {}),
        ("default", {"on": END, "at": NOW + timedelta(days=2), "now": NOW + timedelta(days=2)}, {}),
        ("default", {"on": START - timedelta(days=1)}, {"due": rules.OUTSIDE_DATES}),
        ("default", {"on": END + timedelta(days=1)}, {"due": rules.OUTSIDE_DATES}),
        # Cancelled: before the dose it blocks, after the dose it does not.
        (authorisation(cancelled_at=NOW - timedelta(minutes=1)), {}, {"due": rules.CANCELLED}),
        (authorisation(cancelled_at=NOW + timedelta(minutes=1)), {}, {}),
        # Slots: only those signed for, each once a day.
        ("default", {"slot": time(8, 30), "at": shanghai(8, 35)}, {}),
        ("default", {"slot": time(12, 1)}, {"due": rules.SLOT_NOT_AUTHORISED}),
        ("default", {"slot": None}, {"due": rules.SLOT_NOT_AUTHORISED}),
        ("default", {"recorded_slots": {time(12, 0)}}, {"due": rules.SLOT_ALREADY_RECORDED}),
        ("default", {"recorded_slots": {time(8, 30)}}, {}),
        # The amount: exactly the signed dose.
        ("default", {"amount": 249}, {"amount": rules.WRONG_AMOUNT}),
        ("default", {"amount": 251}, {"amount": rules.WRONG_AMOUNT}),
        ("default", {"amount": None}, {"amount": rules.AMOUNT_REQUIRED}),
        # Two people: the checker is required and is someone else.
        ("default", {"checked_by_id": None}, {"checked_by_id": rules.CHECKER_REQUIRED}),
        ("default", {"checked_by_id": GIVER}, {"checked_by_id": rules.SAME_PERSON}),
        # Not given: the reason is required; amount and checker are not.
        ("default", {"outcome": DoseOutcome.refused, "amount": None, "checked_by_id": None, "reason": "吐出来"}, {}),
        ("default", {"outcome": DoseOutcome.vomited, "amount": None, "checked_by_id": None, "reason": " "},
         {"reason": rules.REASON_REQUIRED}),
        ("default", {"outcome": DoseOutcome.not_given, "checked_by_id": GIVER, "reason": "睡着了"},
         {"checked_by_id": rules.SAME_PERSON}),
        # Time: never later than now.
        ("default", {"at": NOW + timedelta(minutes=1)}, {"time": rules.IN_FUTURE}),
    ],
)
def test_each_dose_is_blocked_at_the_edges(auth, changes, errors):
    assert check(auth, **changes) == errors


def test_the_amount_message_names_the_signed_dose():
    found = rules.dose_errors(
        authorisation(), on=date(2026, 3, 4), slot=time(12, 0), at=NOW, now=NOW, outcome=DoseOutcome.given,
        amount=500, given_by_id=GIVER, checked_by_id=CHECKER, reason="", recorded_slots=set(), window=WINDOW,
    )
    assert found["amount"].params == {"amount": "2.5", "unit": "ml"}


@pytest.mark.parametrize(
    ("slot", "at", "outcome", "refused"),
    [
        (time(12, 0), shanghai(11, 0), DoseOutcome.given, False),  # an hour early: the window's first minute
        (time(12, 0), shanghai(10, 59), DoseOutcome.given, True),
        (time(12, 0), shanghai(13, 0), DoseOutcome.given, False),  # an hour late: the last minute
        (time(12, 0), shanghai(13, 1), DoseOutcome.given, True),
        # The audit's case: at 08:05 both doses minutes apart — the 08:30 one is on time, the 12:00 one is not.
        (time(8, 30), shanghai(8, 5), DoseOutcome.given, False),
        (time(12, 0), shanghai(8, 7), DoseOutcome.given, True),
        # A refusal or a vomited dose was tried then: the same window. "Not given" (gone home) is any time.
        (time(12, 0), shanghai(8, 7), DoseOutcome.refused, True),
        (time(12, 0), shanghai(8, 7), DoseOutcome.vomited, True),
        (time(12, 0), shanghai(8, 7), DoseOutcome.not_given, False),
    ],
)
def test_a_dose_is_refused_outside_its_slots_window(slot, at, outcome, refused):
    given = outcome is DoseOutcome.given
    found = rules.dose_errors(
        authorisation(), on=date(2026, 3, 4), slot=slot, at=at, now=shanghai(13, 30), outcome=outcome,
        amount=250 if given else None, given_by_id=GIVER, checked_by_id=CHECKER if given else None,
        reason="" if given else "孩子回家了", recorded_slots=set(), window=WINDOW,
    )
    assert ("due" in found) is refused
    if refused:
        assert found["due"].message == rules.OUTSIDE_WINDOW
        assert found["due"].params == {"slot": slot.strftime("%H:%M"), "earliest": "11:00", "latest": "13:00"}


def test_the_window_is_the_policys():
    narrow = rules.slot_window_error(date(2026, 3, 4), time(12, 0), shanghai(11, 40), timedelta(minutes=15))
    assert narrow is not None and narrow.params["earliest"] == "11:45"
    assert rules.slot_window_error(date(2026, 3, 4), time(12, 0), shanghai(11, 40), WINDOW) is None


@pytest.mark.parametrize(
    ("minutes_after", "recorded", "overdue"),
    [(30, False, False), (31, False, True), (120, True, False), (-10, False, False)],
)
def test_a_dose_is_overdue_half_an_hour_after_its_time(minutes_after, recorded, overdue):
    due_at = NOW
    assert rules.overdue(due_at, recorded, due_at + timedelta(minutes=minutes_after)) is overdue
