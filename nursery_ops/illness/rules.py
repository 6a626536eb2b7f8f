"""Rules of the health day (DOMAIN.md "The day"): midday check due, illness steps, outbreak windows. Plain functions."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from nursery_ops.attendance.rules import TEMPERATURE_MAX_TENTHS, fever_tenths, parse_temperature
from nursery_ops.i18n import N_
from nursery_ops.illness.models import (
    Illness,
    IllnessOutcome,
    MiddayOutcome,
    OutbreakRule,
    Skin,
    Symptom,
)
from nursery_ops.policy import DEFAULT_POLICY, Decision, Mode, Policy
from nursery_ops.settings import get_settings

# The report to 疾控 / 卫生健康部门 is due within 24 h of detection (托儿所幼儿园卫生保健工作规范).
REPORT_HOURS = 24
# "Within 3 days": the day of the case and the two before it.
OUTBREAK_WINDOW_DAYS = 3


# ---------------------------------------------------------------- midday check (午检)


def midday_warn(local_now: time, policy: Policy) -> bool:
    """WARN for present children without a midday check only from `midday_check_due` (15:00): the nap ends first."""
    return local_now >= policy.midday_check_due


def midday_decision(outcome: MiddayOutcome, temperature_tenths: int, skin: Skin, policy: Policy) -> Decision | None:
    """"Fine" cannot go with a fever or a rash: the child is at least observed."""
    if outcome is not MiddayOutcome.fine:
        return None
    if temperature_tenths >= fever_tenths(policy):
        return Decision(
            Mode.block,
            N_("{temperature} °C is at or above {threshold} °C: choose \"observe\" or \"ill\"."),
            {"temperature": f"{temperature_tenths / 10:.1f}", "threshold": f"{fever_tenths(policy) / 10:.1f}"},
        )
    if skin is Skin.rash:
        return Decision(Mode.block, N_("With a rash the child is not fine: choose \"observe\" or \"ill\"."))
    return None


# ---------------------------------------------------------------- illness steps


class Step(StrEnum):
    isolate = "isolate"
    notify = "notify"
    pickup = "pickup"
    suspect = "suspect"  # suspected infectious disease (may be decided at any open step)
    outcome = "outcome"


ISOLATE_FIRST = N_("A suspected infectious disease: isolate the child first (where, and when), then record the pick-up.")


def step_refusal(
    illness: Illness, step: Step, outcome: IllnessOutcome | None = None, *, suspected_now: bool = False
) -> str | None:
    """Why a step cannot be taken now (message id), or None.

    The order is DOMAIN.md's: observe → isolate → notify the guardian → pick-up → outcome.
    A child who recovers may stay without isolation or pick-up; going home needs the
    pick-up, and hospital needs the guardian told first. A child with a suspected
    infection (already recorded, or ticked on the pick-up form: `suspected_now`) waits
    isolated from the others until collected, so the pick-up needs the isolation first.
    """
    if illness.voided_at is not None:
        return N_("This illness record was voided.")
    if illness.outcome is not None:
        return N_("This illness is closed: its outcome is recorded.")
    if step is Step.isolate and illness.isolated_at is not None:
        return N_("The child is already isolated.")
    if step is Step.isolate and illness.picked_up_at is not None:
        return N_("The child has already been picked up.")
    if step is Step.notify and illness.guardian_notified_at is not None:
        return N_("The guardian has already been notified.")
    if step is Step.pickup:
        if illness.picked_up_at is not None:
            return N_("The pick-up is already recorded.")
        if illness.guardian_notified_at is None:
            return N_("Notify the guardian first (with the time).")
        if (illness.suspected_infectious or suspected_now) and illness.isolated_at is None:
            return ISOLATE_FIRST
    if step is Step.outcome:
        if outcome is IllnessOutcome.went_home and illness.picked_up_at is None:
            return N_("Record the pick-up first: who collected the child, and when.")
        if outcome is IllnessOutcome.hospital and illness.guardian_notified_at is None:
            return N_("Notify the guardian first (with the time).")
        if outcome is IllnessOutcome.recovered and illness.picked_up_at is not None:
            return N_("The child has gone home: choose \"went home\" or \"hospital\".")
    return None


def last_step_at(illness: Illness) -> datetime:
    """The latest time already recorded: a later step cannot be earlier."""
    times = [illness.started_at, illness.isolated_at, illness.guardian_notified_at, illness.picked_up_at]
    return max(moment for moment in times if moment is not None)


def local_moment(on: date, clock: time | None, now: datetime) -> datetime:
    """A time of day on the nursery's date `on` as an aware UTC moment (None: now)."""
    if clock is None:
        return now
    return datetime.combine(on, clock, tzinfo=get_settings().zone).astimezone(now.tzinfo)


def step_time_error(at: datetime, earlier: datetime, now: datetime) -> str | None:
    # A minute of grace: a time typed as "now" rounds down to the minute.
    if at > now + timedelta(minutes=1):
        return N_("This time is in the future.")
    if at < earlier.replace(second=0, microsecond=0):
        return N_("This time is before the previous step.")
    return None


@dataclass(frozen=True)
class Mark:
    """Something the day recorded about a present child: a check's outcome or an observation entry."""

    at: datetime
    observe: bool  # True: watch this child (a check saying "observe", an observation entry)
    reason: str  # message id naming what put the child under observation


def under_observation(marks: Iterable[Mark]) -> Mark | None:
    """The latest mark decides: "observe" or an observation entry puts the child on the list, a later check finding them fine takes them off."""
    latest = max(marks, key=lambda mark: mark.at, default=None)
    return latest if latest is not None and latest.observe else None


def next_step(illness: Illness) -> Step | None:
    """What the page offers first."""
    if illness.closed:
        return None
    if illness.isolated_at is None and (illness.guardian_notified_at is None or illness.suspected_infectious):
        return Step.isolate
    if illness.guardian_notified_at is None:
        return Step.notify
    if illness.picked_up_at is None:
        return Step.pickup
    return Step.outcome


# ---------------------------------------------------------------- return certificate (返园证明)

CERTIFICATE_BEFORE_REQUIRED = N_(
    "The certificate cannot be dated before {date}, when it was required: a note from before the illness does not count."
)


def certificate_date_error(received_on: date, required_since: Iterable[date]) -> Decision | None:
    """A doctor's note dated before the illness that required it says nothing about the child's return."""
    latest = max(required_since, default=None)
    if latest is not None and received_on < latest:
        return Decision(Mode.block, CERTIFICATE_BEFORE_REQUIRED, {"date": latest.isoformat()})
    return None


# ---------------------------------------------------------------- symptoms of sick absences

# Sick absences carry the family's words (attendance.Absence.symptoms is free text). Until the
# absence form ticks the same fixed list, these words map the text onto it; "other" is never
# inferred (too vague to count as "similar"). A bare 体温 / "temperature" says nothing ("体温正常"):
# a temperature counts as fever only with a number at or above the fever threshold.
SYMPTOM_WORDS: dict[Symptom, tuple[str, ...]] = {
    Symptom.fever: ("发烧", "发热", "高烧", "低烧", "体温高", "体温偏高", "fever", "high temperature"),
    Symptom.cough: ("咳嗽", "咳", "cough"),
    Symptom.rash: ("皮疹", "出疹", "疹子", "红疹", "rash"),
    Symptom.vomiting: ("呕吐", "吐了", "vomit"),
    Symptom.diarrhoea: ("腹泻", "拉肚子", "拉稀", "diarrh"),
    Symptom.conjunctivitis: ("结膜炎", "红眼", "眼睛红", "conjunctivitis", "pink eye"),
    Symptom.sores: ("手足口", "疱疹", "口腔溃疡", "口疮", "sores", "blisters", "hand, foot"),
}

# A negation applies to the symptom words right after it ("不发烧", "没有明显发热", "no fever"), also
# to a list joined by 、/和/or ("无发热、咳嗽", "no fever or cough"); anything else ends it
# ("不停咳嗽" is a cough, "不舒服，发烧" a fever), as does a comma or "but".
_NEGATIONS = ("并没有", "没有", "并无", "否认", "没", "无", "未", "不",
              "no", "not", "without", "never", "nor", "denies", "denied", "free of", "negative for",
              "doesn't", "didn't", "hasn't", "hadn't", "isn't", "wasn't", "don't", "haven't")
_FILLERS = ("明显", "伴有", "出现", "发现", "任何", "其他", "再", "有", "见", "伴", "过", "曾",
            "a", "an", "any", "more", "longer", "further", "signs of", "sign of", "high", "obvious",
            "have", "has", "had", "been", "got", "get", "having", "show", "showing", "shows", "other")
_JOINERS = ("、", "和", "或", "及", "与", "也", "/", "and", "or")


def _alternation(words, *, stems: bool = False) -> str:
    """Longest first. Latin words start at a word boundary (so "no" is not the start of "nose") and,
    unless they are symptom stems ("vomit" → "vomiting", "diarrh"), also end at one."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        pattern = re.escape(word)
        if word[0].isascii() and word[0].isalpha():
            pattern = r"\b" + pattern + ("" if stems else r"\b")
        parts.append(pattern)
    return "|".join(parts)


_SYMPTOM_OF = {word: symptom for symptom, words in SYMPTOM_WORDS.items() for word in words}
_TOKEN = re.compile(
    f"(?P<symptom>{_alternation(_SYMPTOM_OF, stems=True)})"
    f"|(?P<negation>{_alternation(_NEGATIONS)})"
    f"|(?P<filler>{_alternation(_FILLERS)})"
    f"|(?P<joiner>{_alternation(_JOINERS)})"
    r"|(?P<space>\s+)"
)
# 体温38.5, 38.6度, 38.2 °C, temperature 38.4: a number of degrees said in the text.
_DEGREES = re.compile(
    r"(?:体温|温度|temperature|temp)\D{0,6}?(\d{2}(?:[.,]\d)?)\d?|(\d{2}(?:[.,]\d)?)\d?\s*(?:度|°|℃)"
)


def _fever_in_degrees(text: str, fever_at_tenths: int) -> bool:
    # Read as the morning check reads a thermometer: tenths, a second decimal dropped.
    for match in _DEGREES.finditer(text):
        tenths = parse_temperature(match.group(1) or match.group(2))
        if tenths is not None and fever_at_tenths <= tenths <= TEMPERATURE_MAX_TENTHS:
            return True
    return False


def symptoms_in_text(text: str, fever_at_tenths: int | None = None) -> frozenset[Symptom]:
    """The fixed-list symptoms a family's words name, leaving out the negated ones ("体温正常", "no fever", "不发烧").

    `fever_at_tenths` is the fever threshold in tenths of a degree (default: policy `fever_celsius`'s default).
    """
    if fever_at_tenths is None:
        fever_at_tenths = fever_tenths(DEFAULT_POLICY)
    lowered = (text or "").lower()
    found: set[Symptom] = set()
    negating = False
    position = 0
    while position < len(lowered):
        match = _TOKEN.match(lowered, position)
        if match is None:
            negating = False  # any other word or punctuation ends a negation
            position += 1
            continue
        kind = match.lastgroup
        if kind == "negation":
            negating = True
        elif kind == "symptom" and not negating:
            found.add(_SYMPTOM_OF[match.group()])
        position = match.end()
    if _fever_in_degrees(lowered, fever_at_tenths):
        found.add(Symptom.fever)
    return frozenset(found)


def parse_symptoms(codes: Iterable[str]) -> list[Symptom]:
    """Known codes in the fixed list's order, each once."""
    chosen = set(codes)
    return [symptom for symptom in Symptom if symptom.value in chosen]


_TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:：.]([0-5]\d)\s*$")


def parse_clock(text: str) -> time | None:
    """"14:05" (also a full-width colon or a dot) → time; None when not a time of day."""
    match = _TIME.match(text or "")
    return time(int(match.group(1)), int(match.group(2))) if match else None


# ---------------------------------------------------------------- outbreak windows


@dataclass(frozen=True)
class Case:
    """One child ill with one symptom on one day, in one room (an illness or a sick absence)."""

    room_id: int
    child_id: int
    on_date: date
    symptom: Symptom
    recorded_at: datetime


@dataclass(frozen=True)
class Signal:
    room_id: int
    symptom: Symptom
    rule: OutbreakRule
    window_start: date
    window_end: date
    child_ids: frozenset[int]
    detected_at: datetime  # when the case that reached the threshold was recorded

    @property
    def deadline(self) -> datetime:
        return report_deadline(self.detected_at)


def report_deadline(detected_at: datetime) -> datetime:
    return detected_at + timedelta(hours=REPORT_HOURS)


def _crossing(cases: list[Case], threshold: int) -> datetime | None:
    """When the `threshold`-th different child was recorded (None: not reached)."""
    seen: set[int] = set()
    for case in sorted(cases, key=lambda case: case.recorded_at):
        if case.child_id not in seen:
            seen.add(case.child_id)
            if len(seen) == threshold:
                return case.recorded_at
    return None


def outbreak_signals(cases: Iterable[Case], on: date, policy: Policy) -> list[Signal]:
    """Rooms and symptoms over the thresholds on day `on`.

    Same room, same symptom, different children: ≥ `outbreak_same_day` on `on`, or
    ≥ `outbreak_three_days` from `on` − 2 days to `on` ("N以上" includes N). A child
    counts once however many records (an illness and a sick absence) they have.
    """
    window_start = on - timedelta(days=OUTBREAK_WINDOW_DAYS - 1)
    groups: dict[tuple[int, Symptom], list[Case]] = defaultdict(list)
    for case in cases:
        if case.symptom is not Symptom.other and window_start <= case.on_date <= on:
            groups[(case.room_id, case.symptom)].append(case)
    signals = []
    for (room_id, symptom), group in sorted(groups.items()):
        same_day = [case for case in group if case.on_date == on]
        if (moment := _crossing(same_day, policy.outbreak_same_day)) is not None:
            children = frozenset(case.child_id for case in same_day)
            signals.append(Signal(room_id, symptom, OutbreakRule.same_day, on, on, children, moment))
        if (moment := _crossing(group, policy.outbreak_three_days)) is not None:
            children = frozenset(case.child_id for case in group)
            signals.append(Signal(room_id, symptom, OutbreakRule.three_days, window_start, on, children, moment))
    return signals


def covers(alert_room_id: int, alert_symptom: Symptom, alert_window_end: date, signal: Signal) -> bool:
    """A recorded alert of the same room and symptom whose window reaches this signal's absorbs it."""
    return alert_room_id == signal.room_id and alert_symptom == signal.symptom and alert_window_end >= signal.window_start
