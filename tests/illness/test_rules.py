"""Rules of the health day at their edges: outbreak windows, the 15:00 midday warning, temperatures, step order."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from starlette.datastructures import FormData

from nursery_ops.forms import parse_form
from nursery_ops.illness.forms import MiddayCheckForm
from nursery_ops.illness.models import (
    Illness,
    IllnessOutcome,
    MiddayOutcome,
    OutbreakRule,
    Skin,
    Symptom,
)
from nursery_ops.illness.rules import (
    CERTIFICATE_BEFORE_REQUIRED,
    ISOLATE_FIRST,
    Case,
    Mark,
    Step,
    certificate_date_error,
    midday_decision,
    midday_warn,
    outbreak_signals,
    parse_clock,
    report_deadline,
    next_step,
    step_refusal,
    symptoms_in_text,
    under_observation,
)
from nursery_ops.policy import DEFAULT_POLICY

DAY1 = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def cases(room_id, symptom, *day_children):
    """(day offset, child id) pairs → cases, recorded an hour apart."""
    return [
        Case(room_id, child_id, DAY1 + timedelta(days=offset), symptom, AT + timedelta(days=offset, hours=index))
        for index, (offset, child_id) in enumerate(day_children)
    ]


@pytest.mark.parametrize(
    ("children", "alerted"),
    [(2, False), (3, True)],
)
def test_same_day_alert_needs_three_children_with_the_same_symptom(children, alerted):
    found = outbreak_signals(cases(1, Symptom.fever, *[(0, n) for n in range(children)]), DAY1, DEFAULT_POLICY)
    assert [signal.rule for signal in found] == ([OutbreakRule.same_day] if alerted else [])


@pytest.mark.parametrize(
    ("spread", "alerted"),
    [
        ([(0, 1), (0, 2), (1, 3), (2, 4)], False),  # 4 within 3 days
        ([(0, 1), (1, 2), (1, 3), (2, 4), (2, 5)], True),  # 5 within 3 days
        ([(0, 1), (0, 2), (1, 3), (1, 4), (3, 5)], False),  # day 1 and day 4 are not within 3 days
    ],
)
def test_three_day_alert_counts_different_children_from_day_minus_two(spread, alerted):
    on = DAY1 + timedelta(days=max(offset for offset, _child in spread))
    found = outbreak_signals(cases(1, Symptom.cough, *spread), on, DEFAULT_POLICY)
    assert (OutbreakRule.three_days in [signal.rule for signal in found]) is alerted


def test_day_one_and_day_four_fall_in_different_windows():
    spread = [(0, 1), (0, 2), (0, 3), (0, 4), (3, 5)]
    assert outbreak_signals(cases(1, Symptom.rash, *spread), DAY1 + timedelta(days=3), DEFAULT_POLICY) == []
    day3 = outbreak_signals(cases(1, Symptom.rash, *spread), DAY1 + timedelta(days=2), DEFAULT_POLICY)
    assert day3 == []  # four children, all on day 1: under five


def test_a_child_counts_once_however_many_records():
    same_child = cases(1, Symptom.fever, (0, 1), (0, 1), (0, 1), (0, 2))
    assert outbreak_signals(same_child, DAY1, DEFAULT_POLICY) == []


def test_different_rooms_and_symptoms_do_not_add_up():
    mixed = cases(1, Symptom.fever, (0, 1), (0, 2)) + cases(2, Symptom.fever, (0, 3)) + cases(1, Symptom.cough, (0, 4))
    assert outbreak_signals(mixed, DAY1, DEFAULT_POLICY) == []


def test_other_is_never_similar():
    assert outbreak_signals(cases(1, Symptom.other, (0, 1), (0, 2), (0, 3)), DAY1, DEFAULT_POLICY) == []


def test_detection_is_when_the_third_child_was_recorded_and_the_deadline_24_hours_later():
    [signal] = outbreak_signals(cases(1, Symptom.vomiting, (0, 1), (0, 2), (0, 3), (0, 4)), DAY1, DEFAULT_POLICY)
    assert signal.detected_at == AT + timedelta(hours=2)
    assert signal.deadline == report_deadline(signal.detected_at) == AT + timedelta(hours=26)
    assert signal.child_ids == {1, 2, 3, 4}


def test_policy_numbers_replace_the_defaults():
    stricter = DEFAULT_POLICY.with_values(outbreak_same_day=2)
    assert outbreak_signals(cases(1, Symptom.fever, (0, 1), (0, 2)), DAY1, stricter)


@pytest.mark.parametrize(("local", "warn"), [(time(14, 59), False), (time(15, 0), True), (time(16, 30), True)])
def test_midday_check_is_due_with_a_warning_only_from_15_00(local, warn):
    assert midday_warn(local, DEFAULT_POLICY) is warn


@pytest.mark.parametrize(
    ("outcome", "tenths", "skin", "refused"),
    [
        (MiddayOutcome.fine, 372, Skin.normal, False),
        (MiddayOutcome.fine, 373, Skin.normal, True),
        (MiddayOutcome.observe, 373, Skin.normal, False),
        (MiddayOutcome.fine, 365, Skin.rash, True),
        (MiddayOutcome.ill, 385, Skin.rash, False),
    ],
)
def test_fine_is_refused_with_a_fever_or_a_rash(outcome, tenths, skin, refused):
    assert (midday_decision(outcome, tenths, skin, DEFAULT_POLICY) is not None) is refused


@pytest.mark.parametrize(
    ("text", "error"),
    [("33.9", True), ("34.0", False), ("37.3", False), ("37,3", False), ("43.0", False), ("43.1", True), ("abc", True)],
)
def test_midday_temperature_uses_the_morning_check_limits(text, error):
    form = FormData([("temperature", text), ("spirits", "good"), ("skin", "normal"), ("outcome", "fine")])
    data, errors = parse_form(MiddayCheckForm, form)
    assert ("temperature" in errors) is error
    if not error:
        assert data.temperature == round(float(text.replace(",", ".")) * 10)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("发烧 38.2 °C，咳嗽", {Symptom.fever, Symptom.cough}),
        ("拉肚子", {Symptom.diarrhoea}),
        ("手足口病，口腔有疱疹", {Symptom.sores}),
        ("Fever and a rash", {Symptom.fever, Symptom.rash}),
        ("家里有事", set()),
    ],
)
def test_sick_absence_words_map_onto_the_symptom_list(text, found):
    assert symptoms_in_text(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # Negated: nothing counts toward an outbreak.
        ("体温正常", set()),
        ("体温不高", set()),
        ("不发烧", set()),
        ("没发烧", set()),
        ("没有明显发热", set()),
        ("无发热", set()),
        ("无发热、咳嗽", set()),  # the negation covers the list
        ("未见皮疹", set()),
        ("no fever", set()),
        ("No fever or cough", set()),
        ("not feverish", set()),
        ("without a rash", set()),
        ("temperature normal", set()),
        ("denies vomiting", set()),
        # Only the negated word: the rest still counts.
        ("没有发烧，咳嗽", {Symptom.cough}),
        ("咳嗽，无发热", {Symptom.cough}),
        ("no fever but a cough", {Symptom.cough}),
        # Words that look like a negation and are not one.
        ("不停咳嗽", {Symptom.cough}),
        ("不舒服，发烧", {Symptom.fever}),
        ("nosebleed and coughing", {Symptom.cough}),
        # A temperature counts from the fever threshold (37.3 °C), not below.
        ("体温37.2", set()),
        ("体温37.3", {Symptom.fever}),
        ("38.6度", {Symptom.fever}),
        ("temperature 38.4", {Symptom.fever}),
        ("体温37,3", {Symptom.fever}),  # a keypad's decimal comma
        ("37.25度", set()),  # a second decimal is dropped, as on the morning check: 37.2
        ("38.25度", {Symptom.fever}),
        ("体温偏高", {Symptom.fever}),
    ],
)
def test_negated_symptoms_do_not_count(text, found):
    assert symptoms_in_text(text) == found


def test_the_fever_threshold_for_a_temperature_in_words_is_the_policys():
    assert symptoms_in_text("体温37.6") == {Symptom.fever}
    assert symptoms_in_text("体温37.6", fever_at_tenths=378) == set()


@pytest.mark.parametrize(("text", "parsed"), [("14:05", time(14, 5)), ("9:30", time(9, 30)), ("14：05", time(14, 5)), ("24:00", None), ("x", None)])
def test_clock_times(text, parsed):
    assert parse_clock(text) == parsed


def illness(**fields):
    return Illness(child_id=1, room_id=1, on_date=DAY1, started_at=AT, started_by_id=1, symptoms="fever", **fields)


@pytest.mark.parametrize(
    ("fields", "step", "outcome", "refused"),
    [
        ({}, Step.isolate, None, False),
        ({}, Step.pickup, None, True),  # the guardian is told first
        ({"guardian_notified_at": AT}, Step.pickup, None, False),
        ({}, Step.outcome, IllnessOutcome.recovered, False),
        ({}, Step.outcome, IllnessOutcome.went_home, True),
        ({"guardian_notified_at": AT}, Step.outcome, IllnessOutcome.hospital, False),
        ({}, Step.outcome, IllnessOutcome.hospital, True),
        ({"guardian_notified_at": AT, "picked_up_at": AT}, Step.outcome, IllnessOutcome.recovered, True),
        ({"isolated_at": AT}, Step.isolate, None, True),
        ({"outcome": IllnessOutcome.recovered}, Step.notify, None, True),
        ({"voided_at": AT}, Step.isolate, None, True),
    ],
)
def test_illness_steps_follow_the_order(fields, step, outcome, refused):
    assert (step_refusal(illness(**fields), step, outcome) is not None) is refused


@pytest.mark.parametrize(
    ("fields", "suspected_now", "refusal"),
    [
        ({"guardian_notified_at": AT}, False, None),  # no infection suspected: going home needs no isolation
        ({"guardian_notified_at": AT, "suspected_infectious": True}, False, ISOLATE_FIRST),
        ({"guardian_notified_at": AT}, True, ISOLATE_FIRST),  # ticked on the pick-up form
        ({"guardian_notified_at": AT, "suspected_infectious": True, "isolated_at": AT}, False, None),
        ({"guardian_notified_at": AT, "isolated_at": AT}, True, None),
    ],
)
def test_a_suspected_infection_is_isolated_before_the_pick_up(fields, suspected_now, refusal):
    assert step_refusal(illness(**fields), Step.pickup, suspected_now=suspected_now) == refusal


@pytest.mark.parametrize(
    ("fields", "offered"),
    [
        ({}, Step.isolate),
        ({"guardian_notified_at": AT}, Step.pickup),
        ({"guardian_notified_at": AT, "suspected_infectious": True}, Step.isolate),
        ({"guardian_notified_at": AT, "suspected_infectious": True, "isolated_at": AT}, Step.pickup),
    ],
)
def test_the_page_offers_isolation_first_when_an_infection_is_suspected(fields, offered):
    assert next_step(illness(**fields)) is offered


def mark(minutes, observe, reason="r"):
    return Mark(AT + timedelta(minutes=minutes), observe, reason)


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([], None),
        ([mark(0, False)], None),  # admitted at the morning check
        ([mark(0, True, "morning")], "morning"),
        ([mark(0, False), mark(60, True, "observation")], "observation"),  # an entry later in the day
        ([mark(0, True, "morning"), mark(60, False)], None),  # the midday check found the child fine
        ([mark(60, True, "observation"), mark(0, False)], "observation"),  # order of the list does not matter
        ([mark(0, True, "morning"), mark(30, True, "midday")], "midday"),  # the latest says why
    ],
)
def test_the_latest_mark_of_the_day_decides_who_is_under_observation(marks, expected):
    found = under_observation(marks)
    assert (found.reason if found else None) == expected


@pytest.mark.parametrize(
    ("received_on", "required", "refused"),
    [
        (DAY1, [DAY1], False),  # the day it was required
        (DAY1 + timedelta(days=3), [DAY1], False),
        (DAY1 - timedelta(days=1), [DAY1], True),  # a note from before the illness
        (DAY1, [DAY1 - timedelta(days=5), DAY1 + timedelta(days=1)], True),  # before the latest requirement
        (DAY1, [], False),
    ],
)
def test_a_return_certificate_cannot_be_dated_before_it_was_required(received_on, required, refused):
    found = certificate_date_error(received_on, required)
    assert (found is not None) is refused
    if found is not None:
        assert found.message == CERTIFICATE_BEFORE_REQUIRED and found.params == {"date": max(required).isoformat()}
