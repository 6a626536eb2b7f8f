"""Rule numbers (DOMAIN.md), each a setting with a default and its source.

A stricter local rule replaces a default without a code change: the director
stores an override (table `policy_override`, audited with a reason) and every
rule reads the current value through `load_policy(session)`.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import event
from sqlalchemy.orm import object_session
from sqlmodel import Field, Session, SQLModel, select

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime
from nursery_ops.i18n import N_


class Mode(StrEnum):
    """How a rule acts: BLOCK refuses, WARN raises an alert, RECORD captures."""

    block = "block"
    warn = "warn"
    record = "record"


SETTING_STANDARD = "托育机构设置标准（试行）"
MANAGEMENT_RULES = "托育机构管理规范（试行）国卫人口发〔2019〕58号"
HEALTH_CARE_RULES = "托儿所幼儿园卫生保健工作规范（2012）"
QUALITY_STANDARD = "WS/T 821—2023"
ZHENGZHOU_PLAN = "郑州市托育机构收费管理（城市方案）"
NURSERY_CHOICE = "nursery's own setting"


@dataclass(frozen=True)
class Decision:
    """A rule's outcome: the mode, a message id for the person, and its parameters."""

    mode: Mode
    message: str
    params: dict = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return self.mode is Mode.block


@dataclass(frozen=True)
class PolicyItem:
    key: str
    default: int | float | str | time | bool
    unit: str
    source: str
    description: str
    minimum: float | None = None
    maximum: float | None = None


ITEMS: tuple[PolicyItem, ...] = (
    # Age bands and rooms
    PolicyItem("admission_min_months", 6, N_("months"), SETTING_STANDARD, N_("Youngest age admitted"), 0, 36),
    PolicyItem("toddler_from_months", 12, N_("months"), SETTING_STANDARD, N_("托小 band starts (乳儿 below)"), 6, 36),
    PolicyItem("older_from_months", 24, N_("months"), SETTING_STANDARD, N_("托大 band starts"), 12, 36),
    PolicyItem("ages_out_months", 36, N_("months"), SETTING_STANDARD, N_("Age at which a child moves on to kindergarten"), 24, 48),
    PolicyItem("infant_room_cap", 10, N_("children"), SETTING_STANDARD, N_("乳儿班 at most"), 1, 40),
    PolicyItem("toddler_room_cap", 15, N_("children"), SETTING_STANDARD, N_("托小班 at most"), 1, 40),
    PolicyItem("older_room_cap", 20, N_("children"), SETTING_STANDARD, N_("托大班 at most"), 1, 40),
    PolicyItem("mixed_room_cap", 18, N_("children"), SETTING_STANDARD, N_("混合编班 at most"), 1, 40),
    PolicyItem("mixed_room_min_months", 18, N_("months"), SETTING_STANDARD, N_("Youngest age in a mixed room"), 6, 36),
    PolicyItem("ratio_infant", 3, N_("children per caregiver"), SETTING_STANDARD, N_("乳儿 at least 1:3"), 1, 20),
    PolicyItem("ratio_toddler", 5, N_("children per caregiver"), SETTING_STANDARD, N_("托小 at least 1:5"), 1, 20),
    PolicyItem("ratio_older", 7, N_("children per caregiver"), SETTING_STANDARD, N_("托大 at least 1:7"), 1, 20),
    PolicyItem("band_change_warning_days", 60, N_("days"), NURSERY_CHOICE, N_("Warn before a child leaves its band"), 1, 365),
    PolicyItem("filed_capacity", 60, N_("children"), MANAGEMENT_RULES, N_("备案人数 (filed capacity)"), 1, 2000),
    # Care types
    PolicyItem("full_day_start", time(7, 30), N_("time"), NURSERY_CHOICE, N_("全日托 opens")),
    PolicyItem("full_day_end", time(17, 30), N_("time"), NURSERY_CHOICE, N_("全日托 closes")),
    PolicyItem("half_day_max_hours", 5, N_("hours"), NURSERY_CHOICE, N_("半日托 at most"), 1, 8),
    # Admission
    PolicyItem("entry_exam_valid_days", 30, N_("days"), HEALTH_CARE_RULES, N_("Entry exam done at most this long before the start"), 1, 365),
    PolicyItem("vaccination_pending_days", 30, N_("days"), HEALTH_CARE_RULES, N_("Vaccination certificate due after the start"), 1, 365),
    PolicyItem("absence_months_new_exam", 3, N_("months"), HEALTH_CARE_RULES, N_("Absent this long needs a new health exam"), 1, 24),
    # The day
    PolicyItem("fever_celsius", 37.3, N_("°C"), HEALTH_CARE_RULES, N_("Admitting refused at or above"), 36.5, 39),
    PolicyItem("tablet_lock_minutes", 5, N_("minutes"), NURSERY_CHOICE, N_("A room tablet locks after this long without an action"), 1, 60),
    PolicyItem("absence_cutoff", time(9, 30), N_("time"), NURSERY_CHOICE, N_("Expected children not in by then need a reason")),
    # Afternoon half-day (半日托 下午) children come after lunch; hourly care (计时托) waits until closing (full_day_end).
    PolicyItem("afternoon_absence_cutoff", time(14, 30), N_("time"), NURSERY_CHOICE, N_("Afternoon half-day children not in by then need a reason")),
    PolicyItem("midday_check_due", time(15, 0), N_("time"), HEALTH_CARE_RULES, N_("Warn for present children without a midday check")),
    PolicyItem("sleep_check_minutes", 15, N_("minutes"), QUALITY_STANDARD, N_("Warn when a sleeping child is not checked for longer"), 5, 60),
    PolicyItem("outdoor_minutes", 120, N_("minutes"), HEALTH_CARE_RULES, N_("Outdoor time per room per day at least"), 0, 480),
    PolicyItem("outdoor_warn_from", time(15, 0), N_("time"), NURSERY_CHOICE, N_("Warn about short outdoor time from")),
    # A dose answers its authorised time only within this window either side (ISMP: 1 h for scheduled medicines).
    PolicyItem("medication_window_minutes", 60, N_("minutes"), "ISMP Guidelines for Timely Administration of Scheduled Medications (2011)", N_("A dose may be given at most this long before or after its authorised time"), 15, 120),
    PolicyItem("outbreak_same_day", 3, N_("cases"), HEALTH_CARE_RULES, N_("Similar cases in one room in one day"), 2, 20),
    PolicyItem("outbreak_three_days", 5, N_("cases"), HEALTH_CARE_RULES, N_("Similar cases in one room within 3 days"), 2, 40),
    # Health over time
    PolicyItem("exam_interval_infant_months", 3, N_("months"), HEALTH_CARE_RULES, N_("Periodic exam interval, 6–12 months"), 1, 12),
    PolicyItem("exam_interval_toddler_months", 6, N_("months"), HEALTH_CARE_RULES, N_("Periodic exam interval, 12–36 months"), 1, 12),
    PolicyItem("exam_warning_days", 30, N_("days"), HEALTH_CARE_RULES, N_("Warn before an exam is due"), 1, 120),
    PolicyItem("screening_interval_months", 12, N_("months"), HEALTH_CARE_RULES, N_("Haemoglobin and hearing screening every"), 6, 24),
    PolicyItem("anaemia_below_g_l", 110, N_("g/L"), "WHO haemoglobin thresholds (6–59 months)", N_("Follow up haemoglobin below"), 70, 140),
    # Staff
    PolicyItem("certificate_warning_days", 45, N_("days"), MANAGEMENT_RULES, N_("Warn before a certificate expires"), 1, 180),
    PolicyItem("health_staff_full_time_from", 50, N_("children"), HEALTH_CARE_RULES, N_("A full-time health officer from this many children"), 1, 500),
    PolicyItem("pre_service_training_hours", 72, N_("hours"), MANAGEMENT_RULES, N_("Pre-service training (岗前培训) at least"), 0, 500),
    PolicyItem("ethics_training_hours", 40, N_("hours"), MANAGEMENT_RULES, N_("Ethics training (师德培训) at least"), 0, 500),
    # Money
    PolicyItem("prepay_max_months", 3, N_("months"), ZHENGZHOU_PLAN, N_("One-time prepayment covers at most"), 1, 12),
    PolicyItem("refund_due_days", 15, N_("days"), ZHENGZHOU_PLAN, N_("Refunds paid within"), 1, 90),
    PolicyItem("meal_account_tolerance_percent", 2, N_("%"), HEALTH_CARE_RULES, N_("Semester meal surplus/deficit at most"), 0, 20),
    # Parents
    PolicyItem("survey_interval_months", 6, N_("months"), QUALITY_STANDARD, N_("A parent activity and survey at least every"), 1, 24),
    PolicyItem("invitation_valid_hours", 72, N_("hours"), NURSERY_CHOICE, N_("A parent invitation code can be used for"), 1, 720),
    # Sign-in (个人信息保护法: the director's account reaches every child's records)
    PolicyItem("directors_need_two_step", False, N_("yes or no"), NURSERY_CHOICE, N_("Directors must sign in with a one-time code from their phone (two-step sign-in)")),
    # Records
    PolicyItem("retention_years", 3, N_("years"), MANAGEMENT_RULES, N_("Records kept after a child leaves"), 3, 30),
)
ITEMS_BY_KEY = {item.key: item for item in ITEMS}


class PolicyOverride(SQLModel, table=True):
    """A director's replacement for a rule's default (audited with a reason)."""

    __tablename__ = "policy_override"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    changed_by_id: int | None = Field(default=None, foreign_key="person.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


def value_hint(item: PolicyItem) -> Decision:
    """What a rule takes, for the message next to a value that is not one (a ratio of 1:0 is refused)."""
    if isinstance(item.default, time):
        return Decision(Mode.block, N_("Enter a time as HH:MM."))
    if isinstance(item.default, bool):
        return Decision(Mode.block, N_("Choose yes or no."))
    params = {"minimum": _number_text(item.minimum), "maximum": _number_text(item.maximum)}
    if isinstance(item.default, int):
        return Decision(Mode.block, N_("Enter a whole number from {minimum} to {maximum}."), params)
    return Decision(Mode.block, N_("Enter a number from {minimum} to {maximum}."), params)


def _number_text(number: float | None) -> str:
    return "" if number is None else f"{number:g}"


def parse_value(item: PolicyItem, raw: str):
    """Turn a stored or typed value into the item's type; ValueError when it is not one."""
    if isinstance(item.default, bool):
        answer = raw.strip().lower()
        if answer in {"1", "true", "yes", "on", "是"}:
            return True
        if answer in {"0", "false", "no", "off", "否"}:
            return False
        raise ValueError("not yes or no")
    if isinstance(item.default, time):
        return time.fromisoformat(raw.strip())
    number = (int if isinstance(item.default, int) else float)(raw.strip())
    if item.minimum is not None and number < item.minimum:
        raise ValueError(f"below {item.minimum}")
    if item.maximum is not None and number > item.maximum:
        raise ValueError(f"above {item.maximum}")
    return number


class Policy:
    """Current rule values: attribute access by key (`policy.infant_room_cap`)."""

    def __init__(self, overrides: dict[str, str] | None = None):
        values = {item.key: item.default for item in ITEMS}
        for key, raw in (overrides or {}).items():
            if key in ITEMS_BY_KEY:
                values[key] = parse_value(ITEMS_BY_KEY[key], raw)
        self._values = values

    def __getattr__(self, key: str):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def with_values(self, **changes) -> "Policy":
        """A copy with some values replaced (tests and previews)."""
        copy = Policy()
        copy._values = {**self._values, **changes}
        return copy


DEFAULT_POLICY = Policy()


# Overrides as one text (`key=value` lines) come with the sign-in's own statement (auth.service.load_session).
# Stored values passed parse_value and were stripped, so none holds a line break.
OVERRIDES_SEPARATOR = "\n"
_POLICY_INFO_KEY = "nursery_policy"


def overrides_from_text(text: str | None) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (text or "").split(OVERRIDES_SEPARATOR) if line)


def remember_policy(session: Session, overrides: dict[str, str]) -> Policy:
    """The policy of these overrides, kept for the rest of this database session (one request)."""
    policy = Policy(overrides) if overrides else DEFAULT_POLICY
    session.info[_POLICY_INFO_KEY] = policy
    return policy


def load_policy(session: Session) -> Policy:
    """The rules in force: read once per database session, again after an override changes in it."""
    # A change not flushed yet: an override added or deleted (a changed value forgets it at once, below).
    pending = (*session.new, *session.deleted)
    remembered = session.info.get(_POLICY_INFO_KEY)
    if remembered is not None and not any(isinstance(row, PolicyOverride) for row in pending):
        return remembered
    rows = session.exec(select(PolicyOverride.key, PolicyOverride.value)).all()
    return remember_policy(session, dict(rows))


@event.listens_for(PolicyOverride.value, "set")
def _forget_policy_on_new_value(row: PolicyOverride, *_args) -> None:
    session = object_session(row)
    if session is not None:
        session.info.pop(_POLICY_INFO_KEY, None)


@event.listens_for(Session, "after_flush")
def _forget_policy_after_override_changes(session: Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, PolicyOverride) for row in changed):
        session.info.pop(_POLICY_INFO_KEY, None)


def inconsistencies(policy: Policy) -> list[str]:
    """Message ids for values that contradict each other (the age bands must stay in order)."""
    problems = []
    if not (
        policy.admission_min_months < policy.toddler_from_months < policy.older_from_months < policy.ages_out_months
    ):
        problems.append(N_("The age bands must stay in order: youngest admitted < 托小 < 托大 < leaving age."))
    if not policy.admission_min_months <= policy.mixed_room_min_months < policy.ages_out_months:
        problems.append(N_("The mixed room's youngest age must lie between the youngest admitted and the leaving age."))
    if policy.full_day_start >= policy.full_day_end:
        problems.append(N_("The full day must open before it closes."))
    elif not all(policy.full_day_start < moment <= policy.full_day_end for moment in (
        policy.absence_cutoff, policy.afternoon_absence_cutoff, policy.midday_check_due, policy.outdoor_warn_from,
    )):
        problems.append(N_("The absence cut-offs, the midday check and the outdoor warning must fall within the opening hours."))
    elif policy.half_day_max_hours * 60 > _minutes(policy.full_day_end) - _minutes(policy.full_day_start):
        problems.append(N_("A half day cannot be longer than the full day."))
    if policy.outbreak_three_days < policy.outbreak_same_day:
        problems.append(N_("The 3-day outbreak count cannot be smaller than the same-day count."))
    return problems


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute
